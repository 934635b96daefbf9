"""Tests of the prior predictive checks (toolkit/models/prior_checks.py).

Fast: the statistics and the comparison table. Slow (PyMC forward sampling): a check of the extraction model
on the small study's design, which must put the observed statistics inside the prior predictive range and
flag data the prior rules out, and one of each other model family.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from toolkit.models.interface import ModelData, get_model
from toolkit.models.prior_checks import (
    compare_statistics,
    data_statistics,
    plot_prior_predictive,
    prior_predictive_check,
)


def test_compare_statistics_places_the_observed_value() -> None:
    sims = [{("share", "a"): v, ("sd", "b"): np.nan} for v in np.linspace(0, 1, 101)]
    t = compare_statistics({("share", "a"): 0.25, ("sd", "b"): 1.0}, sims).set_index("check")
    assert t.loc["share", "prior_quantile"] == pytest.approx(0.25, abs=0.01)
    assert bool(t.loc["share", "within"]) and t.loc["share", "n_defined"] == 101
    assert not bool(t.loc["sd", "within"]) and t.loc["sd", "n_defined"] == 0  # never defined: no verdict
    assert np.isnan(t.loc["sd", "prior_quantile"])


def test_judge_statistics() -> None:
    labels = np.array([[1, 1, 0, 1], [0, 0, 0, 1], [1, -1, 1, 0]], dtype=np.int8)
    data = ModelData(
        arrays={"labels": labels, "rater_group": np.array([0, 0, 0, 1])},
        coords={"group": ["human", "llm"], "rater": ["h1", "h2", "h3", "j1"], "prompt": ["p"]},
    )
    stats = data_statistics(get_model("judge"), data)
    assert stats[("yes_rate", "h2")] == 0.5 and stats[("yes_rate", "j1")] == pytest.approx(2 / 3)
    assert stats[("majority_yes_rate", "human")] == pytest.approx(2 / 3)  # items 1 and 3 (2 of 2 YES)
    assert stats[("unanimous_share", "human")] == pytest.approx(2 / 3)


def test_plot_marks_misfits(tmp_path: Any) -> None:
    t = pd.DataFrame(
        {"check": ["a", "b"], "group": ["x", "y"], "observed": [0.5, 3.0], "prior_mean": [0.4, 0.5],
         "prior_low": [0.1, 0.2], "prior_high": [0.9, 0.8], "within": [True, False]}
    )  # fmt: skip
    fig = plot_prior_predictive(t, title="toy")
    colors = fig.axes[0].collections[-1].get_facecolors()
    assert colors.shape[0] == 2 and not np.allclose(colors[0], colors[1])
    fig.savefig(tmp_path / "p.png")


@pytest.mark.slow
def test_extraction_prior_predictive_check(small_study: tuple[Any, dict]) -> None:
    model = get_model("extraction")
    data = model.prepare(small_study[0])
    table = prior_predictive_check(model, data, draws=40, seed=1)
    assert table["within"].mean() >= 0.9  # the study's statistics are plausible under the prior
    same = prior_predictive_check(model, data, draws=40, seed=1)
    pd.testing.assert_frame_equal(table, same)  # deterministic
    # data the prior all but rules out: every judgment "rejected" (alpha would have to be below -7)
    arrays = {**data.arrays, "judgment_label": np.zeros_like(data.arrays["judgment_label"])}
    absurd = ModelData(arrays=arrays, coords=data.coords)
    bad = prior_predictive_check(model, absurd, draws=40, seed=1).set_index(["check", "group"])
    assert bad.loc[("accepted_share", "wildchat"), "prior_quantile"] == 0.0
    assert not bool(bad.loc[("accepted_share", "wildchat"), "within"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["judge", "rating", "correlation", "rating-thresholds", "extraction-attribute", "judge-one-effect"],
)
def test_prior_predictive_check_runs_for_every_family(name: str, small_study: tuple[Any, dict]) -> None:
    from toolkit.studies.sbc_models import adapter

    _, factory = adapter(name)  # imports the variants' modules
    model = factory()
    data = model.prepare(small_study[0])
    table = prior_predictive_check(model, data, draws=10, seed=2)
    assert len(table) > 3 and table["n_defined"].max() == 10
