"""Repeated object keys are errors wherever JSON is read: the strict decoder, the validator, the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.toolkit.validate.samples import V, rater
from toolkit.dataset import load_dataset
from toolkit.jsonl import DECODER, DataError, DuplicateKeyError, duplicate_key, loads, parse_line
from toolkit.validate import validate_path

# -- the decoder: exact, whatever the spelling -------------------------------------------------------------


def _repeats(text: str) -> bool:
    """The obvious reference: does some object, at any depth, hold a key twice (after decoding escapes)?"""
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        found |= len({k for k, _ in pairs}) != len(pairs)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return found


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ('{"rater_id": "ghost", "kind": "human", "rater_id": "human-1"}', "rater_id",
         'duplicate key: "rater_id" appears twice ("ghost", "human-1")'),
        ('{"a": {"b": [1, {"c": 1, "c": "x:y"}]}}', "a.b[1].c", 'duplicate key: "c" appears twice (1, "x:y")'),
        ('{"a": 1, "\\u0061": 2}', "a", 'duplicate key: "a" appears twice (1, 2)'),  # same key once decoded
        ('{"k" : 1 ,\n "k"\t:\t2, "k": null}', "k", 'duplicate key: "k" appears 3 times (1, 2, null)'),
        ('[{"a": 1}, {"a": 1, "a": 1}]', "[1].a", 'duplicate key: "a" appears twice (1, 1)'),
        ('{"a:b": "\\":", "a:b": ":"}', "a:b", 'duplicate key: "a:b" appears twice ("\\":", ":")'),
    ],
)
def test_repeated_keys_are_found(text: str, path: str, message: str) -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        loads(text)
    assert (caught.value.path, str(caught.value)) == (path, message)
    with pytest.raises(DataError) as located:
        parse_line("f.jsonl", 7, text.encode())
    assert str(located.value) == f"f.jsonl:7: {path}: {message}"


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "x\\":y", "b": 1}',  # an escaped quote then a colon inside a string
        '{"a": "\\u003a", "b": ":::"}',  # a colon spelled as an escape
        '{"a": 1, "A": 2, "a ": 3, "\\u00e9": 4, "e\\u0301": 5}',  # different keys (no normalisation)
        '{"t": [{"x": 1}, {"x": 2}], "u": {"x": {"x": 3}}}',  # the same key in different objects
        '[]', '"a:b"', '{}',
    ],
)
def test_distinct_keys_pass(text: str) -> None:
    assert loads(text) == json.loads(text)


# Keys that collide on purpose; characters that matter to the count (colon, quote, backslash) or the decoder.
_KEYS = st.sampled_from(["a", "b", "a:b", ":", '"', "\\", "é", "\U0001f600", "ab"])
_STRINGS = st.text(alphabet=st.sampled_from(list('ab:"\\ é\n\u2028')), max_size=6)


def _string(draw: st.DrawFn, s: str) -> str:
    """A JSON string literal of ``s``, each character written plainly or as a \\u escape at random."""
    out = []
    for ch in s:
        plain = json.dumps(ch, ensure_ascii=False)[1:-1]
        if ord(ch) > 0xFFFF:
            escaped = json.dumps(ch)[1:-1]  # a surrogate pair
        else:
            escaped = f"\\u{ord(ch):04x}"
        out.append(escaped if draw(st.booleans()) else plain)
    return '"' + "".join(out) + '"'


@st.composite
def _json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["object", "object", "list", "string", "number"] if depth < 3 else ["string"]))
    if kind == "string":
        return _string(draw, draw(_STRINGS))
    if kind == "number":
        return draw(st.sampled_from(["0", "-1.5e3", "true", "null"]))
    if kind == "list":
        return "[" + ",".join(draw(st.lists(_json_texts(depth + 1), max_size=3))) + "]"
    pairs = draw(st.lists(st.tuples(_KEYS, _json_texts(depth + 1)), max_size=4))
    space = draw(st.sampled_from(["", " ", "\n\t"]))
    return "{" + ",".join(f"{_string(draw, k)}{space}:{space}{v}" for k, v in pairs) + "}"


@settings(max_examples=150, deadline=None)
@given(_json_texts())
def test_the_cheap_check_is_exact(text: str) -> None:
    value = DECODER.decode(text)
    found = duplicate_key(text, value)
    assert (found is not None) == _repeats(text), text


# -- the validator -------------------------------------------------------------------------------------------


def test_the_validator_rejects_repeated_keys_into_the_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "raters.jsonl"
    lines = [
        '{"rater_id": "ghost", "kind": "human", "rater_id": "human-0", ' + V + "}",  # line 1: the general path
        rater("human-1"),
        '{"rater_id": "ghost", "kind": "human", "rater_id": "human-2", ' + V + "}",  # the fast path
        '{"rater_id": "h3", "kind": "human", ' + V + ', "\\u0072ater_id": "h4"}',  # an escaped spelling
        '{"rater_id": "h5", "kind": "llm", "model": "m", "model": "m", ' + V + "}",  # even with equal values
        rater("human-6"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_path(path, quarantine=tmp_path / "q")
    assert [p.format() for p in report.problems if p.severity == "error"] == [
        f'{path}:1: rater_id: duplicate key: "rater_id" appears twice ("ghost", "human-0")',
        f'{path}:3: rater_id: duplicate key: "rater_id" appears twice ("ghost", "human-2")',
        f'{path}:4: rater_id: duplicate key: "rater_id" appears twice ("h3", "h4")',
        f'{path}:5: model: duplicate key: "model" appears twice ("m", "m")',
    ]
    stats = report.files[str(path)]
    assert (stats.records, stats.valid, stats.rejected) == (6, 2, 4)
    valid = (tmp_path / "q" / "raters.jsonl").read_text(encoding="utf-8").splitlines()
    rejected = [json.loads(x) for x in (tmp_path / "q" / "raters.rejected.jsonl").read_text().splitlines()]
    assert valid == [lines[1], lines[5]]
    assert [(r["line"], r["raw"]) for r in rejected] == [(n, lines[n - 1]) for n in (1, 3, 4, 5)]


def test_a_repeated_key_deep_in_a_record(tmp_path: Path) -> None:
    path = tmp_path / "conversations.jsonl"
    good = {"conversation_id": "c0", "user_id": "u", "turns": [{"role": "user", "content": "a: b"}],
            "schema_version": "1.0"}
    bad = json.dumps({**good, "conversation_id": "c1"}).replace('"role": "user"', '"role": "user", "role": "assistant"')
    path.write_text(json.dumps(good) + "\n" + json.dumps(good | {"conversation_id": "c2"}) + "\n" + bad + "\n")
    report = validate_path(path)
    assert [p.format() for p in report.problems if p.severity == "error"] == [
        f'{path}:3: turns[0].role: duplicate key: "role" appears twice ("user", "assistant")'
    ]


def test_the_manifest_and_the_dataset_reader_reject_repeated_keys(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "x", "schema_version": "1.0", "name": "y"}')
    (folder / "raters.jsonl").write_text(
        rater("h1") + "\n" + '{"rater_id": "h2", "kind": "human", "kind": "llm", ' + V + "}\n"
    )
    report = validate_path(folder)
    assert 'manifest.json:0: name: duplicate key: "name" appears twice ("x", "y")' in [
        p.format() for p in report.problems
    ]
    (folder / "manifest.json").unlink()
    with pytest.raises(DataError, match=r'raters\.jsonl:2: kind: duplicate key: "kind" appears twice'):
        load_dataset(folder).frame("raters")
