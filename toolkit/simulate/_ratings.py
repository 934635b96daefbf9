"""Stage 3's latent draws (item, attribute and judge effects, ratings, reward scores) and the rank statistics
the balanced draw is conditioned on (typical-set conditioning, see ``SimulationConfig.typical_band``).

Split from ``_stages`` (which calls :func:`stage3_draw` in its fixed draw order); the tuning reuses
:func:`stage3_draw` and :func:`correlation_stats` on a large replicate of the design.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from toolkit.simulate._sampling import OrthogonalDraws, Sampler
from toolkit.simulate.config import LLMS, RANK_TOLERANCE, REWARD_MODELS, SimulationConfig

__all__ = ["rankdata", "correlation_stats", "max_deviation", "stage3_expected", "stage3_draw"]

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def rankdata(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Average ranks (ties get the mean of their positions), as :func:`scipy.stats.rankdata`; ``axis=0``
    ranks each column. Kept here so that simulating does not import scipy.stats."""
    x = np.asarray(x, dtype=float)
    if axis == 0 and x.ndim == 2:
        return np.column_stack([rankdata(x[:, c]) for c in range(x.shape[1])])
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(xs)]
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based positions start+1 .. end
    ranks = np.empty(len(xs))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def _rank_corr(ranks: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of ``ranks`` with the vector ``other`` (ranks already)."""
    a = ranks - ranks.mean(axis=0)
    b = other - other.mean()
    den = np.sqrt((a**2).sum(axis=0) * (b**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b[:, None]).sum(axis=0) / den, np.nan)


def correlation_stats(draw: dict[str, np.ndarray]) -> dict[str, float]:
    """The stage-3 rank statistics the paper reports, from one draw (conditioning statistics): Spearman of
    each LLM judge and reward model with the human mean rating, mean pairwise human Spearman and quadratic
    weighted kappa."""
    rh, rl, rm = draw["s3_rating_h"], draw["s3_rating_l"], draw["s3_rm"]
    hm_rank = rankdata(rh.mean(axis=1))
    sl = _rank_corr(rankdata(rl, axis=0), hm_rank)
    sr = _rank_corr(rankdata(rm, axis=0), hm_rank)
    out = {f"spearman.{j}": float(sl[k]) for k, j in enumerate(LLMS)}
    out.update({f"spearman.{r}": float(sr[k]) for k, r in enumerate(REWARD_MODELS)})
    n_h = rh.shape[1]
    if n_h > 1:
        corr = np.corrcoef(rankdata(rh, axis=0), rowvar=False)
        upper = np.triu_indices(n_h, 1)
        out["spearman.human_human"] = float(np.mean(corr[upper]))
        pairs = zip(*upper, strict=True)
        out["weighted_kappa.human_human"] = float(
            np.mean([_quadratic_kappa(rh[:, i], rh[:, j]) for i, j in pairs])
        )
    return out


def _quadratic_kappa(a: np.ndarray, b: np.ndarray, k: int = 5) -> float:
    """Quadratic-weighted Cohen's kappa of two 1..k rating vectors (conditioning statistic)."""
    table = np.zeros((k, k))
    np.add.at(table, (a - 1, b - 1), 1.0)
    table /= table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    w = np.subtract.outer(np.arange(k), np.arange(k)) ** 2
    den = (w * expected).sum()
    return float(1 - (w * table).sum() / den) if den > 0 else float("nan")


def max_deviation(draw: dict[str, np.ndarray], expected: dict[str, float]) -> float:
    """Largest deviation from the expectation, in units of each statistic's calibration tolerance."""
    got = correlation_stats(draw)
    return max(abs(got[k] - expected[k]) / RANK_TOLERANCE[k.split(".")[0]] for k in expected)


def stage3_expected(
    config: SimulationConfig,
    sampler: Sampler,
    unit_item: np.ndarray,
    item_gen: np.ndarray,
    mention: np.ndarray,
    n_h: int,
    *,
    judge_cuts: np.ndarray | None = None,
    sd_cell: float = 0.0,
) -> dict[str, float]:
    """Expected conditioning statistics: their values on a replicate of the design with about
    ``config.replicate_units`` units (the same items, generators and mentions, repeated). ``judge_cuts`` and
    ``sd_cell`` as in :func:`stage3_draw`."""
    reps = max(1, int(np.ceil(config.replicate_units / len(unit_item))))
    n_items = len(item_gen)
    big_item = (unit_item[None, :] + n_items * np.arange(reps)[:, None]).ravel()
    draw = stage3_draw(
        config,
        sampler,
        big_item,
        np.tile(item_gen, reps),
        np.tile(mention, reps),
        n_h,
        judge_cuts=judge_cuts,
        sd_cell=sd_cell,
    )
    return correlation_stats(draw)


def stage3_draw(
    config: SimulationConfig,
    sampler: Sampler,
    unit_item: np.ndarray,
    item_gen: np.ndarray,
    mention: np.ndarray,
    n_h: int,
    *,
    judge_cuts: np.ndarray | None = None,
    sd_cell: float = 0.0,
) -> dict[str, np.ndarray]:
    """Item and attribute effects, judge noise, ratings and reward scores for the given units.

    ``judge_cuts`` (``(n_llm, 4)``) and ``sd_cell`` are the ``"judge-thresholds"`` misspecification: each
    LLM judge's own cutpoints, and the SD of a cell effect added to every LLM judge's latent value (drawn as
    one more column of the noise block, returned as ``s3_e_shared``). The defaults are the model.
    """
    cfg = config.stage3
    n_units, n_items = len(unit_item), len(item_gen)
    gen = item_gen[unit_item]
    ortho = OrthogonalDraws(sampler, n_units)
    for col in np.equal.outer(gen, np.arange(len(LLMS))).T:
        ortho.add_direction(col.astype(float))
    ortho.add_direction(mention.astype(float))
    ortho.set_strata(gen * 2 + mention)
    # item effect q: balanced -> weighted (by units) orthogonal to generators and mention shares
    n_per_item = np.bincount(unit_item, minlength=n_items).astype(float)
    g = sampler.rng.standard_normal(n_items)
    if sampler.balanced:
        mshare = np.bincount(unit_item, weights=mention.astype(float), minlength=n_items) / np.maximum(
            n_per_item, 1
        )
        x = np.column_stack([np.equal.outer(item_gen, np.arange(len(LLMS))).astype(float), mshare])
        wx = x * n_per_item[:, None]
        coef = np.linalg.lstsq(x.T @ wx, wx.T @ g, rcond=None)[0]
        g = g - x @ coef
        g = g / np.sqrt(np.average(g**2, weights=n_per_item))
    q = cfg.sd_item * g
    ortho.add_direction(q[unit_item])
    n_rm = len(REWARD_MODELS)
    human_e = cfg.sd_judge_noise["human"] > 0
    kinds = (
        ["normal"]  # a
        + ["normal"] * (n_h if human_e else 0)  # e per human annotator
        + ["normal"] * len(LLMS)  # e per LLM judge
        + ["logistic"] * (n_h + len(LLMS))  # rating noise
        + ["normal"] * n_rm  # reward-model noise
        + (["normal"] if sd_cell > 0 else [])  # misspecified: cell effect shared by the LLM judges
    )
    block = ortho.block(kinds)
    e_shared = sd_cell * block[:, -1] if sd_cell > 0 else None
    cols = iter(block[:, :-1].T if sd_cell > 0 else block.T)
    a = cfg.sd_attr * next(cols)
    beta = np.array([cfg.beta[x] for x in LLMS])
    Q = beta[gen] + q[unit_item] + a
    e_h = np.column_stack([cfg.sd_judge_noise["human"] * next(cols) for _ in range(n_h)]) if human_e else None
    e_l = np.column_stack([cfg.sd_judge_noise[j] * next(cols) for j in LLMS])
    cuts = np.asarray(cfg.cutpoints)

    def rate(
        fixed: np.ndarray, random: np.ndarray, sd_e: float, cuts: np.ndarray = cuts
    ) -> tuple[np.ndarray, np.ndarray]:
        # fixed: the non-random part of eta; its random part (q + a + e) has SD tau in the population
        latent = fixed + random + next(cols)
        tau = float(np.sqrt(cfg.sd_item**2 + cfg.sd_attr**2 + sd_e**2))
        p_gt = _population_exceedance(fixed, tau, cuts)
        return sampler.ordinal(latent, p_gt, cuts, mention), latent

    h = sampler.normal(n_h, cfg.sd_annotator)
    rating_h = np.empty((n_units, n_h), dtype=np.int64)
    lat_h = np.empty((n_units, n_h))
    random_q = q[unit_item] + a
    for k in range(n_h):
        e = e_h[:, k] if human_e else 0.0
        fixed = beta[gen] + cfg.delta["human"] * mention + h[k]
        rating_h[:, k], lat_h[:, k] = rate(fixed, random_q + e, cfg.sd_judge_noise["human"])
    rating_l = np.empty((n_units, len(LLMS)), dtype=np.int64)
    lat_l = np.empty((n_units, len(LLMS)))
    for j, judge in enumerate(LLMS):
        fixed = beta[gen] + cfg.gamma[judge] + cfg.delta[judge] * mention
        if sd_cell > 0 or judge_cuts is not None:  # misspecified: judge cutpoints, shared LLM cell effect
            sd_e = float(np.hypot(cfg.sd_judge_noise[judge], sd_cell))
            cuts_j = cuts if judge_cuts is None else np.asarray(judge_cuts[j], dtype=float)
            shared = e_shared if e_shared is not None else 0.0
            rating_l[:, j], lat_l[:, j] = rate(fixed, random_q + e_l[:, j] + shared, sd_e, cuts_j)
        else:
            rating_l[:, j], lat_l[:, j] = rate(fixed, random_q + e_l[:, j], cfg.sd_judge_noise[judge])
    zq = (Q - Q.mean()) / Q.std() if n_units > 1 and Q.std() > 0 else np.zeros(n_units)
    rm = np.empty((n_units, n_rm))
    for s, rid in enumerate(REWARD_MODELS):
        rho = cfg.reward_rho[rid]
        rm[:, s] = rho * zq + np.sqrt(1 - rho**2) * next(cols)
    out = {} if e_shared is None else {"s3_e_shared": e_shared}
    return out | {
        "s3_q": q,
        "s3_a": a,
        "s3_Q": Q,
        "s3_h": h,
        "s3_e_l": e_l,
        "s3_latent_h": lat_h,
        "s3_latent_l": lat_l,
        "s3_rating_h": rating_h,
        "s3_rating_l": rating_l,
        "s3_rm": np.round(rm, 4),
    }


def _population_exceedance(fixed: np.ndarray, tau: float, cuts: np.ndarray) -> np.ndarray:
    """``P(y > k)`` per unit and cutpoint, integrating a N(0, tau^2) random part and the logistic noise."""
    values, where = np.unique(fixed, return_inverse=True)
    z = values[:, None, None] + tau * _GH_NODES[None, :, None] - cuts[None, None, :]
    return (expit(z) * _GH_WEIGHTS[None, :, None]).sum(axis=1)[where]
