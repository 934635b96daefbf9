"""What an import collects while it reads: the catalogue of the profile sources, the candidate records,
and the bookkeeping of the report (exclusions, notes, which file contributed to which record).

One :class:`ImportState` is passed to the readers (:mod:`.profiles`, :mod:`.judgments`), then to the
assembly (:mod:`.assembly`) and the accounting (:mod:`.accounting`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from schemas import Attribute, Rater
from toolkit.importers.annotation_tool.ids import attribute_id
from toolkit.importers.annotation_tool.report import ImportReport, Note, shorten

__all__ = ["HumanCandidate", "ImportState", "Occurrence"]

#: ``(record, file, line, source order)``: one occurrence of an LLM judgment or a response.
Occurrence = tuple[Any, str, int, int]


@attrs.define
class HumanCandidate:
    """A human judgment that passed the per-judgment checks, before repeated judgments are resolved."""

    annotator: str
    user_id: str
    prompt_id: str
    attribute_id: str
    text: str
    relevant: bool
    raw_answer: str | None
    ts: datetime | None
    ts_raw: str
    file: str
    order: int
    line: int
    pos: int
    pipeline: tuple[bool, float | None] | None = None

    def sort_key(self) -> tuple:
        """Oldest first: by timestamp (missing ones first), then file order, line and position."""
        return (self.ts is not None, self.ts or datetime.min, self.order, self.line, self.pos)


def _contributions() -> defaultdict[str, defaultdict[str, defaultdict[Any, set[str]]]]:
    return defaultdict(lambda: defaultdict(lambda: defaultdict(set)))


@attrs.define(eq=False)
class ImportState:
    """The state of one import (see the module). Create it with :meth:`start`.

    Attributes
    ----------
    prompts : dict
        ``prompt_index -> (text, file, line)`` of the first text seen.
    profiles : dict
        ``user_id -> {attribute text: Attribute}`` from the profile sources.
    profile_norm : dict
        ``user_id -> {whitespace-normalised text: text}``.
    bad_attrs : dict
        ``(user_id, text) -> "file:line"`` of profile entries that were excluded.
    ids : dict
        ``attribute_id -> (user_id, text)``: every attribute id given out (collisions are checked).
    attr_source : dict
        ``attribute_id -> file`` that first defined a profile attribute.
    llm, responses : dict
        Candidate LLM judgments and responses by key, each a list of :data:`Occurrence`.
    gt : dict
        ``(user_id, prompt_id, attribute_id) -> [(ground_truth value, file, line, order, text)]``.
    human : dict
        ``dataset -> [HumanCandidate]``.
    order : dict
        ``file -> position`` in reading order (sorts the report).
    """

    report: ImportReport
    aliases: dict[str, str] = attrs.field(factory=dict)
    test_accounts: tuple[str, ...] = ()
    order: dict[str, int] = attrs.field(factory=dict)
    # the catalogue, from the profile sources
    prompts: dict[int, tuple[str, str, int]] = attrs.field(factory=dict)
    profiles: dict[str, dict[str, Attribute]] = attrs.field(factory=dict)
    profile_norm: dict[str, dict[str, str]] = attrs.field(factory=dict)
    bad_attrs: dict[tuple[str, str], str] = attrs.field(factory=dict)
    ids: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    attr_source: dict[str, str] = attrs.field(factory=dict)
    raw_attrs: dict[tuple[str, str], tuple[dict[str, Any], str]] = attrs.field(factory=dict)
    noted_pairs: set[tuple[str, str, int]] = attrs.field(factory=set)
    unprofiled: defaultdict[tuple[str, str], list[int]] = attrs.field(factory=lambda: defaultdict(list))
    # candidate records
    llm: defaultdict[tuple[str, str, str, str], list[Occurrence]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    llm_raters: dict[str, Rater] = attrs.field(factory=dict)
    gt: defaultdict[tuple[str, str, str], list[tuple[Any, str, int, int, str]]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    human: defaultdict[str, list[HumanCandidate]] = attrs.field(factory=lambda: defaultdict(list))
    responses: defaultdict[str, list[Occurrence]] = attrs.field(factory=lambda: defaultdict(list))
    # report bookkeeping
    pending: dict[tuple[str, int, str], dict[str, Any]] = attrs.field(factory=dict)
    contrib: defaultdict[str, defaultdict[str, defaultdict[Any, set[str]]]] = attrs.field(
        factory=_contributions
    )
    noted_once: set[tuple[str, str]] = attrs.field(factory=set)

    @classmethod
    def start(cls, out: Path, aliases: Mapping[str, str], test_accounts: Sequence[str]) -> ImportState:
        """A fresh state for an import into ``out``, its options recorded in the report.

        Parameters
        ----------
        out : Path
            The output folder.
        aliases : mapping
            ``{name in the files: annotator}``.
        test_accounts : sequence of str
            Extra annotator names treated as test accounts.
        """
        report = ImportReport(out=out)
        state = cls(report=report, aliases=dict(aliases), test_accounts=tuple(test_accounts))
        report.options = {
            "same_annotator": dict(sorted(state.aliases.items())),
            "test_accounts": sorted(state.test_accounts),
        }
        return state

    # ---- reporting ------------------------------------------------------------------------------------------

    def exclude(
        self, file: str, line: int, reason: str, detail: str, *, count: int = 1, item: str | None = None
    ) -> None:
        """Record an exclusion; judgments of one line with the same reason are grouped into one entry.

        Parameters
        ----------
        file, line : str, int
            Where the excluded record or judgment is.
        reason : str
            A key of ``REASONS``.
        detail : str
            What was wrong (the first detail given for a line and reason is kept).
        count : int
            Judgments or records concerned.
        item : str, optional
            The judgment's name (attribute text or position), listed in the report.
        """
        key = (file, line, reason)
        entry = self.pending.get(key)
        if entry is None:
            entry = self.pending[key] = {"detail": detail, "count": 0, "items": []}
        entry["count"] += count
        if item is not None:
            entry["items"].append(shorten(item))

    def note(self, file: str, line: int, kind: str, detail: str, *, once: str | None = None) -> None:
        """Add a note to the report; with ``once``, only the first note of that key per file."""
        if once is not None:
            if (file, once) in self.noted_once:
                return
            self.noted_once.add((file, once))
        self.report.notes.append(Note(file, line, kind, detail))

    def error(self, file: str, message: str) -> None:
        """Report a source that could not be read or recognised."""
        self.report.errors.append({"file": file, "message": message})

    def touch(self, ds: str, rtype: str, key: Any, file: str) -> None:
        """Record that ``file`` contributed to the record ``key`` of type ``rtype`` in dataset ``ds``."""
        self.contrib[ds][rtype][key].add(file)

    # ---- the attribute ids ----------------------------------------------------------------------------------

    def new_attribute_id(self, user: str, text: str) -> str | None:
        """The attribute id of ``(user, text)``, registered; None when it collides with another text."""
        aid = attribute_id(user, text)
        prev = self.ids.setdefault(aid, (user, text))
        return aid if prev == (user, text) else None

    def text_of(self, aid: str) -> str:
        """The attribute text an attribute id was given to."""
        return self.ids[aid][1]
