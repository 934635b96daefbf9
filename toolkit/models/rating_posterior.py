"""Posterior quantities of the stage-3 rating model: population parameters, derived ratings, summaries, PPC.

:class:`RatingParameters` holds the population-level parameters per posterior draw (or a simulator ground
truth); :func:`rating_quantities` derives the expected ratings of a new cell by Gauss-Hermite quadrature (see
the module docstring of :mod:`toolkit.models.rating` for the definitions); :func:`summarize_rating` makes the
tidy summary tables and :func:`ppc_rating` the posterior predictive checks. Numpy and scipy only (no PyMC).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import rankdata

from toolkit.models.interface import ModelData
from toolkit.models.rating_data import CUTPOINT_LABELS, RatingData, as_rating_data
from toolkit.models.summaries import draws_of, ppc_row, summarize_samples
from toolkit.vocabulary import HUMAN

__all__ = [
    "CATEGORIES",
    "LOGISTIC_PROBIT",
    "N_QUAD",
    "RatingParameters",
    "judge_noise_of",
    "noise_sd_from_scale",
    "ppc_rating",
    "rating_quantities",
    "rating_statistics",
    "replicate_ratings",
    "summarize_rating",
]

#: The rating categories.
CATEGORIES = np.arange(1, 6)
#: Gauss-Hermite nodes that integrate a new cell's random effects out of the derived quantities.
N_QUAD = 32


def judge_noise_of(idata: Any) -> str:
    """Which ``judge_noise`` variant a posterior comes from."""
    post = idata["posterior"]
    if "log_scale" in post:
        return "scale"
    if "sd_judge_noise" in post:
        return "latent"
    return "none"


#: logistic(x) ~ Phi(x / 1.702) (Camilli 1994): the normal sd that best matches the unit logistic CDF
LOGISTIC_PROBIT = 1.702


def noise_sd_from_scale(scale: np.ndarray) -> np.ndarray:
    r"""Extra normal noise sd implied by a judge's logistic scale: ``1.702 sqrt(scale^2 - 1)`` (0 below 1).

    With the logistic link approximated by a normal CDF of sd 1.702, :math:`e \sim N(0, s^2)` added to the
    latent makes the link a normal CDF of sd :math:`\sqrt{1.702^2 + s^2}`, which a logistic of scale
    :math:`\sigma` matches when :math:`1.702\,\sigma = \sqrt{1.702^2 + s^2}`. (Matching variances instead,
    :math:`\pi/\sqrt3` for 1.702, overstates :math:`s` by 6% for very noisy judges.)
    """
    return LOGISTIC_PROBIT * np.sqrt(np.clip(np.asarray(scale, float) ** 2 - 1.0, 0.0, None))


@attrs.frozen
class RatingParameters:
    """Population-level parameters, one row per posterior draw (or a single row for a ground truth).

    Rater-group arrays have the human group first (``gamma`` 0, ``scale`` 1, ``sd_noise`` 0 for humans).
    ``scale`` is the logistic scale of the ``"scale"`` variant; ``sd_noise`` the normal noise sd of the
    ``"latent"`` variant (or of a ground truth), integrated out exactly by quadrature.
    """

    cutpoints: np.ndarray  # (S, 4)
    beta: np.ndarray  # (S, G)
    gamma: np.ndarray  # (S, R)
    delta: np.ndarray  # (S, R)
    sd_item: np.ndarray  # (S,)
    sd_attr: np.ndarray  # (S,)
    sd_annot: np.ndarray  # (S,)
    scale: np.ndarray  # (S, R)
    sd_noise: np.ndarray  # (S, R)

    @classmethod
    def from_idata(cls, idata: Any) -> RatingParameters:
        cut = draws_of(idata, "cutpoints")
        s = cut.shape[0]
        gamma = draws_of(idata, "gamma")
        noise = judge_noise_of(idata)
        scale = np.ones((s, 1 + gamma.shape[1]))
        sd_noise = np.zeros_like(scale)
        if noise == "scale":
            scale[:, 1:] = draws_of(idata, "scale")
        elif noise == "latent":
            sd_noise[:, 1:] = draws_of(idata, "sd_judge_noise")
        return cls(
            cutpoints=cut,
            beta=draws_of(idata, "beta"),
            gamma=np.concatenate([np.zeros((s, 1)), gamma], axis=1),
            delta=draws_of(idata, "delta"),
            sd_item=draws_of(idata, "sd_item"),
            sd_attr=draws_of(idata, "sd_attr"),
            sd_annot=draws_of(idata, "sd_annot"),
            scale=scale,
            sd_noise=sd_noise,
        )

    @classmethod
    def from_truth(cls, stage3: Mapping[str, Any], data: RatingData | ModelData) -> RatingParameters:
        """The simulator's ground truth (``truth["stage3"]``) in this parameterisation (generators centred)."""
        d = as_rating_data(data)
        beta = np.array([stage3["beta"][g] for g in d.generators], dtype=float)
        groups = [HUMAN, *d.judges]
        noise = stage3.get("sd_judge_noise", {})
        row = lambda v: np.asarray(v, dtype=float)[None, ...]  # noqa: E731
        return cls(
            cutpoints=row(np.asarray(stage3["cutpoints"], float) - beta.mean()),
            beta=row(beta - beta.mean()),
            gamma=row([0.0 if g == HUMAN else stage3["gamma"][g] for g in groups]),
            delta=row([stage3["delta"][g] for g in groups]),
            sd_item=row(stage3["sd_item"]).reshape(1),
            sd_attr=row(stage3["sd_attr"]).reshape(1),
            sd_annot=row(stage3.get("sd_annotator", 0.0)).reshape(1),
            scale=np.ones((1, len(groups))),
            sd_noise=row([float(noise.get(g, 0.0)) for g in groups]),
        )

    @property
    def n_draws(self) -> int:
        return int(self.cutpoints.shape[0])

    def category_probs(self) -> np.ndarray:
        """P(y = c) for a new cell rated by a typical rater of each group: array (S, R, G, 2 [mention], 5)."""
        x, w = np.polynomial.hermite_e.hermegauss(N_QUAD)
        w = w / w.sum()
        # total normal sd of the cell-level deviation per rater group: q + a (+ judge noise)
        tot = np.sqrt(self.sd_item[:, None] ** 2 + self.sd_attr[:, None] ** 2 + self.sd_noise**2)  # (S, R)
        m = np.array([0.0, 1.0])
        eta = (
            self.beta[:, None, :, None, None]
            + self.gamma[:, :, None, None, None]
            + self.delta[:, :, None, None, None] * m[None, None, None, :, None]
            + tot[:, :, None, None, None] * x
        )  # (S, R, G, 2, Q)
        z = (self.cutpoints[:, None, None, None, None, :] - eta[..., None]) / self.scale[
            :, :, None, None, None, None
        ]
        cum = np.einsum("srgmqk,q->srgmk", expit(z), w)  # (S, R, G, 2, 4)
        pad = cum.shape[:-1] + (1,)
        return np.diff(np.concatenate([np.zeros(pad), cum, np.ones(pad)], axis=-1), axis=-1)


def rating_quantities(params: RatingParameters, data: RatingData | ModelData) -> dict[str, np.ndarray]:
    """Draws of the derived population quantities (module docstring); arrays with the draws first.

    Keys: ``mean_rating_by_generator`` / ``p_better_by_generator`` (S, R, G); ``mean_rating`` / ``p_better``
    / ``mention_effect_rating`` (S, R), averaged over the observed generator mix.
    """
    d = as_rating_data(data)
    probs = params.category_probs()  # (S, R, G, 2, 5)
    mean = probs @ CATEGORIES.astype(float)  # (S, R, G, 2)
    better = probs[..., 3:].sum(axis=-1)
    rate = d.mention_rates()
    w_g = d.generator_weights()
    mix = np.stack([1.0 - rate, rate], axis=-1)  # (G, 2)
    mean_g = (mean * mix).sum(axis=-1)
    better_g = (better * mix).sum(axis=-1)
    return {
        "mean_rating_by_generator": mean_g,
        "p_better_by_generator": better_g,
        "mean_rating": mean_g @ w_g,
        "p_better": better_g @ w_g,
        "mention_effect_rating": (mean[..., 1] - mean[..., 0]) @ w_g,
    }


def _long(labels: Mapping[str, list[Any]], quantity: str, draws: np.ndarray) -> pd.DataFrame:
    table = summarize_samples(draws, dict(labels))
    table.insert(len(labels), "quantity", quantity)
    return table


def summarize_rating(idata: Any, data: RatingData | ModelData) -> dict[str, pd.DataFrame]:
    """Tidy summaries (long format: label columns, ``quantity``, ``mean, sd, ci_low, ci_high``).

    Returns
    -------
    dict of DataFrame
        ``generators`` (generator x ``mean_rating`` | ``p_better`` | ``p_no_better`` for a typical human,
        ``beta`` latent); ``judges`` (rater_id = ``human`` and each judge x ``inflation`` | ``mean_rating`` |
        ``mean_rating_shift`` (minus the human mean) | ``p_better`` | ``scale`` | ``sd_judge_noise`` (fitted
        in ``"latent"``, implied by the scale in ``"scale"``)); ``mention`` (rater x ``latent`` |
        ``rating``, with ``significant``); ``parameters`` (cutpoints and random-effect sds).
    """
    d = as_rating_data(data)
    p = RatingParameters.from_idata(idata)
    q = rating_quantities(p, d)
    gens = {"generator": list(d.generators)}
    raters = {"rater_id": list(d.raters)}
    better_h = q["p_better_by_generator"][:, 0, :]
    generators = pd.concat(
        [
            _long(gens, "mean_rating", q["mean_rating_by_generator"][:, 0, :]),
            _long(gens, "p_better", better_h),
            _long(gens, "p_no_better", 1.0 - better_h),
            _long(gens, "beta", p.beta),
        ],
        ignore_index=True,
    )
    noise = judge_noise_of(idata)
    sd_noise = p.sd_noise if noise != "scale" else noise_sd_from_scale(p.scale)
    judges = pd.concat(
        [
            _long(raters, "inflation", p.gamma),
            _long(raters, "mean_rating", q["mean_rating"]),
            _long(raters, "mean_rating_shift", q["mean_rating"] - q["mean_rating"][:, :1]),
            _long(raters, "p_better", q["p_better"]),
            _long(raters, "scale", p.scale),
            _long(raters, "sd_judge_noise", sd_noise),
        ],
        ignore_index=True,
    )
    mention = pd.concat(
        [
            _long({"rater": list(d.raters)}, "latent", p.delta),
            _long({"rater": list(d.raters)}, "rating", q["mention_effect_rating"]),
        ],
        ignore_index=True,
    )
    mention["significant"] = (mention["ci_low"] > 0) | (mention["ci_high"] < 0)
    parameters = pd.concat(
        [
            _long({"parameter": [f"cutpoint[{c}]" for c in CUTPOINT_LABELS]}, "cutpoint", p.cutpoints),
            _long({"parameter": ["sd_item"]}, "sd", p.sd_item),
            _long({"parameter": ["sd_attr"]}, "sd", p.sd_attr),
            _long({"parameter": ["sd_annot"]}, "sd", p.sd_annot),
        ],
        ignore_index=True,
    )
    return {"generators": generators, "judges": judges, "mention": mention, "parameters": parameters}


# ------------------------------------------------------------------------------------------------------- PPC
def replicate_ratings(
    idata: Any, data: RatingData | ModelData, rng: np.random.Generator, n_draws: int = 200
) -> np.ndarray:
    """Replicated ratings (1..5) of the observed design, shape (n_draws, N), one row per posterior draw.

    Item, cell and annotator effects are the posterior ones (replication of the same cells by the same
    raters); the ``"latent"`` variant's per-rating judge noise is drawn anew.
    """
    d = as_rating_data(data)
    p = RatingParameters.from_idata(idata)
    pick = rng.choice(p.n_draws, size=min(n_draws, p.n_draws), replace=False)
    h = np.concatenate([draws_of(idata, "h")[pick], np.zeros((pick.size, 1))], axis=1)
    r = d.rater
    eta = (
        p.beta[pick][:, d.generator]
        + p.gamma[pick][:, r]
        + p.delta[pick][:, r] * d.mention
        + draws_of(idata, "q")[pick][:, d.item]
        + draws_of(idata, "a")[pick][:, d.cell]
        + h[:, d.annotator]
        + p.sd_noise[pick][:, r] * rng.standard_normal((pick.size, d.n))
    )
    cum = expit((p.cutpoints[pick][:, None, :] - eta[..., None]) / p.scale[pick][:, r][..., None])
    u = rng.random((pick.size, d.n, 1))
    return 1 + (u > cum).sum(axis=-1)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def rating_statistics(y: np.ndarray, data: RatingData | ModelData) -> dict[tuple[str, str], float]:
    """PPC statistics of one rating vector (1..5), keyed by (check, rater group).

    Per rater group: the share of each rating and the mean; per judge: the mean rating difference with
    minus without mention and the Spearman correlation with the human mean rating of the cell; the mean
    pairwise human-human Spearman.
    """
    d = as_rating_data(data)
    out: dict[tuple[str, str], float] = {}
    for g, name in enumerate(d.raters):
        sel = d.rater == g
        if not sel.any():
            continue
        yy = y[sel]
        out[("mean_rating", name)] = float(yy.mean())
        for k in CATEGORIES:
            out[(f"share_{k}", name)] = float(np.mean(yy == k))
        m = d.mention[sel] > 0
        if m.any() and (~m).any():
            out[("mention_difference", name)] = float(yy[m].mean() - yy[~m].mean())
    n_cells = len(d.cells)
    hum = d.rater == 0
    hcnt = np.bincount(d.cell[hum], minlength=n_cells)
    hmean = np.bincount(d.cell[hum], weights=y[hum], minlength=n_cells) / np.maximum(hcnt, 1)
    for g, name in enumerate(d.raters[1:], start=1):
        sel = (d.rater == g) & (hcnt[d.cell] > 0)
        out[("spearman_with_human_mean", name)] = _spearman(y[sel], hmean[d.cell[sel]])
    by_annot = []
    for a in range(len(d.annotators)):
        v = np.full(n_cells, np.nan)
        sel = hum & (d.annotator == a)
        v[d.cell[sel]] = y[sel]
        by_annot.append(v)
    pairs = []
    for i in range(len(by_annot)):
        for j in range(i + 1, len(by_annot)):
            both = ~np.isnan(by_annot[i]) & ~np.isnan(by_annot[j])
            pairs.append(_spearman(by_annot[i][both], by_annot[j][both]))
    if pairs and not np.all(np.isnan(pairs)):
        out[("spearman_human_human", HUMAN)] = float(np.nanmean(pairs))
    return out


def ppc_rating(
    idata: Any,
    data: RatingData | ModelData,
    rng: np.random.Generator | int | None = None,
    *,
    n_draws: int = 200,
) -> pd.DataFrame:
    """Posterior predictive checks: each statistic of :func:`rating_statistics`, observed vs replicated.

    Returns
    -------
    DataFrame
        One row per (check, rater): ``check, rater, observed, rep_mean, rep_sd, rep_low, rep_high, p_value,
        within_ci, defined, note`` (see :func:`toolkit.models.summaries.ppc_row`). A statistic undefined on
        the design (e.g. a judge's Spearman with the human mean when no cell has both) has ``p_value`` NaN
        and ``note`` "undefined on this design"; it is not a misfit.
    """
    d = as_rating_data(data)
    rng = np.random.default_rng(rng)
    reps = replicate_ratings(idata, d, rng, n_draws)
    observed = rating_statistics(d.y + 1, d)
    rep_stats = [rating_statistics(r, d) for r in reps]
    rows = []
    for (check, rater), obs in observed.items():
        vals = np.array([r.get((check, rater), np.nan) for r in rep_stats], dtype=float)
        rows.append(ppc_row(check, obs, vals, rater=rater))  # undefined on the design: p_value NaN, noted
    return pd.DataFrame(rows)
