"""Saved fits: one netCDF-4 file that plain ArviZ opens and :func:`load_fit` turns back into a FitResult."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from toolkit.models import SavedFitError, load_fit


def test_round_trip_keeps_draws_summaries_and_settings(extraction_small: Any, tmp_path: Path) -> None:
    path = extraction_small.save(tmp_path / "fit.nc")
    back = load_fit(path)
    assert back.model == extraction_small.model
    assert back.settings == extraction_small.settings
    assert back.data_hash == extraction_small.data_hash
    for group in ("posterior", "sample_stats"):
        a, b = extraction_small.idata[group].to_dataset(), back.idata[group].to_dataset()
        assert sorted(a.data_vars) == sorted(b.data_vars)
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values)
    assert back.summaries.keys() == extraction_small.summaries.keys()
    for name, table in extraction_small.summaries.items():
        pd.testing.assert_frame_equal(back.summaries[name], table, check_dtype=False, check_exact=True)
    assert back.diagnostics.max_r_hat == pytest.approx(extraction_small.diagnostics.max_r_hat)


def test_plain_arviz_reads_it(extraction_small: Any, tmp_path: Path) -> None:
    import arviz as az

    path = extraction_small.save(tmp_path / "fit.nc")
    summary = az.summary(az.from_netcdf(path), var_names=["gap"])
    assert summary.shape[0] == 1 and np.isfinite(summary.iloc[0]["mean"])


def test_ppc_needs_the_same_dataset(extraction_small: Any, small_study: Any, tmp_path: Path) -> None:
    back = load_fit(extraction_small.save(tmp_path / "fit.nc"))
    with pytest.raises(ValueError, match="no dataset"):
        back.ppc(rng=1)
    ppc = back.with_dataset(small_study[0]).ppc(rng=1)
    pd.testing.assert_frame_equal(ppc, extraction_small.ppc(rng=1))


def test_foreign_and_newer_files_are_refused(extraction_small: Any, tmp_path: Path) -> None:
    junk = tmp_path / "junk.nc"
    junk.write_bytes(b"not a netcdf file")
    with pytest.raises(SavedFitError, match="junk.nc"):
        load_fit(junk)
    plain = tmp_path / "plain.nc"
    extraction_small.idata.to_netcdf(plain, engine="h5netcdf")  # an ArviZ file, not ours
    with pytest.raises(SavedFitError, match="not a recenter-toolkit saved fit"):
        load_fit(plain)


def test_changed_model_version_warns(extraction_small: Any, tmp_path: Path, monkeypatch: Any) -> None:
    path = extraction_small.save(tmp_path / "fit.nc")
    monkeypatch.setattr(type(extraction_small.model), "version", "changed")
    with pytest.warns(RuntimeWarning, match="model version"):
        load_fit(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.undo()
        load_fit(path)


def test_summary_tables_keep_dtypes_and_exact_floats() -> None:
    import json

    from toolkit.models.saved_fit import _table_from_json, _table_to_json  # noqa: PLC2701 - the codec itself

    df = pd.DataFrame(
        {
            "a": [1.5, np.nan],
            "b": pd.array([True, None], dtype="boolean"),
            "c": ["x", None],
            "d": np.array([1, 2]),
            "e": pd.array([1, None], dtype="Int64"),
            "f": [True, False],
            "g": [0.1 + 0.2, 1e-300],
        }
    )
    back = _table_from_json(json.loads(json.dumps(_table_to_json(df))))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
