"""Do the stage-3 conclusions depend on the rating model's structure? A tidy table and its sentences.

:func:`rating_sensitivity_table` collects, from fits of the rating model and its structural variants
(:mod:`toolkit.models.rating_variants`), the quantities behind Table 6 and Fig 6 (each LLM judge's inflation,
latent and as the shift of its mean rating from the humans'; each rater group's mention effect; each judge's
mention effect minus the humans') with their 95% intervals, and the conclusion each interval supports (its sign
when it excludes 0, else ``"unclear"``). :func:`robust_conclusions` says, per judge and quantity, whether the
conclusion is the same under every structure, and :func:`conclusion_sentences` says it in words. The analyses
(Table 6, REPORT.md) render these; nothing here reads files or fits models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["QUANTITIES", "conclusion_sentences", "rating_sensitivity_table", "robust_conclusions"]

#: quantity -> (summary table, its quantity label, what a positive / negative interval means)
QUANTITIES: dict[str, tuple[str, str, str, str]] = {
    "inflation": ("judges", "inflation", "inflates", "deflates"),
    "mean_rating_shift": (
        "judges",
        "mean_rating_shift",
        "rates higher than humans",
        "rates lower than humans",
    ),
    "mention_effect": ("mention", "rating", "mention raises ratings", "mention lowers ratings"),
    "mention_contrast": (
        "mention_contrast",
        "rating",
        "mention effect above the humans'",
        "mention effect below the humans'",
    ),
}
_COLUMNS = ["structure", "rater", "quantity", "mean", "ci_low", "ci_high", "conclusion"]


def _summaries(fit: Any) -> Mapping[str, pd.DataFrame]:
    summaries = fit.summaries if hasattr(fit, "summaries") else fit
    if "mention_contrast" not in summaries and hasattr(fit, "idata"):
        # the default rating model reports no contrast: derive it from its draws with the variants' code
        from toolkit.models.rating_variants import summarize_variant

        summaries = {
            **summaries,
            "mention_contrast": summarize_variant(fit.idata, fit.data)["mention_contrast"],
        }
    return summaries


def _conclusion(low: float, high: float, positive: str, negative: str) -> str:
    if low > 0:
        return positive
    if high < 0:
        return negative
    return "unclear"


def rating_sensitivity_table(fits: Mapping[str, Any]) -> pd.DataFrame:
    """The Table 6 / Fig 6 quantities of each structure, with the conclusion of each interval.

    Parameters
    ----------
    fits : mapping of str to FitResult or dict of DataFrame
        Structure name (``"rating"``, ``"rating-thresholds"``, ...) -> its fit (or just its summaries). A fit
        of the default model without a ``mention_contrast`` table gets one from its draws; a summaries dict
        without one simply has no ``mention_contrast`` rows.

    Returns
    -------
    DataFrame
        ``structure, rater, quantity, mean, ci_low, ci_high, conclusion``; the human rows are left out of the
        inflation and shift quantities (0 by definition).

    Examples
    --------
    >>> judges = pd.DataFrame({"rater_id": ["human", "j1"], "quantity": "inflation", "mean": [0.0, 0.8],
    ...                        "ci_low": [0.0, 0.3], "ci_high": [0.0, 1.2]})
    >>> t = rating_sensitivity_table({"rating": {"judges": judges}})
    >>> t[["rater", "quantity", "conclusion"]].values.tolist()
    [['j1', 'inflation', 'inflates']]
    """
    rows = []
    for structure, fit in fits.items():
        summaries = _summaries(fit)
        for quantity, (table, label, positive, negative) in QUANTITIES.items():
            if table not in summaries:
                continue
            t = summaries[table]
            t = t[t["quantity"] == label]
            rater_col = "rater_id" if "rater_id" in t else "rater"
            for _, r in t.iterrows():
                if quantity in ("inflation", "mean_rating_shift") and r[rater_col] == "human":
                    continue
                low, high = float(r["ci_low"]), float(r["ci_high"])
                rows.append(
                    [structure, r[rater_col], quantity, float(r["mean"]), low, high,
                     _conclusion(low, high, positive, negative)]
                )  # fmt: skip
    return pd.DataFrame(rows, columns=_COLUMNS)


def robust_conclusions(table: pd.DataFrame) -> pd.DataFrame:
    """Per rater and quantity: the conclusion under each structure and whether it holds under every one.

    Returns
    -------
    DataFrame
        ``rater, quantity, n_structures, holds_everywhere`` (one conclusion, and not ``"unclear"``),
        ``conclusion`` (the common one, else ``"depends on structure"``), ``by_structure`` (``name: conclusion``
        joined by ``; ``).

    Examples
    --------
    >>> t = pd.DataFrame({"structure": ["a", "b"], "rater": "j1", "quantity": "inflation",
    ...                   "mean": [0.8, 0.1], "ci_low": [0.3, -0.2], "ci_high": [1.2, 0.4],
    ...                   "conclusion": ["inflates", "unclear"]})
    >>> robust_conclusions(t)[["holds_everywhere", "conclusion"]].values.tolist()
    [[False, 'depends on structure']]
    """
    out = []
    for (rater, quantity), g in table.groupby(["rater", "quantity"], sort=False):
        found = list(dict.fromkeys(g["conclusion"]))
        holds = len(found) == 1 and found[0] != "unclear"
        out.append(
            {
                "rater": rater,
                "quantity": quantity,
                "n_structures": int(g["structure"].nunique()),
                "holds_everywhere": holds,
                "conclusion": found[0] if len(found) == 1 else "depends on structure",
                "by_structure": "; ".join(
                    f"{s}: {c}" for s, c in zip(g["structure"], g["conclusion"], strict=True)
                ),
            }
        )
    return pd.DataFrame(out)


def conclusion_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per quantity: which judges' conclusions hold under every structure, which depend on it.

    Examples
    --------
    >>> t = pd.DataFrame({"structure": ["a", "b", "a", "b"], "rater": ["j1", "j1", "j2", "j2"],
    ...                   "quantity": "inflation", "mean": 0.5, "ci_low": [0.2, 0.1, 0.2, -0.1],
    ...                   "ci_high": 1.0, "conclusion": ["inflates", "inflates", "inflates", "unclear"]})
    >>> print(conclusion_sentences(t)[0])
    inflation (2 structures): holds under every structure for j1 (inflates); depends on the structure for j2 (a: inflates; b: unclear).
    """
    robust = robust_conclusions(table)
    sentences = []
    for quantity in dict.fromkeys(robust["quantity"]):
        r = robust[robust["quantity"] == quantity]
        n = int(r["n_structures"].max())
        holds = r[r["holds_everywhere"]]
        parts = []
        if len(holds):
            parts.append(
                "holds under every structure for "
                + ", ".join(f"{x.rater} ({x.conclusion})" for x in holds.itertuples())
            )
        unclear = r[~r["holds_everywhere"] & (r["conclusion"] == "unclear")]
        if len(unclear):
            parts.append("unclear under every structure for " + ", ".join(unclear["rater"]))
        varies = r[r["conclusion"] == "depends on structure"]
        if len(varies):
            parts.append(
                "depends on the structure for "
                + ", ".join(f"{x.rater} ({x.by_structure})" for x in varies.itertuples())
            )
        sentences.append(f"{quantity} ({n} structure{'s' if n != 1 else ''}): " + "; ".join(parts) + ".")
    return sentences
