"""Tests of toolkit.metrics.reliability: the Shrout & Fleiss (1979) ICC example (tests/reference/
shrout_fleiss_1979.md) and the Spearman-Brown prophecy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import metrics as me

FAST = settings(max_examples=40, deadline=None)


SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


def test_icc_shrout_fleiss_1979() -> None:
    frame = pd.DataFrame(
        [(f"t{i}", "x", f"j{j}", SHROUT_FLEISS[i, j]) for i in range(6) for j in range(4)],
        columns=["target", "part", "judge", "score"],
    )
    out = me.icc(frame, item=["target", "part"], rater="judge", label="score")
    assert list(out.columns) == [
        "type", "icc", "f", "df1", "df2", "p_value", "ci_low", "ci_high", "n_items", "n_raters"
    ]  # fmt: skip
    published = {
        "ICC(1,1)": 0.17,
        "ICC(A,1)": 0.29,
        "ICC(C,1)": 0.71,
        "ICC(1,k)": 0.44,
        "ICC(A,k)": 0.62,
        "ICC(C,k)": 0.91,
    }
    got = out.set_index("type")["icc"]
    for name, value in published.items():
        assert got[name] == pytest.approx(value, abs=5e-3), name
    incomplete = frame.iloc[1:]
    assert me.icc(incomplete, item="target", rater="judge", label="score")["n_items"].iloc[0] == 5
    with pytest.raises(ValueError, match="not rated by all"):
        me.icc(incomplete, item="target", rater="judge", label="score", nan_policy="raise")
    with pytest.raises(ValueError, match="numeric"):
        me.icc(
            frame.assign(score=frame.score.astype(str) + "pt"), item="target", rater="judge", label="score"
        )


@FAST
@given(st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_spearman_brown_inverse_roundtrip(rho: float, target: float) -> None:
    k = me.spearman_brown_factor(rho, target)
    assert me.spearman_brown(rho, k) == pytest.approx(target, abs=1e-9)
    assert me.spearman_brown(rho, 1.0) == pytest.approx(rho)


def test_spearman_brown_values_and_bad_input() -> None:
    assert me.spearman_brown(0.5, 2) == pytest.approx(2 / 3)
    assert me.spearman_brown(0.5, 3) == pytest.approx(0.75)
    np.testing.assert_allclose(me.spearman_brown([0.2, 0.5], 2), [1 / 3, 2 / 3])
    assert np.isnan(me.spearman_brown(-0.5, 3))  # 1 + (k-1) rho = 0: undefined
    with pytest.raises(ValueError, match="reliability"):
        me.spearman_brown(1.5, 2)
    with pytest.raises(ValueError, match="factor"):
        me.spearman_brown(0.5, 0)
    with pytest.raises(ValueError, match="target"):
        me.spearman_brown_factor(0.5, 1.0)


def test_icc_cluster_bootstrap_equals_pingouin_on_the_resampled_targets():
    """Each resample's six ICCs are pingouin's on the targets the weights stand for; one cluster collapses the
    interval to the estimate; the F test is unchanged."""
    import warnings

    import numpy as np
    import pandas as pd
    import pingouin as pg

    from toolkit.metrics import icc
    from toolkit.metrics.reliability import _icc_bootstrap
    from toolkit.resampling import item_weights

    rng = np.random.default_rng(0)
    n, k = 12, 3
    wide = rng.normal(size=(n, k)) + 2 * rng.normal(size=(n, 1)) + np.arange(k)
    session = np.arange(n) // 3
    boot = _icc_bootstrap(wide, session, 4, 7)
    for b, w in enumerate(item_weights(session, n, 4, 7).astype(int)):
        rows = np.repeat(np.arange(n), w)
        data = pd.DataFrame([(t, j, wide[i, j]) for t, i in enumerate(rows) for j in range(k)], columns=["t", "r", "y"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = pg.intraclass_corr(data, targets="t", raters="r", ratings="y")["ICC"].to_numpy()
        np.testing.assert_allclose(boot[b], expected, atol=1e-10)
    frame = pd.DataFrame([(i, j, wide[i, j], session[i]) for i in range(n) for j in range(k)],
                         columns=["target", "judge", "score", "session"])
    plain = icc(frame, item="target", rater="judge", label="score")
    one = icc(frame.assign(session=0), item="target", rater="judge", label="score", clusters="session", n_boot=20)
    np.testing.assert_allclose(one["ci_low"], one["icc"], atol=1e-10)
    np.testing.assert_allclose(one["ci_high"], one["icc"], atol=1e-10)
    assert (one[["icc", "f", "p_value"]] == plain[["icc", "f", "p_value"]]).all().all()
