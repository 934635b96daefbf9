"""Writes the broken-file corpus: one case per error kind, each with the exact expected report.

Run ``python tests/data/broken/make_corpus.py`` to rewrite the inputs (deterministic). The expected outputs
(``<case>/expected.txt``) are reviewed by hand; ``--bless`` rewrites them from the current validator, after which
the diff must be read line by line before committing.

Layout of a case: ``<case>/<type>.jsonl[.gz]`` (a single file, validated alone) or ``<case>/data/`` (a dataset
folder), and ``<case>/expected.txt`` (the text report, validated from inside ``<case>/``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
V = '"schema_version": "1.0"'


def rj(user: str = "u1", prompt: str = "p1", attr: str = "a1", rater: str = "h1", relevant: str = "true") -> str:
    return (f'{{"user_id": "{user}", "prompt_id": "{prompt}", "attribute_id": "{attr}", "rater_id": "{rater}", '
            f'"relevant": {relevant}, {V}}}')


def lines(*items: str) -> bytes:
    return ("\n".join(items) + "\n").encode("utf-8")


def single(case: str, filename: str, content: bytes) -> None:
    folder = HERE / case
    folder.mkdir()
    (folder / filename).write_bytes(content)


def dataset(case: str, files: dict[str, bytes], manifest: dict | None = None) -> Path:
    folder = HERE / case / "data"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def entry(folder: Path, name: str) -> dict:
    data = (folder / name).read_bytes()
    count = sum(1 for line in data.split(b"\n") if line.strip())
    return {"path": name, "records": count, "sha256": hashlib.sha256(data).hexdigest()}


RATERS = lines(
    f'{{"rater_id": "h1", "kind": "human", {V}}}',
    f'{{"rater_id": "h2", "kind": "human", {V}}}',
    f'{{"rater_id": "gpt", "kind": "llm", "model": "gpt-5.4", {V}}}',
)
USERS = lines(f'{{"user_id": "u1", "source": "wildchat", "origin": "human", {V}}}',
              f'{{"user_id": "u2", "source": "cupid", "origin": "synthetic", {V}}}')
ATTRIBUTES = lines(f'{{"attribute_id": "a1", "user_id": "u1", "text": "The user writes poetry.", {V}}}',
                   f'{{"attribute_id": "a2", "user_id": "u2", "text": "The user codes in Rust.", {V}}}')
PROMPTS = lines(f'{{"prompt_id": "p1", "text": "Write a haiku.", "source": "lima", {V}}}',
                f'{{"prompt_id": "p2", "text": "Plan a trip.", "source": "lima", {V}}}')


def make() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            for keep in [old / "expected.txt"] if (old / "expected.txt").exists() else []:
                saved = keep.read_bytes()
                shutil.rmtree(old)
                old.mkdir()
                keep.write_bytes(saved)
                break
            else:
                shutil.rmtree(old)
    # Inputs are written into folders that may already hold expected.txt.
    _orig_mkdir = Path.mkdir
    Path.mkdir = lambda self, *a, **k: _orig_mkdir(self, *a, **{**k, "exist_ok": True})  # type: ignore[method-assign]
    try:
        _make_cases()
    finally:
        Path.mkdir = _orig_mkdir  # type: ignore[method-assign]


def _make_cases() -> None:
    single("json_syntax", "relevance_judgments.jsonl", lines(
        rj(),
        '{"user_id": "u1", "prompt_id": "p1",',
        rj(rater="h2") + " " + rj(rater="h3"),
        "{'user_id': 'u1'}",
        rj(rater="h4").replace("true", "True"),
    ))
    single("json_constants", "scores.jsonl", lines(
        f'{{"response_id": "r1", "scorer_id": "rm", "value": NaN, {V}}}',
        f'{{"response_id": "r2", "scorer_id": "rm", "value": -Infinity, {V}}}',
        f'{{"response_id": "r3", "scorer_id": "rm", "value": 1e400, {V}}}',
        f'{{"response_id": "r4", "scorer_id": "rm", "value": {"9" * 400}, {V}}}',
    ))
    single("invalid_utf8", "prompts.jsonl",
           lines(f'{{"prompt_id": "p1", "text": "caf\\u00e9", "source": "lima", {V}}}')
           + b'{"prompt_id": "p2", "text": "caf' + b"\xe9" + f'", "source": "lima", {V}}}\n'.encode()
           + b'{"prompt_id": "p3", "text": "\xf0\x9f\x98", "source": "lima"}\n')
    rng = random.Random(20260606)
    single("binary_garbage", "users.jsonl", bytes(rng.getrandbits(8) for _ in range(3000)))
    single("not_an_object", "users.jsonl", lines("[1, 2]", '"u1"', "null", "42", "{}"))
    single("missing_fields", "relevance_judgments.jsonl", lines(
        f'{{"user_id": "u1", "prompt_id": "p1", "attribute_id": "a1", "relevant": true, {V}}}',
        f'{{"rater_id": "h1", {V}}}',
    ))
    single("unknown_fields", "relevance_judgments.jsonl", lines(
        rj()[:-1] + ', "confidence": 0.9}',
        rj(rater="h2")[:-1] + ', "Relevant": false, "": 1}',
    ))
    single("wrong_types", "relevance_judgments.jsonl", lines(
        rj(relevant='"yes"'),
        rj(rater="h2", relevant="1"),
        f'{{"user_id": 5, "prompt_id": ["p1"], "attribute_id": {{"id": "a1"}}, "rater_id": null, "relevant": false, '
        f'"score": "0.5", "raw_answer": 1, {V}}}',
    ))
    single("enum_values", "raters.jsonl", lines(
        f'{{"rater_id": "r1", "kind": "robot", {V}}}',
        f'{{"rater_id": "r2", "kind": "Human", {V}}}',
        f'{{"rater_id": "r3", "kind": true, {V}}}',
    ))
    single("rating_range", "response_ratings.jsonl", lines(*(
        f'{{"personalized_response_id": "rp", "generic_response_id": "rg", "attribute_id": "a1", '
        f'"rater_id": "h{i}", "rating": {value}, {V}}}'
        for i, value in enumerate(["7", "0", "2.5", "3.0", '"4"', "true"], start=1)
    )))
    single("probability_range", "attributes.jsonl", lines(
        f'{{"attribute_id": "a1", "user_id": "u1", "text": "The user runs.", "confidence": 1.5, {V}}}',
        f'{{"attribute_id": "a2", "user_id": "u1", "text": "The user swims.", "confidence": -0.1, {V}}}',
        f'{{"attribute_id": "a3", "user_id": "u1", "text": "The user reads.", "confidence": 1, {V}}}',
    ))
    single("blank_ids", "prompts.jsonl", lines(
        f'{{"prompt_id": "", "text": "Hi", "source": "lima", {V}}}',
        f'{{"prompt_id": "p2", "text": "   ", "source": "\\t", {V}}}',
    ))
    single("schema_versions", "users.jsonl", lines(*(
        f'{{"user_id": "u{i}", "source": "wildchat", "origin": "human"{version}}}'
        for i, version in enumerate(
            [', "schema_version": "2.0"', ', "schema_version": "1.2"', ', "schema_version": "0.9"',
             ', "schema_version": "1"', ', "schema_version": 1.0', ""], start=1)
    )))
    single("lone_surrogate", "prompts.jsonl", lines(
        f'{{"prompt_id": "p1", "text": "\\ud83d\\ude00 fine", "source": "lima", {V}}}',
        f'{{"prompt_id": "p2", "text": "broken \\ud800", "source": "lima", {V}}}',
        f'{{"prompt_id": "p3", "text": "escaped \\\\ud800 is text", "source": "lima", {V}}}',
    ))
    single("nested", "conversations.jsonl", lines(
        f'{{"conversation_id": "c1", "user_id": "u1", "turns": [{{"role": "user", "content": "hi"}}, '
        f'{{"role": "bot", "content": "hello"}}, {{"role": "assistant"}}, {{"role": "user", "content": "x", '
        f'"ts": 1}}], {V}}}',
        f'{{"conversation_id": "c2", "user_id": "u1", "turns": "hi", {V}}}',
    ))
    single("cross_field_rules", "extraction_judgments.jsonl", lines(
        f'{{"attribute_id": "a1", "rater_id": "h1", "label": "accepted", "failure_mode": "overgeneralization", {V}}}',
        f'{{"attribute_id": "a1", "rater_id": "h2", "label": "rejected", "failure_mode": "overgeneralization", {V}}}',
        f'{{"attribute_id": "a1", "rater_id": "h3", "label": "maybe", "failure_mode": "vague", {V}}}',
    ))
    single("rater_rules", "raters.jsonl", lines(
        f'{{"rater_id": "gpt", "kind": "llm", {V}}}',
        f'{{"rater_id": "rm", "kind": "reward_model", "model": " ", {V}}}',
        f'{{"rater_id": "h1", "kind": "human", {V}}}',
        f'{{"rater_id": "maj", "kind": "aggregate", "derived_from": ["h1", "h2", "h3"], {V}}}',
        f'{{"rater_id": "maj2", "kind": "aggregate", "derived_from": ["maj", ""], {V}}}',
    ))
    single("duplicate_ids", "attributes.jsonl", lines(
        f'{{"attribute_id": "a1", "user_id": "u1", "text": "The user runs.", {V}}}',
        f'{{"attribute_id": "a2", "user_id": "u1", "text": "The user swims.", {V}}}',
        f'{{"attribute_id": "a1", "user_id": "u2", "text": "The user reads.", {V}}}',
        f'{{"attribute_id": "a1", "user_id": "u2", "text": "The user cooks.", "confidence": 3, {V}}}',
    ))
    single("duplicate_judgments", "relevance_judgments.jsonl", lines(
        rj(), rj(rater="h2"), rj(relevant="false"), rj(attr="a2"), rj(rater="h2"),
    ))
    refs = dataset("references", {
        "raters.jsonl": RATERS + lines(
            f'{{"rater_id": "maj", "kind": "aggregate", "derived_from": ["h1", "h2", "h9"], {V}}}'),
        "users.jsonl": USERS,
        "attributes.jsonl": ATTRIBUTES + lines(
            f'{{"attribute_id": "a3", "user_id": "u7", "text": "The user sings.", {V}}}'),
        "prompts.jsonl": PROMPTS,
        "relevance_judgments.jsonl": lines(
            rj(), rj(prompt="p7"), rj(user="u9", attr="a9", rater="h7"), rj(attr="a2"),
        ),
        "responses.jsonl": lines(
            f'{{"response_id": "g1", "user_id": "u1", "prompt_id": "p1", "generator": "gpt", "condition": "generic", '
            f'"text": "A haiku.", {V}}}',
            f'{{"response_id": "q1", "user_id": "u1", "prompt_id": "p1", "generator": "gpt", '
            f'"condition": "personalized", "text": "A poet\'s haiku.", "mentioned_attribute_ids": ["a1", "a8"], {V}}}',
            f'{{"response_id": "q2", "user_id": "u1", "prompt_id": "p2", "generator": "claude", '
            f'"condition": "personalized", "text": "A trip.", {V}}}',
        ),
        "response_ratings.jsonl": lines(
            f'{{"personalized_response_id": "q1", "generic_response_id": "g1", "attribute_id": "a1", "rater_id": "h1", '
            f'"rating": 4, {V}}}',
            f'{{"personalized_response_id": "g1", "generic_response_id": "q1", "attribute_id": "a1", "rater_id": "h1", '
            f'"rating": 2, {V}}}',
            f'{{"personalized_response_id": "q2", "generic_response_id": "g1", "attribute_id": "a1", "rater_id": "h2", '
            f'"rating": 3, {V}}}',
            f'{{"personalized_response_id": "q5", "generic_response_id": "g1", "attribute_id": "a1", "rater_id": "h2", '
            f'"rating": 3, {V}}}',
        ),
    })
    (refs / "manifest.json").write_text(json.dumps({
        "name": "references", "schema_version": "1.0", "provenance": {"kind": "simulated", "origin": "corpus"},
        "files": {n: entry(refs, f"{n}.jsonl") for n in (
            "raters", "users", "attributes", "prompts", "relevance_judgments", "responses", "response_ratings")},
    }, indent=2) + "\n", encoding="utf-8")
    dataset("absent_reference_files", {
        "raters.jsonl": RATERS,
        "relevance_judgments.jsonl": lines(*(rj(prompt=f"p{i % 3}", attr=f"a{i}") for i in range(1, 121))),
    })
    man = dataset("manifest", {"raters.jsonl": RATERS, "users.jsonl": USERS, "prompts.jsonl": PROMPTS})
    files = {n: entry(man, f"{n}.jsonl") for n in ("raters", "users")}
    files["raters"]["records"] = 4
    files["users"]["sha256"] = "0" * 64
    files["attributes"] = {"path": "attributes.jsonl", "records": 2, "sha256": "1" * 64}
    files["judgments"] = {"path": "judgments.jsonl", "records": 1}
    (man / "manifest.json").write_text(json.dumps({
        "name": "manifest", "schema_version": "1.3", "provenance": {"kind": "synthetic"}, "files": files,
    }, indent=2) + "\n", encoding="utf-8")
    stray = dataset("stray_files", {
        "users.jsonl": USERS, "notes.txt": b"todo\n", "judgments.jsonl": b"{}\n", "README.md": b"# data\n",
        "LICENSE.txt": b"CC BY 4.0\n", "ground_truth.json": b"{}\n", ".DS_Store": b"\x00\x01",
        "ground_truth.json.gz": gzip.compress(b"{}\n", mtime=0),
    })
    (stray / "old").mkdir()  # a folder (not empty, so that git keeps it): not looked into
    (stray / "old" / "users.jsonl").write_bytes(USERS)
    single("empty_file", "users.jsonl", b"")
    single("blank_lines_only", "users.jsonl", b"\n  \n\r\n\t\n")
    single("corrupt_gzip", "users.jsonl.gz", b"this is not gzip data\n")
    many = lines(*(f'{{"user_id": "u{i}", "source": "wildchat", "origin": "human", {V}}}' for i in range(1, 201)))
    truncated = gzip.compress(many, mtime=0)[:-40]
    single("truncated_gzip", "users.jsonl.gz", truncated)
    single("gzip_named_plain", "users.jsonl", gzip.compress(USERS, mtime=0))
    single("utf16", "users.jsonl", USERS.decode("utf-8").encode("utf-16"))
    dataset("plain_and_gzip", {"users.jsonl": USERS, "users.jsonl.gz": gzip.compress(USERS[:60] + b"\n", mtime=0)})
    single("capped", "response_ratings.jsonl", lines(*(
        f'{{"personalized_response_id": "rp", "generic_response_id": "rg", "attribute_id": "a{i}", '
        f'"rater_id": "h1", "rating": {6 + i % 3}, {V}}}'
        for i in range(60)
    )))
    single("accepted_bom_crlf", "users.jsonl",
           b"\xef\xbb\xbf" + USERS.replace(b"\n", b"\r\n") + b"\r\n   \r\n"
           + f'{{"user_id": "u3", "source": "prefeval", "origin": "synthetic", {V}}}'.encode())
    single("bom_not_on_line_1", "users.jsonl", USERS + b"\xef\xbb\xbf" + USERS.split(b"\n")[0] + b"\n")


def bless() -> None:
    import os

    from toolkit.validate import validate_path

    for case in sorted(p for p in HERE.iterdir() if p.is_dir()):
        os.chdir(case)
        target = "data" if (case / "data").is_dir() else next(
            p.name for p in case.iterdir() if p.name != "expected.txt")
        (case / "expected.txt").write_text(validate_path(target).format_text() + "\n", encoding="utf-8")


if __name__ == "__main__":
    make()
    if "--bless" in sys.argv:
        bless()
