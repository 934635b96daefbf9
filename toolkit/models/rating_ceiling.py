r"""Noise ceilings and fractions of ceiling with the uncertainty of both numerator and denominator.

Two sources of a ceiling for the stage-3 Spearman correlations (Table 6):

* **From the ordinal rating model itself** (:func:`ordinal_noise_ceiling`): for each posterior draw of the
  rating model (:mod:`toolkit.models.rating` or a variant of :mod:`toolkit.models.rating_variants`), a large
  set of new cells is simulated from the model (generator mix and mention rates as observed, every random
  effect of the model drawn anew, ``k`` new annotators), and the ceiling is the correlation of the mean of
  the ``k`` human ratings with its expectation :math:`T` (the cell's expected human rating): no scorer can
  correlate better with the human mean than :math:`T` does. In the same simulated cells each LLM judge
  rates too (with its inflation, mention effect, noise scale and, in the variants, its own cutpoints and the
  cell effect shared by the judges), giving its model-implied Spearman with the human mean and its
  **fraction of ceiling**, numerator and denominator from the same posterior draw. The simulation's Monte
  Carlo error (about :math:`1/\sqrt{n_{cells}}` per draw) adds slightly to the posterior spread.
* **For the correlation model** (:mod:`toolkit.models.correlation`), whose ``fraction_of_ceiling`` divides
  the fixed observed Spearman by the ceiling draws: :func:`correlation_fraction_of_ceiling` uses as numerator
  the Spearman of each scorer with the human mean in data replicated from the same posterior draw (the
  posterior predictive of the statistic, which carries the sampling variability of a study of this size).

:func:`fraction_of_ceiling` is the generic ratio of numerator and ceiling draws (jointly drawn, or from
independent sources such as a bootstrap of the observed Spearman and the posterior of the ceiling).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import rankdata

from toolkit.models.interface import ModelData
from toolkit.models.rating_data import as_rating_data
from toolkit.models.rating_posterior import CATEGORIES, RatingParameters
from toolkit.models.summaries import draws_of, summarize_samples

__all__ = [
    "ceiling_table",
    "correlation_fraction_of_ceiling",
    "fraction_of_ceiling",
    "ordinal_noise_ceiling",
]


def fraction_of_ceiling(
    numerator: np.ndarray,
    ceiling: np.ndarray,
    *,
    paired: bool = True,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Draws of ``numerator / ceiling``.

    Parameters
    ----------
    numerator : array (S,) or (S, J)
        Draws of the correlation (e.g. posterior predictive or bootstrap draws of a Spearman).
    ceiling : array (S,) or (S', ...)
        Draws of the ceiling.
    paired : bool
        True when row ``s`` of both comes from the same posterior draw (the ratio is taken row by row);
        False for independent sources: each numerator draw is divided by a ceiling draw picked at random.
    rng : Generator or int, optional
        For the random pairing.

    Examples
    --------
    >>> num = np.array([0.3, 0.3, 0.3, 0.3])
    >>> fraction_of_ceiling(num, np.array([0.6, 0.75, 0.6, 0.75])).round(3).tolist()
    [0.5, 0.4, 0.5, 0.4]
    """
    numerator, ceiling = np.asarray(numerator, float), np.asarray(ceiling, float)
    if paired:
        if numerator.shape[0] != ceiling.shape[0]:
            raise ValueError(
                f"paired draws need the same number of rows: numerator {numerator.shape[0]}, "
                f"ceiling {ceiling.shape[0]}"
            )
        c = ceiling
    else:
        c = ceiling[np.random.default_rng(rng).integers(0, ceiling.shape[0], numerator.shape[0])]
    if numerator.ndim == 2 and c.ndim == 1:
        c = c[:, None]
    return numerator / c


def _ranks_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of the rows of ``a`` (S, n) with the rows of ``b`` (S, n)."""
    ra, rb = rankdata(a, axis=-1), rankdata(b, axis=-1)
    ra -= ra.mean(-1, keepdims=True)
    rb -= rb.mean(-1, keepdims=True)
    return (ra * rb).sum(-1) / np.sqrt((ra**2).sum(-1) * (rb**2).sum(-1))


def ordinal_noise_ceiling(
    params: RatingParameters,
    data: ModelData,
    *,
    k: int = 3,
    n_cells: int = 4000,
    n_draws: int = 200,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Model-implied noise ceiling and each judge's Spearman and fraction of ceiling (module docstring).

    Parameters
    ----------
    params : RatingParameters
        Posterior draws (:meth:`RatingParameters.from_idata`, or the variants' ``VariantParameters``, whose
        per-rater cutpoints and extra random effects are used).
    data : ModelData
        The rating model's data (generator mix, mention rates, judges).
    k : int
        Human ratings per cell in the mean (3 in the study).
    n_cells, n_draws : int
        Simulated cells per draw; posterior draws used (evenly thinned).
    seed : int
        Seed of the simulation (same seed, same numbers).

    Returns
    -------
    dict of arrays
        ``ceiling`` (Pearson of the k-human mean with T) and ``ceiling_spearman`` (S,); ``judge_spearman``
        (Spearman of each judge's rating with the k-human mean) and ``fraction_of_ceiling``
        (``judge_spearman / ceiling_spearman``), (S, J).
    """
    d = as_rating_data(data)
    rng = np.random.default_rng(seed)
    total = params.n_draws
    pick = np.linspace(0, total - 1, min(n_draws, total)).round().astype(int)
    n_r = len(d.raters)
    cuts = getattr(params, "rater_cutpoints", None)
    if cuts is None:
        cuts = np.broadcast_to(params.cutpoints[:, None, :], (total, n_r, 4))
    extra = getattr(params, "sd_extra", None)
    if extra is None:
        extra = np.zeros((total, n_r))
    w_g, rate = d.generator_weights(), d.mention_rates()
    s_n = pick.size
    g = rng.choice(len(w_g), size=(s_n, n_cells), p=w_g)
    m = (rng.random((s_n, n_cells)) < rate[g]).astype(float)
    sd_cell = np.sqrt(params.sd_item[pick] ** 2 + params.sd_attr[pick] ** 2 + extra[pick, 0] ** 2)
    z = np.take_along_axis(params.beta[pick], g, axis=1) + sd_cell[:, None] * rng.standard_normal(g.shape)
    h = params.sd_annot[pick][:, None] * rng.standard_normal((s_n, k))

    def rate_cells(eta: np.ndarray, cut: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cum = expit((cut[:, None, :] - eta[..., None]) / scale[:, None, None])  # (S, n, 4)
        probs = np.diff(
            np.concatenate([np.zeros(cum.shape[:-1] + (1,)), cum, np.ones(cum.shape[:-1] + (1,))], -1)
        )
        u = rng.random(eta.shape + (1,))
        return 1.0 + (u > cum).sum(-1), probs @ CATEGORIES.astype(float)

    ys, expected = [], []
    for a in range(k):
        eta = z + params.delta[pick, :1] * m + h[:, a : a + 1]
        y, e = rate_cells(eta, cuts[pick, 0], params.scale[pick, 0])
        ys.append(y)
        expected.append(e)
    ybar, t = np.mean(ys, axis=0), np.mean(expected, axis=0)
    yc, tc = ybar - ybar.mean(-1, keepdims=True), t - t.mean(-1, keepdims=True)
    ceiling = (yc * tc).sum(-1) / np.sqrt((yc**2).sum(-1) * (tc**2).sum(-1))
    ceiling_s = _ranks_corr(ybar, t)
    shared_llm = np.sqrt(np.clip(extra[pick, 1:] ** 2 - extra[pick, :1] ** 2, 0.0, None))  # LLM-only part
    s_llm = rng.standard_normal(g.shape)
    judge = np.empty((s_n, n_r - 1))
    for j in range(1, n_r):
        eta = (
            z
            + params.gamma[pick, j : j + 1]
            + params.delta[pick, j : j + 1] * m
            + shared_llm[:, j - 1 : j] * s_llm
            + params.sd_noise[pick, j : j + 1] * rng.standard_normal(g.shape)
        )
        y, _ = rate_cells(eta, cuts[pick, j], params.scale[pick, j])
        judge[:, j - 1] = _ranks_corr(y, ybar)
    return {
        "ceiling": ceiling,
        "ceiling_spearman": ceiling_s,
        "judge_spearman": judge,
        "fraction_of_ceiling": fraction_of_ceiling(judge, ceiling_s),
    }


def ceiling_table(params: RatingParameters, data: ModelData, **kwargs: Any) -> pd.DataFrame:
    """:func:`ordinal_noise_ceiling` as a tidy table: ``rater_id`` (``human`` for the ceiling rows),
    ``quantity``, ``mean, sd, ci_low, ci_high``.

    Examples
    --------
    >>> from toolkit.models.rating_data import RatingData
    >>> two = lambda *v: np.array([v, v], dtype=float)  # two identical draws
    >>> params = RatingParameters(
    ...     cutpoints=two(-2, -1, 0, 1), beta=two(0.0), gamma=two(0.0, 0.5), delta=two(0.0, 0.0),
    ...     sd_item=np.ones(2), sd_attr=np.ones(2), sd_annot=np.full(2, 0.3),
    ...     scale=two(1.0, 2.0), sd_noise=two(0.0, 0.0))
    >>> data = RatingData(
    ...     y=np.zeros(2, int), rater=np.array([0, 1]), annotator=np.array([0, 1]), item=np.zeros(2, int),
    ...     cell=np.zeros(2, int), generator=np.zeros(2, int), mention=np.zeros(2), cell_item=np.zeros(1, int),
    ...     cell_generator=np.zeros(1, int), cell_mention=np.zeros(1), raters=("human", "j"), judges=("j",),
    ...     annotators=("a",), generators=("g",), items=("i",), cells=("c",)).to_model_data()
    >>> t = ceiling_table(params, data, n_cells=2000)
    >>> t["quantity"].tolist()
    ['ceiling', 'ceiling_spearman', 'judge_spearman', 'fraction_of_ceiling']
    >>> bool(t["mean"].iloc[2] < t["mean"].iloc[1])   # a noisy judge is below the ceiling
    True
    """
    d = as_rating_data(data)
    out = ordinal_noise_ceiling(params, data, **kwargs)
    rows = [
        summarize_samples(out["ceiling"], {"rater_id": ["human"], "quantity": ["ceiling"]}),
        summarize_samples(out["ceiling_spearman"], {"rater_id": ["human"], "quantity": ["ceiling_spearman"]}),
    ]
    for q in ("judge_spearman", "fraction_of_ceiling"):
        rows.append(summarize_samples(out[q], {"rater_id": list(d.judges), "quantity": [q] * len(d.judges)}))
    return pd.concat(rows, ignore_index=True)


def correlation_fraction_of_ceiling(
    idata: Any, data: ModelData, rng: np.random.Generator | int | None = None, *, n_draws: int = 200
) -> pd.DataFrame:
    """The correlation model's fraction of ceiling with the numerator's uncertainty (module docstring).

    For each of ``n_draws`` posterior draws, data are replicated (:func:`~toolkit.models.correlation.
    replicate_correlation_data`, observed missingness kept) and each scorer's Spearman with the replicated
    human mean of its own submodel is divided by that draw's ceiling of the same submodel.

    Returns
    -------
    DataFrame
        ``scorer, quantity`` (``spearman_replicated``, ``fraction_of_ceiling``), ``mean, sd, ci_low, ci_high``.
    """
    from toolkit.models.correlation import reliability_draws, replicate_correlation_data

    rng = np.random.default_rng(rng)
    scorers = list(data.coords["scorer"])
    if not scorers:
        return pd.DataFrame(columns=["scorer", "quantity", "mean", "sd", "ci_low", "ci_high"])
    a = data.arrays
    total = draws_of(idata, "mu").shape[0]
    # replicate_correlation_data picks its draws with rng.choice; pick the same ones for the ceiling
    state = rng.bit_generator.state
    pick = rng.choice(total, size=min(n_draws, total), replace=False)
    rng.bit_generator.state = state
    y, x = replicate_correlation_data(idata, data, rng, n_draws)
    ceiling = reliability_draws(idata, int(a["k"]))["ceiling"][pick]  # (D, B)
    ym = a["y_mask"].astype(bool)
    n_h = ym.sum(1)
    rho = np.full((pick.size, len(scorers)), np.nan)
    for j in range(len(scorers)):
        ok = (a["x_mask"][:, j] > 0) & (n_h > 0)
        hmean = (y[:, j + 1] * ym).sum(-1)[:, ok] / n_h[ok]
        rho[:, j] = _ranks_corr(x[:, ok, j], hmean)
    frac = fraction_of_ceiling(rho, ceiling[:, 1:])
    return pd.concat(
        [
            summarize_samples(rho, {"scorer": scorers, "quantity": ["spearman_replicated"] * len(scorers)}),
            summarize_samples(frac, {"scorer": scorers, "quantity": ["fraction_of_ceiling"] * len(scorers)}),
        ],
        ignore_index=True,
    )
