"""Cross-record and dataset-level value rules of the line checks: response pairs and declared scales.

A response rating compares the personalized and the generic response of the same user, prompt and generator.
A rating must lie on the dataset's ``rating_scale`` (``manifest.json``; default 1..5); a relevance grade on
its ``label_scale`` when one is declared (without one, any integer >= 0, which the schema already checks).
"""

from __future__ import annotations

from typing import Any

from toolkit.vocabulary import RATING_SCALE

__all__ = ["rating_rules", "scale_errors"]


def rating_rules(data: dict[str, Any], responses: dict[str, Any], errors: list[tuple[str, str, str]]) -> None:
    """Append the errors of a response rating's pair of responses to ``errors`` as ``(field, message, kind)``.

    Parameters
    ----------
    data : dict
        The rating record.
    responses : dict
        Response id -> ``(user_id, prompt_id, generator, condition)``.
    errors : list
        Receives the problems.
    """
    pid, gid = data.get("personalized_response_id"), data.get("generic_response_id")
    p = responses.get(pid) if type(pid) is str else None
    g = responses.get(gid) if type(gid) is str else None
    for field, rid, resp, wanted in (
        ("personalized_response_id", pid, p, "personalized"),
        ("generic_response_id", gid, g, "generic"),
    ):
        if resp is not None and resp[3] != wanted:
            errors.append((field, f"response {rid!r} has condition {resp[3]!r}, expected {wanted!r}",
                           "consistency"))
    if p is not None and g is not None:
        for i, name in enumerate(("user_id", "prompt_id", "generator")):
            if p[i] != g[i]:
                errors.append((
                    "generic_response_id",
                    f"response {gid!r} has {name} {g[i]!r}, but the personalized response {pid!r} has "
                    f"{p[i]!r}; both must answer the same user, prompt and generator",
                    "consistency",
                ))


def scale_errors(
    record_type: str, data: dict[str, Any], rating_scale: tuple[int, ...], label_scale: tuple[int, ...] | None,
    errors: list[tuple[str, str, str]],
) -> None:
    """Append an error when a rating (or a grade) lies outside the dataset's declared scale.

    Parameters
    ----------
    record_type : str
        The record's type: only ``response_ratings`` and ``relevance_judgments`` are checked.
    data : dict
        The record (a value that is not an integer is the schema's business, not checked here).
    rating_scale, label_scale : tuple of int
        The allowed values; ``label_scale`` None allows any grade.
    errors : list
        Receives ``(field, message, "range")``.

    Examples
    --------
    >>> out = []
    >>> scale_errors("response_ratings", {"rating": 7}, (1, 2, 3, 4, 5), None, out)
    >>> out[0][1]
    '7 is outside the rating_scale 1..5 (the default; declare another in manifest.json)'
    """
    for name, field, scale, key in (
        ("response_ratings", "rating", rating_scale, "rating_scale"),
        ("relevance_judgments", "grade", label_scale, "label_scale"),
    ):
        value = data.get(field)
        if record_type == name and scale is not None and type(value) is int and value not in scale:
            default = key == "rating_scale" and tuple(scale) == RATING_SCALE
            declared = "the default; declare another in manifest.json" if default else "declared in manifest.json"
            errors.append((field, f"{value} is outside the {key} {scale[0]}..{scale[-1]} ({declared})", "range"))
