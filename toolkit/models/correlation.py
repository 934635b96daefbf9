r"""Stage-3 noise-ceiling correlation model: how well can any scorer agree with noisy human ratings?

Question. LLM judges reach Spearman 0.11-0.38 with the mean of 3 human ratings and reward models about 0.3
(Table 6), while two humans agree at only 0.325. Is 0.3 near the limit set by human disagreement, or far from
it? This model measures the human noise, corrects each scorer's correlation for it (disattenuation), and gives
the *ceiling*: the correlation with the 3-human mean that a perfect scorer would reach.

The model (classical test theory as a Bayesian one-factor measurement model)
-----------------------------------------------------------------------------
Unit :math:`u` is one attribute rating (cell) of stage 3. Its latent quality is :math:`Q_u \sim N(0, 1)`:
the *true score* of the human raters (their expected rating, up to a linear map). Human :math:`r`'s rating is
a noisy measurement of it, on the rating scale,

.. math::

    y_{ur} = \mu + h_r + \lambda Q_u + \varepsilon_{ur}, \qquad \varepsilon_{ur} \sim N(0, \sigma^2),

with annotator offsets :math:`h_r` (fixed effects, sum-to-zero) and exchangeable (parallel) raters. A
scorer :math:`s` (an LLM judge's 1-5 rating or a reward model's score, standardized) is bivariate normal with
:math:`Q` with latent correlation :math:`\rho_s`:

.. math::

    x_{us} = \nu_s + \omega_s \bigl(\rho_s Q_u + \sqrt{1 - \rho_s^2}\, \xi_{us}\bigr), \qquad
    \xi_{us} \sim N(0, 1).

Derived quantities: single-rater reliability :math:`R_1 = \lambda^2 / (\lambda^2 + \sigma^2)` (the
intraclass correlation of two humans); reliability of the mean of :math:`k` humans by Spearman-Brown,
:math:`R_k = k R_1 / (1 + (k - 1) R_1)`; the **ceiling** :math:`\sqrt{R_k}` = correlation of :math:`Q` (a
perfect scorer) with the :math:`k`-human mean (:math:`k` = the usual number of human ratings per unit, 3), which
is also the largest correlation *any* scorer can have with that mean, since :math:`Q` is its expectation; and
each scorer's **expected observed correlation** :math:`\rho_s \sqrt{R_k}` with the :math:`k`-human mean, to
put beside its raw Spearman correlation. :math:`\rho_s` is Spearman's (1904) correction for attenuation applied
to the human side only: the scorer's own noise is part of its performance and is not corrected for.

Estimation. :math:`Q` is integrated out analytically (each unit's ratings and score are jointly normal with a
one-factor covariance, whose density has a closed form by the matrix determinant lemma and Woodbury's
identity), so the model has no per-unit parameters and samples in seconds. Each scorer gets its *own*
submodel (humans + that scorer; submodel ``human`` has the humans only and gives the headline ceiling): with
one scorer at a time, :math:`Q` is pinned by the three humans, whereas a joint model with all scorers would let
a block of mutually agreeing LLM judges redefine the latent factor as their consensus (stage-2 LLM-LLM kappa
0.597 vs human-LLM 0.300). Missing ratings or scores are allowed (the density is over what is observed).

Priors: :math:`\mu \sim N(3, 1)`, :math:`\lambda \sim N^+(0, 1)` (fixes the sign of :math:`Q`),
:math:`\sigma \sim N^+(0, 1.5^2)`, :math:`h \sim \text{ZeroSumNormal}(0.5)`, :math:`\nu_s \sim N(0, 1)`,
:math:`\omega_s \sim N^+(0, 2^2)`, :math:`\rho_s \sim U(-1, 1)`.

Why normal on the rating scale rather than ordinal. The ceiling is about correlations with the *observed mean
rating*, so the natural latent variable is the human true score on the rating scale (classical test theory;
Lord & Novick 1968), and :math:`\rho_s` is then the correlation with what an infinitely large human panel would
say. The normal likelihood only has to get the means and covariances right; its intervals are slightly
off for 5-point data (checked by parameter recovery and the posterior predictive checks). An ordinal
(probit) measurement model would instead target the correlation with a latent continuous quality, which no
scorer could be compared with directly, and its ceiling against the observed mean would need a numerical
integral. Note the estimand for an LLM judge is therefore the correlation of its *rating* (discrete, with
all its noise) with the human true score, not of its unobservable latent judgment: the simulator's
``latent_correlation_with_Q`` is a different (larger) quantity for judges. See :func:`implied_correlations`
for the model's estimands under a simulator ground truth.

Validation (``tests/toolkit/models/test_correlation.py``)
--------------------------------------------------------
The closed-form marginal density equals scipy's multivariate normal density (with missing entries). On
``toolkit.simulate`` studies the 90% intervals cover the estimands of :func:`implied_correlations` for the
ceiling, the single-rater reliability and every scorer's latent and expected observed correlation (full size:
ceiling 0.774 [0.732, 0.811] vs 0.769 true). Posterior predictive checks (:func:`ppc_correlation`): the
human-human correlation and each scorer's Pearson and Spearman correlation with the human mean are
reproduced. Sampling: ~15 leapfrog steps per draw; 2 chains x 2000 draws give bulk ESS ~5,000, r-hat ~1.003.

Literature: correction for attenuation, Spearman (1904) *The proof and measurement of association between two
things*, Am. J. Psychol. 15; Spearman (1910) and Brown (1910), the prophecy formula; classical test theory
and congeneric measurement, Lord & Novick (1968), Jöreskog (1971); intraclass correlation, Shrout & Fleiss
(1979); noise ceilings in neuroscience model evaluation, Nili et al. (2014) *A toolbox for representational
similarity analysis*, PLoS Comput Biol; Schoppe et al. (2016) *Measuring the performance of neural models*,
Front. Comput. Neurosci.; Lage-Castellanos et al. (2019) *Methods for computing the maximum performance of
computational models of fMRI responses*, PLoS Comput Biol; human upper bounds and rater noise in NLP
evaluation, e.g. Wong & Paritosh (2022) and Amidei, Piwek & Willis (2019) on human-agreement ceilings of
evaluation metrics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import rankdata

from toolkit.dataset import Dataset, file_sha256
from toolkit.metrics import correlation
from toolkit.models.interface import Model, ModelData
from toolkit.models.rating_data import rater_kinds
from toolkit.models.summaries import CI_PROB, draws_of, ppc_row, summarize_samples
from toolkit.vocabulary import HUMAN

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

_LOG_2PI = float(np.log(2.0 * np.pi))


# ------------------------------------------------------------------------------------------------------ data
def prepare_correlation_data(dataset: Dataset, *, k: int | None = None) -> ModelData:
    """Units x human ratings and units x scorer scores of stage 3.

    Units are the (personalized response, attribute) pairs with at least one human rating. Scorers are the LLM
    judges (raters of kind ``llm`` in ``response_ratings``) and the reward models (``scores`` by raters of kind
    ``reward_model``, per response and attribute; a score without ``attribute_id`` counts for every unit of its
    response). Each scorer's values are standardized over its observed units (correlations are unchanged).

    Parameters
    ----------
    k : int, optional
        Number of human raters whose mean the ceiling refers to (default: the most common number of human
        ratings per unit, 3 in the study).

    Returns
    -------
    ModelData
        arrays ``y`` (U x A human ratings, 0 where missing), ``y_mask``, ``x`` (U x S standardized scores),
        ``x_mask``, ``x_raw`` (unstandardized), ``k``; coords
        ``unit``, ``annotator``, ``scorer``, ``submodel`` (``human`` + scorers); tables ``units`` and
        ``scorers`` (scorer, kind).
    """
    dataset.require("response_ratings", purpose="the stage-3 correlation model")
    ratings = dataset.frame("response_ratings")
    kinds = rater_kinds(dataset, ratings["rater_id"])
    raters_order = list(dataset.frame("raters")["rater_id"]) if dataset.has("raters") else []
    order = {r: n for n, r in enumerate(raters_order)}

    def ordered(ids: list[str]) -> list[str]:
        return sorted(ids, key=lambda r: (order.get(r, len(order)), r))

    key = ["personalized_response_id", "attribute_id"]
    hum = ratings[ratings["rater_id"].map(kinds) == "human"]
    if hum.empty:
        raise ValueError("the correlation model needs human ratings")
    units = hum[key].drop_duplicates().reset_index(drop=True)
    unit_index = pd.MultiIndex.from_frame(units)
    annotators = ordered(list(pd.unique(hum["rater_id"])))
    U, A = len(units), len(annotators)
    y = np.zeros((U, A))
    y_mask = np.zeros((U, A))
    ui = unit_index.get_indexer(pd.MultiIndex.from_frame(hum[key]))
    ai = pd.Index(annotators).get_indexer(hum["rater_id"])
    y[ui, ai] = hum["rating"].to_numpy(float)
    y_mask[ui, ai] = 1.0

    columns: dict[str, np.ndarray] = {}
    kind_of: dict[str, str] = {}
    llm = ratings[ratings["rater_id"].map(kinds) == "llm"]
    for judge in ordered(list(pd.unique(llm["rater_id"]))):
        sub = llm[llm["rater_id"] == judge]
        col = np.full(U, np.nan)
        idx = unit_index.get_indexer(pd.MultiIndex.from_frame(sub[key]))
        ok = idx >= 0
        col[idx[ok]] = sub["rating"].to_numpy(float)[ok]
        columns[judge], kind_of[judge] = col, "llm"
    if dataset.has("scores"):
        scores = dataset.frame("scores")
        skinds = rater_kinds(dataset, scores["scorer_id"]) if not scores.empty else {}
        scores = scores[scores["scorer_id"].map(skinds) == "reward_model"] if not scores.empty else scores
        per_response = units.groupby("personalized_response_id").indices
        for scorer in ordered(list(pd.unique(scores["scorer_id"]))):
            sub = scores[scores["scorer_id"] == scorer]
            col = np.full(U, np.nan)
            for rid, attr, value in zip(sub["response_id"], sub["attribute_id"], sub["value"], strict=True):
                if attr is None or (isinstance(attr, float) and np.isnan(attr)):
                    col[per_response.get(rid, [])] = value
                else:
                    i = unit_index.get_indexer(pd.MultiIndex.from_tuples([(rid, attr)]))[0]
                    if i >= 0:
                        col[i] = value
            columns[scorer], kind_of[scorer] = col, "reward_model"
    scorers = list(columns)
    x_raw = np.column_stack([columns[s] for s in scorers]) if scorers else np.zeros((U, 0))
    x_mask = np.isfinite(x_raw).astype(float)
    x = np.zeros_like(x_raw)
    for j in range(x_raw.shape[1]):
        v = x_raw[x_mask[:, j] > 0, j]
        sd = v.std() if v.size > 1 and v.std() > 0 else 1.0
        x[:, j] = np.where(
            x_mask[:, j] > 0, (np.nan_to_num(x_raw[:, j]) - (v.mean() if v.size else 0.0)) / sd, 0.0
        )
    n_h = y_mask.sum(axis=1).astype(int)
    if k is None:
        k = int(np.bincount(n_h).argmax())
    units = units.assign(n_human=n_h)
    return ModelData(
        arrays={
            "y": y,
            "y_mask": y_mask,
            "x": x,
            "x_mask": x_mask,
            "x_raw": np.nan_to_num(x_raw),
            "k": np.array(k),
        },
        coords={
            "unit": [f"{a}|{b}" for a, b in zip(units[key[0]], units[key[1]], strict=True)],
            "annotator": annotators,
            "scorer": scorers,
            "submodel": [HUMAN, *scorers],
        },
        tables={
            "units": units,
            "scorers": pd.DataFrame({"scorer": scorers, "kind": [kind_of[s] for s in scorers]}),
        },
    )


# ----------------------------------------------------------------------------------------------------- model
def build_correlation_model(data: ModelData) -> pm.Model:
    """The PyMC model of the module docstring: one submodel per scorer (+ humans only), Q integrated out."""
    import pymc as pm
    import pytensor.tensor as pt

    a = data.arrays
    y, ym, x, xm = a["y"], a["y_mask"], a["x"], a["x_mask"]
    n_units, n_annot = y.shape
    n_scorers = x.shape[1]
    n_h = ym.sum(axis=1)  # (U,)
    coords = {k: data.coords[k] for k in ("annotator", "scorer", "submodel")}
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", 3.0, 1.0, dims="submodel")
        lam = pm.HalfNormal("loading", 1.0, dims="submodel")
        sigma = pm.HalfNormal("sigma", 1.5, dims="submodel")
        if n_annot > 1:
            # annotator offsets: fixed effects (sum to zero) with a weakly informative prior; with 3 annotators a
            # hierarchical sd is barely identified and its funnel costs divergences
            h = pm.ZeroSumNormal("h", sigma=0.5, dims=("submodel", "annotator"))
        else:
            h = pt.zeros((len(coords["submodel"]), 1))
        # humans, per submodel b and unit u
        resid = (y[None, :, :] - mu[:, None, None] - h[:, None, :]) * ym[None, :, :]  # (B, U, A)
        s1 = resid.sum(axis=-1)  # (B, U)
        s2 = (resid**2).sum(axis=-1)
        var = sigma**2
        a_term = (lam**2 / var)[:, None] * n_h[None, :]
        b_term = (lam / var)[:, None] * s1
        c_term = s2 / var[:, None]
        logdet = pt.log(var)[:, None] * n_h[None, :]
        n_obs = pt.as_tensor_variable(np.broadcast_to(n_h, (len(coords["submodel"]), n_units)).astype(float))
        if n_scorers:
            nu = pm.Normal("nu", 0.0, 1.0, dims="scorer")
            omega = pm.HalfNormal("omega", 2.0, dims="scorer")
            rho = pm.Uniform("rho", -1.0, 1.0, dims="scorer")
            one_m = 1.0 - rho**2
            e = (x - nu[None, :]) * xm  # (U, S)
            add_a = (rho**2 / one_m)[None, :] * xm
            add_b = (rho / (omega * one_m))[None, :] * e
            add_c = e**2 / (omega**2 * one_m)[None, :]
            add_logdet = pt.log(omega**2 * one_m)[None, :] * xm
            zeros = pt.zeros((1, n_units))
            a_term = a_term + pt.concatenate([zeros, add_a.T], axis=0)
            b_term = b_term + pt.concatenate([zeros, add_b.T], axis=0)
            c_term = c_term + pt.concatenate([zeros, add_c.T], axis=0)
            logdet = logdet + pt.concatenate([zeros, add_logdet.T], axis=0)
            n_obs = n_obs + np.concatenate([np.zeros((1, n_units)), xm.T], axis=0)
        logp = -0.5 * (n_obs * _LOG_2PI + logdet + pt.log1p(a_term) + c_term - b_term**2 / (1.0 + a_term))
        pm.Potential("units", logp.sum())
    return model


# ------------------------------------------------------------------------------------------------- posterior
def reliability_draws(idata: Any, k: int) -> dict[str, np.ndarray]:
    """Draws (S, B) per submodel: single-rater reliability, k-rater reliability and the ceiling."""
    lam = draws_of(idata, "loading")
    sigma = draws_of(idata, "sigma")
    r1 = lam**2 / (lam**2 + sigma**2)
    rk = k * r1 / (1.0 + (k - 1) * r1)
    return {"single_rater_reliability": r1, "k_rater_reliability": rk, "ceiling": np.sqrt(rk)}


def raw_correlations(data: ModelData, *, confidence: float = CI_PROB) -> pd.DataFrame:
    """Each scorer's raw Spearman and Pearson correlation with the human mean rating (toolkit.metrics).

    Columns ``scorer, metric, value, ci_low, ci_high, n_items`` (pingouin's Fisher-z interval).
    """
    a = data.arrays
    n_h = a["y_mask"].sum(axis=1)
    hmean = np.where(n_h > 0, a["y"].sum(axis=1) / np.maximum(n_h, 1), np.nan)
    rows = []
    for j, scorer in enumerate(data.coords["scorer"]):
        ok = (a["x_mask"][:, j] > 0) & np.isfinite(hmean)
        for method in ("spearman", "pearson"):
            r = correlation(a["x_raw"][ok, j], hmean[ok], method=method, confidence=confidence).iloc[0]
            rows.append(
                {
                    "scorer": scorer,
                    "metric": method,
                    "value": float(r["value"]),
                    "ci_low": float(r["ci_low"]),
                    "ci_high": float(r["ci_high"]),
                    "n_items": int(r["n_items"]),
                }
            )
    return pd.DataFrame(rows, columns=["scorer", "metric", "value", "ci_low", "ci_high", "n_items"])


def summarize_correlation(idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
    """Tidy summaries (``mean, sd, ci_low, ci_high``).

    Returns
    -------
    dict of DataFrame
        ``ceiling``: humans-only submodel, ``quantity`` in ``single_rater_reliability``,
        ``k_rater_reliability``, ``ceiling`` (column ``k`` = raters in the mean).
        ``scorers``: scorer x ``quantity`` in ``latent_correlation`` (rho, disattenuated),
        ``expected_observed_correlation`` (rho x ceiling of its submodel), ``ceiling`` (its submodel's),
        ``fraction_of_ceiling`` (raw Spearman / ceiling draws) and the raw ``spearman`` / ``pearson`` with the
        human mean (``sd`` NaN; interval = pingouin's Fisher-z ``CI_PROB`` interval; ``source`` = ``data``).
        ``raw``: the raw correlations as computed by :func:`raw_correlations`.
    """
    k = int(data.arrays["k"])
    rel = reliability_draws(idata, k)
    ceiling = pd.concat([summarize_samples(rel[q][:, 0], {"quantity": [q]}) for q in rel], ignore_index=True)
    ceiling.insert(1, "k", k)
    scorers = list(data.coords["scorer"])
    kinds = (
        dict(zip(data.tables["scorers"]["scorer"], data.tables["scorers"]["kind"], strict=True))
        if scorers
        else {}
    )
    raw = raw_correlations(data)
    tables = []
    if scorers:
        rho = draws_of(idata, "rho")
        ceil_own = rel["ceiling"][:, 1:]
        spearman = raw[raw["metric"] == "spearman"].set_index("scorer")["value"].reindex(scorers).to_numpy()
        for quantity, draws in (
            ("latent_correlation", rho),
            ("expected_observed_correlation", rho * ceil_own),
            ("ceiling", ceil_own),
            ("fraction_of_ceiling", spearman[None, :] / ceil_own),
        ):
            t = summarize_samples(draws, {"scorer": scorers})
            t.insert(1, "quantity", quantity)
            t["source"] = "posterior"
            tables.append(t)
        for metric in ("spearman", "pearson"):
            r = raw[raw["metric"] == metric]
            tables.append(
                pd.DataFrame(
                    {
                        "scorer": r["scorer"],
                        "quantity": metric,
                        "mean": r["value"],
                        "sd": np.nan,
                        "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"],
                        "source": "data",
                    }
                )
            )
    columns = ["scorer", "quantity", "mean", "sd", "ci_low", "ci_high", "source"]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
    table.insert(1, "kind", table["scorer"].map(kinds))
    return {"ceiling": ceiling, "scorers": table, "raw": raw}


def comparison_table(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per scorer: raw Spearman, latent correlation, expected observed correlation and the ceiling,
    each with its interval (a wide view of ``summaries["scorers"]`` for reports)."""
    s = summaries["scorers"]
    wide = s.pivot(index=["scorer", "kind"], columns="quantity", values=["mean", "ci_low", "ci_high"])
    wide.columns = [f"{q}_{stat}" for stat, q in wide.columns]
    order = pd.unique(s["scorer"])
    return wide.reset_index().set_index("scorer").loc[order].reset_index()


# ------------------------------------------------------------------------------------------------------- PPC
def _corr_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching rows of two (D, n) arrays (NaN where a row is constant)."""
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((a**2).sum(axis=-1) * (b**2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=-1) / den, np.nan)


def correlation_statistics(
    y: np.ndarray, x: np.ndarray, data: ModelData
) -> dict[tuple[str, str], np.ndarray]:
    """PPC statistics of human ratings ``y`` (D, U, A) and scores ``x`` (D, U, S) (or one data set without
    the leading D): the mean pairwise human-human Pearson correlation (``human_human_pearson``) and each
    scorer's Pearson and Spearman correlation with the human mean rating (``scorer_human_mean_pearson``,
    ``scorer_human_mean_spearman``), over the units where both exist. Values are arrays of length D."""
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    if y.ndim == 2:
        y, x = y[None], x[None]
    a = data.arrays
    ym, xm = a["y_mask"] > 0, a["x_mask"] > 0
    out: dict[tuple[str, str], np.ndarray] = {}
    pairs = []
    for i in range(y.shape[2]):
        for j in range(i + 1, y.shape[2]):
            both = ym[:, i] & ym[:, j]
            if both.sum() > 2:
                pairs.append(_corr_rows(y[:, both, i], y[:, both, j]))
    if pairs:
        out[("human_human_pearson", HUMAN)] = np.nanmean(np.stack(pairs), axis=0)
    n_h = ym.sum(axis=1)
    hmean = (y * ym).sum(axis=2) / np.maximum(n_h, 1)
    for j, scorer in enumerate(data.coords["scorer"]):
        ok = xm[:, j] & (n_h > 0)
        if ok.sum() <= 2:
            continue
        xs, hs = x[:, ok, j], hmean[:, ok]
        out[("scorer_human_mean_pearson", scorer)] = _corr_rows(xs, hs)
        out[("scorer_human_mean_spearman", scorer)] = _corr_rows(rankdata(xs, axis=1), rankdata(hs, axis=1))
    return out


def replicate_correlation_data(
    idata: Any, data: ModelData, rng: np.random.Generator, n_draws: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Replicated data from ``n_draws`` posterior draws: human ratings (D, B, U, A), one set per submodel
    (humans only, then each scorer's), and scores (D, U, S), whose column ``j`` shares its latent Q with the
    human set ``j + 1`` (the scorer's own submodel)."""
    a = data.arrays
    n_units, n_annot = a["y"].shape
    n_scorers = a["x"].shape[1]
    mu, lam, sigma = draws_of(idata, "mu"), draws_of(idata, "loading"), draws_of(idata, "sigma")
    h = draws_of(idata, "h") if "h" in idata["posterior"] else np.zeros(mu.shape + (n_annot,))
    pick = rng.choice(mu.shape[0], size=min(n_draws, mu.shape[0]), replace=False)
    n_sub = mu.shape[1]
    q = rng.standard_normal((pick.size, n_sub, n_units))
    y = (
        mu[pick][:, :, None, None]
        + h[pick][:, :, None, :]
        + lam[pick][:, :, None, None] * q[..., None]
        + sigma[pick][:, :, None, None] * rng.standard_normal((pick.size, n_sub, n_units, n_annot))
    )
    x = np.zeros((pick.size, n_units, n_scorers))
    if n_scorers:
        nu, omega, rho = (draws_of(idata, v)[pick] for v in ("nu", "omega", "rho"))
        qs = np.moveaxis(q[:, 1:, :], 1, 2)  # (D, U, S)
        x = nu[:, None, :] + omega[:, None, :] * (
            rho[:, None, :] * qs + np.sqrt(1.0 - rho[:, None, :] ** 2) * rng.standard_normal(qs.shape)
        )
    return y, x


def ppc_correlation(
    idata: Any, data: ModelData, rng: np.random.Generator | int | None = None, *, n_draws: int = 200
) -> pd.DataFrame:
    """Posterior predictive checks: the human-human correlation (humans-only submodel) and each scorer's
    Pearson and Spearman correlation with the human mean (its own submodel), observed vs replicated.

    Returns
    -------
    DataFrame
        ``check, scorer, observed, rep_mean, rep_sd, rep_low, rep_high, p_value, within_ci, defined, note``
        (an undefined statistic: ``p_value`` NaN, ``note`` "undefined on this design"; not a misfit).
    """
    rng = np.random.default_rng(rng)
    a = data.arrays
    observed = correlation_statistics(a["y"], a["x_raw"], data)
    y_rep, x_rep = replicate_correlation_data(idata, data, rng, n_draws)
    replicated = {}
    human = correlation_statistics(y_rep[:, 0], x_rep, data)
    if ("human_human_pearson", HUMAN) in human:
        replicated[("human_human_pearson", HUMAN)] = human[("human_human_pearson", HUMAN)]
    for j, scorer in enumerate(data.coords["scorer"]):
        own = correlation_statistics(y_rep[:, j + 1], x_rep, data)
        for check in ("scorer_human_mean_pearson", "scorer_human_mean_spearman"):
            if (check, scorer) in own:
                replicated[(check, scorer)] = own[(check, scorer)]
    rows = []
    for (check, who), obs in observed.items():
        vals = replicated.get((check, who))
        if vals is not None:
            rows.append(ppc_row(check, float(obs[0]), vals, scorer=who))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ estimands under a truth
def implied_correlations(
    stage3: Mapping[str, Any],
    *,
    generator_weights: Mapping[str, float] | None = None,
    mention_rates: Mapping[str, float] | None = None,
    k: int = 3,
    n: int = 200_000,
    seed: int = 0,
) -> dict[str, float]:
    """The model's estimands under a simulator ground truth (``truth["stage3"]``), by Monte Carlo.

    Simulates ``n`` units from the stage-3 generative model (generators drawn with ``generator_weights``,
    default equal; mentions with ``mention_rates``, default the truth's) and returns, with :math:`T` = the
    expected mean rating of the ``k`` annotators of the truth (the human true score):
    ``ceiling`` = corr(mean of k human ratings, T); ``single_rater_reliability`` = corr of two humans' ratings;
    and per scorer (LLM judge rating or reward-model score) its correlation with :math:`T` (the latent
    correlation the model estimates) under ``<scorer>``, and with the k-human mean under
    ``<scorer>:observed``.
    """
    rng = np.random.default_rng(seed)
    gens = list(stage3["beta"])
    w = np.array([float((generator_weights or {}).get(g, 1.0)) for g in gens])
    w = w / w.sum()
    rates = dict(stage3["mention_rate"]) | dict(mention_rates or {})
    g = rng.choice(len(gens), size=n, p=w)
    beta = np.array([stage3["beta"][x] for x in gens])[g]
    m = rng.random(n) < np.array([rates[x] for x in gens])[g]
    Q = beta + rng.normal(0, stage3["sd_item"], n) + rng.normal(0, stage3["sd_attr"], n)
    cut = np.asarray(stage3["cutpoints"], float)
    noise = stage3.get("sd_judge_noise", {})
    hs = list(stage3.get("h", {}).values())[:k] or [0.0] * k
    hs = hs + [0.0] * (k - len(hs))

    def expected(eta: np.ndarray) -> np.ndarray:
        return 1.0 + expit(eta[:, None] - cut[None, :]).sum(axis=1)

    def rate(eta: np.ndarray) -> np.ndarray:
        return 1.0 + (eta[:, None] + rng.logistic(size=(eta.size, 1)) > cut[None, :]).sum(axis=1)

    d_h, sd_h = stage3["delta"]["human"], float(noise.get("human", 0.0))
    etas = [Q + d_h * m + h for h in hs]
    # T: the expected k-human mean given the unit (human noise e, if any, integrated by Monte Carlo average)
    if sd_h > 0:
        T = np.mean(
            [np.mean([expected(e + rng.normal(0, sd_h, n)) for _ in range(8)], axis=0) for e in etas], axis=0
        )
    else:
        T = np.mean([expected(e) for e in etas], axis=0)
    y = np.column_stack([rate(e + (rng.normal(0, sd_h, n) if sd_h > 0 else 0.0)) for e in etas])
    ybar = y.mean(axis=1)
    out = {
        "ceiling": float(np.corrcoef(ybar, T)[0, 1]),
        "single_rater_reliability": float(np.corrcoef(y[:, 0], y[:, 1])[0, 1]) if k > 1 else float("nan"),
    }
    for judge, gamma in stage3["gamma"].items():
        if judge == HUMAN:
            continue
        eta = Q + gamma + stage3["delta"][judge] * m + rng.normal(0, float(noise.get(judge, 0.0)), n)
        x = rate(eta)
        out[judge] = float(np.corrcoef(x, T)[0, 1])
        out[f"{judge}:observed"] = float(np.corrcoef(x, ybar)[0, 1])
    z = (Q - Q.mean()) / Q.std()
    for scorer, rho in stage3.get("reward_rho", {}).items():
        x = rho * z + np.sqrt(1 - rho**2) * rng.standard_normal(n)
        out[scorer] = float(np.corrcoef(x, T)[0, 1])
        out[f"{scorer}:observed"] = float(np.corrcoef(x, ybar)[0, 1])
    return out


# ------------------------------------------------------------------------------------------- Model interface
@attrs.define
class CorrelationModel(Model):
    """Stage-3 noise-ceiling correlation model (see the module docs).

    Parameters
    ----------
    k : int or None
        Human raters whose mean the ceiling refers to (default: the most common number per unit).
    ppc_draws : int
        Posterior draws replicated by :meth:`ppc`.
    """

    name: ClassVar[str] = "correlation"
    version: ClassVar[str] = "1"
    records: ClassVar[tuple[str, ...]] = ("raters", "response_ratings", "scores")
    default_target_accept: ClassVar[float] = 0.9
    loglik_dim: ClassVar[str] = "submodel_unit"

    k: int | None = None
    ppc_draws: int = 200

    def prepare(self, dataset: Dataset) -> ModelData:
        return prepare_correlation_data(dataset, k=self.k)

    def data_hash(self, dataset: Dataset) -> str:
        """Hash of the record files read (``scores`` is optional)."""
        dataset.require("response_ratings", purpose="the correlation model")
        digest = hashlib.sha256()
        for rt in self.records:
            if dataset.has(rt):
                digest.update(f"{rt}:{file_sha256(dataset.file(rt))}\n".encode())
        return digest.hexdigest()

    def build(self, data: ModelData) -> pm.Model:
        return build_correlation_model(data)

    def summarize(self, idata: xr.DataTree, data: ModelData) -> dict[str, pd.DataFrame]:
        return summarize_correlation(idata, data)

    def ppc(self, idata: xr.DataTree, data: ModelData, rng: np.random.Generator) -> pd.DataFrame:
        return ppc_correlation(idata, data, rng, n_draws=self.ppc_draws)

    def pointwise_loglik(self, data: ModelData, posterior: xr.Dataset) -> xr.DataArray:
        """The ``units`` potential's terms (one unit in one submodel, Q integrated out), dims ``("chain", "draw",
        "submodel_unit")`` labelled ``submodel|unit``. See :mod:`toolkit.models.loo`."""
        from toolkit.models.loo import evaluate_draws, pointwise_array, potential_terms

        pm_model = self.build(data)
        ll = evaluate_draws(pm_model, potential_terms(pm_model, "units").flatten(), posterior)
        labels = [f"{b}|{u}" for b in data.coords["submodel"] for u in data.coords["unit"]]
        return pointwise_array(ll, posterior, "submodel_unit", labels)


__all__ = [
    "CorrelationModel",
    "build_correlation_model",
    "comparison_table",
    "correlation_statistics",
    "implied_correlations",
    "ppc_correlation",
    "prepare_correlation_data",
    "raw_correlations",
    "reliability_draws",
    "replicate_correlation_data",
    "summarize_correlation",
]
