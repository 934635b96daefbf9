"""The structure-sensitivity analysis puts the judge family's LOO table and the rating family's conclusions
together (fits replaced by stand-ins here: the real ones are 12 full-size fits, run with
``python -m analyses.structures``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd

import analyses.structures as structures
from analyses.common import Settings


def _fit(name: str) -> Any:
    inflation = {"rating": 0.8, "rating-thresholds": 0.5}.get(name, 0.7)
    judges = pd.DataFrame({"rater_id": ["human", "j1"], "quantity": "inflation", "mean": [0.0, inflation],
                           "ci_low": [0.0, inflation - 0.3], "ci_high": [0.0, inflation + 0.3]})  # fmt: skip
    diag = SimpleNamespace(ok=True, message="converged", max_r_hat=1.0, min_ess_bulk=1000.0, min_ess_tail=1000.0,
                           divergences=0)  # fmt: skip
    return SimpleNamespace(summaries={"judges": judges}, diagnostics=diag, name=name)


def test_compute_combines_both_families(monkeypatch: Any, small_data: Any) -> None:
    import toolkit.models.judge_compare as judge_compare

    monkeypatch.setattr(structures, "fit_model", lambda name, ds, settings: _fit(name))
    monkeypatch.setattr(structures, "model_settings", lambda settings, *fits: {"models": len(fits)})
    monkeypatch.setattr(
        judge_compare, "compare_judge_structures",
        lambda ds, models, fits: pd.DataFrame({"model": list(models), "rank": range(len(models)),
                                               "prevalence": 0.2}),
    )  # fmt: skip
    result = structures.compute(small_data, Settings())
    t = result.table
    assert set(t["family"]) == {"judge", "rating"}
    rating = t[t["family"] == "rating"]
    assert set(rating["structure"]) == set(structures.RATING_STRUCTURES)
    assert (rating["conclusion"] == "inflates").all()
    assert "inflat" in result.caption  # the sentences saying which conclusions hold everywhere
    assert result.settings == {"models": 12}
