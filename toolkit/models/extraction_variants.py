r"""Alternative structures of the stage-1 extraction model (:mod:`toolkit.models.extraction`).

The default model has user and annotator effects, so the three judgments of one attribute are independent
given its user, and one gap :math:`\delta` between the two cutpoints for every annotator. Two variants, each
a Model of its own, otherwise identical to the default (priors, parameterisation, summaries, checks):

``extraction-attribute``
    An attribute random effect :math:`t_i \sim N(0, \sigma_\text{attr}^2)`, :math:`\sigma_\text{attr} \sim
    N^+(0, 1)` (non-centred), shared by the annotators of attribute :math:`i`:
    :math:`\eta_{ik} = \alpha_{s(u)} + v_u + w_k + t_i`. The population shares integrate it out with the
    user and annotator effects (total SD :math:`\sqrt{\sigma_\text{user}^2 + \sigma_\text{annotator}^2 +
    \sigma_\text{attr}^2}`). The likelihood is per judgment (judgments no longer share a cell's predictor).
``extraction-annotator-gap``
    Annotator-specific gaps, :math:`\delta_k = \delta \exp(\sigma_\text{gap} z_k)`, :math:`z_k \sim N(0, 1)`,
    :math:`\sigma_\text{gap} \sim N^+(0, 0.5^2)` (some annotators use "uncertain" more); ``gap`` is the gap
    of a typical annotator, and the population shares integrate a new annotator's gap out (Gauss-Hermite
    over its log).

Both have ``pointwise_loglik`` per judgment (dims ``chain, draw, judgment``), computed from the posterior.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from toolkit.models.extraction import ExtractionModel
from toolkit.models.interface import ModelData
from toolkit.models.summaries import draws_of, expit, log_expit, parameter_table

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm
    import xarray as xr

__all__ = [
    "ExtractionAttributeModel",
    "ExtractionGapModel",
    "ExtractionVariant",
    "label_loglik",
]


def label_loglik(eta: np.ndarray, gap: np.ndarray, label: np.ndarray) -> np.ndarray:
    """log P(label | eta, gap) of the cumulative-logit model (0 rejected, 1 uncertain, 2 accepted), stable.

    Examples
    --------
    >>> p = np.exp(label_loglik(np.zeros(3), np.ones(3), np.array([0, 1, 2])))
    >>> round(float(p.sum()), 12)
    1.0
    """
    eta, gap = np.broadcast_arrays(np.asarray(eta, float), np.asarray(gap, float))
    log_acc = log_expit(eta)
    log_rej = log_expit(-eta - gap)
    # P(uncertain) = logistic(eta + gap) - logistic(eta), as in the model's PyTensor graph
    log_unc = eta + np.log(np.expm1(gap)) + log_expit(-(eta + gap)) + log_expit(-eta)
    return np.choose(np.asarray(label, np.int64), [log_rej, log_unc, log_acc])


def _sample_labels(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One label per row of probabilities ``(..., 3)``."""
    u = rng.random(p.shape[:-1])
    return (u[..., None] > np.cumsum(p, axis=-1)[..., :2]).sum(-1).astype(np.int8)


@attrs.frozen
class ExtractionVariant(ExtractionModel):
    """Common part of the extraction variants: per-judgment log-likelihood and replication."""

    #: observation dimension of :meth:`pointwise_loglik`
    loglik_dim: ClassVar[str] = "judgment"

    def judgment_eta_gap(self, idata: Any, data: ModelData, pick: np.ndarray | None = None) -> tuple:
        """Per draw and judgment: the linear predictor and the gap, ``(S, J)`` each."""
        raise NotImplementedError

    def judgment_probabilities(
        self, idata: Any, data: ModelData, pick: np.ndarray | None = None
    ) -> np.ndarray:
        """Label probabilities ``(S, J, 3)`` of every judgment under the posterior's effects."""
        eta, gap = self.judgment_eta_gap(idata, data, pick)
        acc, rej = expit(eta), expit(-eta - gap)
        return np.stack([rej, 1 - acc - rej, acc], axis=-1)

    def cell_probabilities(self, idata: Any, data: ModelData, max_draws: int | None = None) -> np.ndarray:
        """Draws ``(S, C, 3)``: each (user, annotator) cell's label probabilities averaged over its judgments."""
        a = data.arrays
        total = draws_of(idata, "alpha").shape[0]
        pick = None
        if max_draws is not None and total > max_draws:
            pick = np.linspace(0, total - 1, max_draws).round().astype(int)
        n_cells = len(a["cell_counts"])
        cell = a["judgment_cell"]
        n = np.bincount(cell, minlength=n_cells).astype(float)
        out = []
        for chunk in np.array_split(np.arange(total) if pick is None else pick, max(1, total // 200)):
            p = self.judgment_probabilities(idata, data, chunk)  # (s, J, 3)
            sums = np.stack(
                [np.stack([np.bincount(cell, w[:, k], n_cells) for k in range(3)], -1) for w in p]
            )
            out.append(sums / np.maximum(n, 1)[None, :, None])
        return np.concatenate(out, axis=0)

    def replicate(self, idata: Any, data: ModelData, rng: np.random.Generator) -> np.ndarray:
        """Replicated labels ``(S, n_judgments)`` from ``ppc_draws`` posterior draws' effects."""
        total = draws_of(idata, "alpha").shape[0]
        pick = np.linspace(0, total - 1, min(self.ppc_draws, total)).round().astype(int)
        return _sample_labels(self.judgment_probabilities(idata, data, pick), rng)

    def loglik(self, idata: Any, data: ModelData) -> np.ndarray:
        """Log-likelihood ``(chain * draw, n_judgments)``."""
        eta, gap = self.judgment_eta_gap(idata, data)
        return label_loglik(eta, gap, data.arrays["judgment_label"][None, :])

    def pointwise_loglik(self, data: ModelData, posterior: Any) -> xr.DataArray:
        """Log-likelihood of each judgment per posterior draw: dims ``(chain, draw, judgment)``."""
        import xarray as xr

        post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
        ll = self.loglik({"posterior": post}, data).reshape(post.sizes["chain"], post.sizes["draw"], -1)
        return xr.DataArray(
            ll,
            dims=("chain", "draw", self.loglik_dim),
            coords={"chain": post["chain"].values, "draw": post["draw"].values},
            name="labels",
        )

    def _base_terms(self, data: ModelData) -> tuple[Any, ...]:
        import pymc as pm
        import pytensor.tensor as pt

        n_annot = len(data.coords["annotator"])
        sd_user = pm.HalfNormal("sd_user", 1.0)
        sd_annotator = pm.HalfNormal("sd_annotator", 1.0)
        w_mean = sd_annotator / np.sqrt(n_annot) * pm.Normal("w_mean_raw", 0.0, 1.0)
        w_dev = (
            pm.ZeroSumNormal("w_dev", sigma=sd_annotator, dims="annotator") if n_annot > 1 else pt.zeros(1)
        )
        pm.Deterministic("w", w_mean + w_dev, dims="annotator")
        level = pm.Normal("level", 0.5 + w_mean, 2.0, dims="source")
        pm.Deterministic("alpha", level - w_mean, dims="source")
        v = pm.Normal("v", 0.0, sd_user, dims="user")
        return level, v, w_dev, sd_user, sd_annotator

    def _params_table(self, idata: Any, names: tuple[str, ...]) -> pd.DataFrame:
        params = pd.concat([parameter_table(idata, v).assign(quantity=v) for v in names], ignore_index=True)
        return params[["quantity", *[c for c in params.columns if c != "quantity"]]]


@attrs.frozen
class ExtractionAttributeModel(ExtractionVariant):
    """Extraction model with an attribute random effect (see the module docstring)."""

    name: ClassVar[str] = "extraction-attribute"
    version: ClassVar[str] = "1"

    def build(self, data: ModelData) -> pm.Model:
        import pymc as pm

        a = data.arrays
        n_attr = int(a["judgment_attribute"].max()) + 1
        coords = {k: data.coords[k] for k in ("source", "user", "annotator")}
        coords["attribute"] = list(range(n_attr))
        j_cell = a["judgment_cell"]
        j_user = a["cell_user"][j_cell]
        with pm.Model(coords=coords) as model:
            gap = pm.LogNormal("gap", 0.0, 1.0)
            level, v, w_dev, *_ = self._base_terms(data)
            sd_attr = pm.HalfNormal("sd_attribute", 1.0)
            t = pm.Deterministic(
                "t", sd_attr * pm.Normal("z_attribute", 0.0, 1.0, dims="attribute"), dims="attribute"
            )
            eta = (
                level[a["user_source"][j_user]]
                + v[j_user]
                + w_dev[a["cell_annotator"][j_cell]]
                + t[a["judgment_attribute"]]
            )
            pm.Potential("loglik", _label_loglik_pt(eta, gap, a["judgment_label"]).sum())
        return model

    def judgment_eta_gap(self, idata: Any, data: ModelData, pick: np.ndarray | None = None) -> tuple:
        a = data.arrays
        get = (lambda v: draws_of(idata, v)) if pick is None else (lambda v: draws_of(idata, v)[pick])
        j_cell = a["judgment_cell"]
        j_user = a["cell_user"][j_cell]
        eta = (
            get("alpha")[:, a["user_source"][j_user]]
            + get("v")[:, j_user]
            + get("w")[:, a["cell_annotator"][j_cell]]
            + get("t")[:, a["judgment_attribute"]]
        )
        return eta, get("gap")[:, None]

    def population_shares(self, idata: Any) -> np.ndarray:
        """Draws ``(S, n_source, 3)`` of the population label shares (attribute effect integrated out)."""
        nodes, wts = self._gh()
        alpha, gap = draws_of(idata, "alpha"), draws_of(idata, "gap")
        sd = np.sqrt(
            draws_of(idata, "sd_user") ** 2
            + draws_of(idata, "sd_annotator") ** 2
            + draws_of(idata, "sd_attribute") ** 2
        )
        eta = alpha[:, :, None] + sd[:, None, None] * nodes[None, None, :]
        acc = (expit(eta) * wts).sum(-1)
        rej = (expit(-eta - gap[:, None, None]) * wts).sum(-1)
        return np.stack([rej, 1 - acc - rej, acc], axis=-1)

    def diagnostic_vars(self, idata: Any) -> list[str]:
        return ["alpha", "gap", "sd_user", "sd_annotator", "sd_attribute", "v", "w"]

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        out = super().summarize(idata, data)
        out["parameters"] = self._params_table(idata, ("gap", "sd_user", "sd_annotator", "sd_attribute"))
        return out


@attrs.frozen
class ExtractionGapModel(ExtractionVariant):
    """Extraction model with annotator-specific gaps between the two cutpoints (see the module docstring)."""

    name: ClassVar[str] = "extraction-annotator-gap"
    version: ClassVar[str] = "1"
    n_quad_gap: int = 12

    def build(self, data: ModelData) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        a = data.arrays
        coords = {k: data.coords[k] for k in ("source", "user", "annotator")}
        counts = a["cell_counts"].astype("float64")
        with pm.Model(coords=coords) as model:
            gap = pm.LogNormal("gap", 0.0, 1.0)
            level, v, w_dev, *_ = self._base_terms(data)
            sd_gap = pm.HalfNormal("sd_log_gap", 0.5)
            z_gap = pm.Normal("z_gap", 0.0, 1.0, dims="annotator")
            gap_k = pm.Deterministic("annotator_gap", gap * pt.exp(sd_gap * z_gap), dims="annotator")
            eta = level[a["user_source"][a["cell_user"]]] + v[a["cell_user"]] + w_dev[a["cell_annotator"]]
            ll = _label_loglik_pt(eta[:, None], gap_k[a["cell_annotator"]][:, None], np.arange(3)[None, :])
            pm.Potential("loglik", pt.sum(counts * ll))
        return model

    def judgment_eta_gap(self, idata: Any, data: ModelData, pick: np.ndarray | None = None) -> tuple:
        a = data.arrays
        get = (lambda v: draws_of(idata, v)) if pick is None else (lambda v: draws_of(idata, v)[pick])
        j_cell = a["judgment_cell"]
        j_user = a["cell_user"][j_cell]
        j_annot = a["cell_annotator"][j_cell]
        eta = get("alpha")[:, a["user_source"][j_user]] + get("v")[:, j_user] + get("w")[:, j_annot]
        return eta, get("annotator_gap")[:, j_annot]

    def population_shares(self, idata: Any) -> np.ndarray:
        """Draws ``(S, n_source, 3)``: a new user, a new annotator and the new annotator's gap integrated out."""
        nodes, wts = self._gh()
        gx, gw = np.polynomial.hermite.hermgauss(self.n_quad_gap)
        gx, gw = np.sqrt(2.0) * gx, gw / np.sqrt(np.pi)
        alpha, gap = draws_of(idata, "alpha"), draws_of(idata, "gap")
        sd = np.hypot(draws_of(idata, "sd_user"), draws_of(idata, "sd_annotator"))
        gaps = gap[:, None] * np.exp(draws_of(idata, "sd_log_gap")[:, None] * gx[None, :])  # (S, Kg)
        eta = alpha[:, :, None] + sd[:, None, None] * nodes[None, None, :]  # (S, n_source, K)
        acc = (expit(eta) * wts).sum(-1)
        rej_k = expit(-eta[..., None] - gaps[:, None, None, :])  # (S, n_source, K, Kg)
        rej = np.einsum("sqkg,k,g->sq", rej_k, wts, gw)
        return np.stack([rej, 1 - acc - rej, acc], axis=-1)

    def diagnostic_vars(self, idata: Any) -> list[str]:
        return ["alpha", "gap", "sd_user", "sd_annotator", "sd_log_gap", "annotator_gap", "v", "w"]

    def summarize(self, idata: Any, data: ModelData) -> dict[str, pd.DataFrame]:
        out = super().summarize(idata, data)
        out["parameters"] = self._params_table(idata, ("gap", "sd_user", "sd_annotator", "sd_log_gap"))
        gaps = parameter_table(idata, "annotator_gap", {"annotator": list(data.coords["annotator"])})
        out["annotators"] = out["annotators"].assign(quantity="w")
        out["annotator_gaps"] = gaps.assign(quantity="gap")
        return out


def _label_loglik_pt(eta: Any, gap: Any, label: np.ndarray) -> Any:
    """PyTensor version of :func:`label_loglik` (same formulas as the default model's graph)."""
    import pytensor.tensor as pt

    log_acc = -pt.softplus(-eta)
    log_rej = -pt.softplus(eta + gap)
    log_unc = eta + pt.log(pt.expm1(gap)) - pt.softplus(eta + gap) - pt.softplus(eta)
    label = np.asarray(label)
    return pt.switch(pt.eq(label, 0), log_rej, pt.switch(pt.eq(label, 1), log_unc, log_acc))
