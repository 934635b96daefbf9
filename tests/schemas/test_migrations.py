"""Schema versions and migrations: older records are upgraded, newer ones are refused with "upgrade"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schemas import SCHEMA_VERSION, RecordError, RelevanceJudgment, migrations, structure
from schemas.migrations import SCHEMA_MAJOR
from toolkit import jsonl
from toolkit.validate import validate_path

JUDGMENT = {
    "user_id": "u1", "prompt_id": "p1", "attribute_id": "a1", "rater_id": "h1", "relevant": True,
    "schema_version": SCHEMA_VERSION,
}
OLD_MAJOR = SCHEMA_MAJOR - 1


@pytest.fixture
def restore_registry() -> Iterator[dict[tuple[str, int], migrations.Migration]]:
    """The migration registry, restored after the test whatever the test registers."""
    saved = dict(migrations.MIGRATIONS)
    try:
        yield migrations.MIGRATIONS
    finally:
        migrations.MIGRATIONS.clear()
        migrations.MIGRATIONS.update(saved)


@pytest.fixture
def fake_migration(restore_registry: dict) -> dict[str, Any]:
    """A pretend previous major of relevance judgments that called the rater ``judge`` and the label ``yes``."""
    calls: dict[str, Any] = {"n": 0}

    @migrations.register("relevance_judgments", OLD_MAJOR)
    def rename(data: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        data = dict(data)
        data["rater_id"] = data.pop("judge")
        data["relevant"] = data.pop("yes")
        return data

    return calls


def _old_judgment() -> dict[str, Any]:
    old = {k: v for k, v in JUDGMENT.items() if k not in ("rater_id", "relevant")}
    return {**old, "judge": "h1", "yes": False, "schema_version": f"{OLD_MAJOR}.7"}


def test_current_version_needs_no_migration(fake_migration: dict) -> None:
    assert structure(dict(JUDGMENT), "relevance_judgments") == RelevanceJudgment("u1", "p1", "a1", "h1", True)
    assert fake_migration["n"] == 0


def test_older_major_is_migrated_before_structuring(fake_migration: dict) -> None:
    old = _old_judgment()
    before = dict(old)
    record = structure(old, "relevance_judgments")
    assert record == RelevanceJudgment("u1", "p1", "a1", "h1", False)
    assert record.schema_version == SCHEMA_VERSION
    assert fake_migration["n"] == 1
    assert old == before, "the input dict must not be modified"


def test_upgrade_returns_a_new_current_dict(fake_migration: dict) -> None:
    old = _old_judgment()
    new = migrations.upgrade("relevance_judgments", old)
    assert new is not old
    assert new["schema_version"] == migrations.CURRENT
    assert new["rater_id"] == "h1" and "judge" not in new


def test_migrations_chain_one_major_at_a_time(restore_registry: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "SCHEMA_MAJOR", 3)
    monkeypatch.setattr(migrations, "SCHEMA_MINOR", 2)
    monkeypatch.setattr(migrations, "CURRENT", "3.2")
    seen = []
    migrations.register("users", 1)(lambda d: seen.append(("1->2", d["schema_version"])) or {**d, "a": 1})
    migrations.register("users", 2)(lambda d: seen.append(("2->3", d["schema_version"])) or {**d, "b": 2})
    out = migrations.upgrade("users", {"user_id": "u", "schema_version": "1.4"})
    assert seen == [("1->2", "1.4"), ("2->3", "2.0")]
    assert out == {"user_id": "u", "a": 1, "b": 2, "schema_version": "3.2"}


def test_older_major_without_migration_is_an_error(restore_registry: dict) -> None:
    with pytest.raises(RecordError) as info:
        structure({**JUDGMENT, "schema_version": f"{OLD_MAJOR}.3"}, "relevance_judgments")
    assert info.value.errors == [
        ("schema_version", f"no migration from {OLD_MAJOR}.x to {SCHEMA_MAJOR}.x for relevance_judgments records")
    ]


@pytest.mark.parametrize("version", [f"{SCHEMA_MAJOR + 1}.0", f"{SCHEMA_MAJOR + 7}.3"])
def test_newer_major_says_upgrade(version: str) -> None:
    with pytest.raises(RecordError) as info:
        structure({**JUDGMENT, "schema_version": version}, "relevance_judgments")
    ((field, message),) = info.value.errors
    assert field == "schema_version"
    assert message == (
        f"{version} is newer than this toolkit knows ({SCHEMA_VERSION}); upgrade recenter-toolkit"
    )


def test_newer_minor_of_the_current_major_says_upgrade() -> None:
    version = f"{SCHEMA_MAJOR}.{int(SCHEMA_VERSION.split('.')[1]) + 1}"
    with pytest.raises(RecordError, match="upgrade recenter-toolkit"):
        structure({**JUDGMENT, "schema_version": version}, "relevance_judgments")


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (None, "must be a 'MAJOR.MINOR' string"),
        (1.0, "must be a 'MAJOR.MINOR' string"),
        ("1", "schema version must look like 'MAJOR.MINOR', got '1'"),
        ("1.0.0", "schema version must look like 'MAJOR.MINOR', got '1.0.0'"),
        ("v1.0", "schema version must look like 'MAJOR.MINOR', got 'v1.0'"),
    ],
)
def test_malformed_versions(version: Any, message: str) -> None:
    with pytest.raises(RecordError) as info:
        structure({**JUDGMENT, "schema_version": version}, "relevance_judgments")
    assert info.value.errors == [("schema_version", message)]


def test_check_version_is_shared_with_the_manifest_check() -> None:
    assert migrations.check_version(SCHEMA_VERSION) == (SCHEMA_MAJOR, int(SCHEMA_VERSION.split(".")[1]))
    assert migrations.check_version(f"{OLD_MAJOR}.7") == (OLD_MAJOR, 7)
    with pytest.raises(ValueError, match="must be a 'MAJOR.MINOR' string"):
        migrations.check_version(1.0)
    with pytest.raises(ValueError, match="upgrade recenter-toolkit"):
        migrations.check_version(f"{SCHEMA_MAJOR + 1}.0")


def test_missing_version() -> None:
    data = {k: v for k, v in JUDGMENT.items() if k != "schema_version"}
    with pytest.raises(RecordError) as info:
        structure(data, "relevance_judgments")
    assert info.value.errors == [("schema_version", "missing required field")]


def test_validator_uses_migrations(fake_migration: dict, tmp_path) -> None:
    path = tmp_path / "relevance_judgments.jsonl"
    old = {**_old_judgment(), "judge": "h2"}
    jsonl.write_records(path, [old, JUDGMENT, {**JUDGMENT, "rater_id": "h3", "schema_version": "9.0"}])
    report = validate_path(path)
    assert [p.format() for p in report.problems if p.severity == "error"] == [
        f"{path}:3: schema_version: 9.0 is newer than this toolkit knows ({SCHEMA_VERSION}); upgrade recenter-toolkit"
    ]
    assert report.files[str(path)].valid == 2


# -- minor steps (schema 1.1) ---------------------------------------------------------------------------------


def test_a_1_0_rater_gets_its_kind_as_group() -> None:
    old = {"rater_id": "h1", "kind": "human", "schema_version": "1.0"}
    new = migrations.upgrade("raters", old)
    assert new == {**old, "group": "human", "schema_version": migrations.CURRENT}
    assert "group" not in old, "the input dict must not be modified"
    assert structure(old, "raters").group == "human"


def test_a_1_0_record_of_a_type_without_steps_only_changes_version() -> None:
    old = {**JUDGMENT, "schema_version": "1.0"}
    assert migrations.upgrade("relevance_judgments", old) == JUDGMENT
    assert not migrations.has_minor_steps("relevance_judgments", 0)
    assert migrations.has_minor_steps("raters", 0) and migrations.has_minor_steps("response_ratings", 0)
    assert not migrations.has_minor_steps("raters", int(SCHEMA_VERSION.split(".")[1]))


def test_older_rules_and_added_fields_are_errors_of_their_version() -> None:
    with pytest.raises(migrations.OlderVersionError) as info:
        migrations.upgrade("relevance_judgments", {**JUDGMENT, "grade": 1, "schema_version": "1.0"})
    assert info.value.errors == [
        ("grade", f"unknown field in schema 1.0 records (added in 1.1; set schema_version to {SCHEMA_VERSION!r})")
    ]
    assert "grade" not in info.value.upgraded
    rating = {"personalized_response_id": "p", "generic_response_id": "g", "attribute_id": "a", "rater_id": "h",
              "rating": 6.0, "schema_version": "1.0"}
    with pytest.raises(RecordError) as info2:
        structure(rating, "response_ratings")
    assert info2.value.errors == [("rating", "must be an integer 1..5, got 6.0")]


def test_minor_steps_chain_after_a_major_migration(restore_registry: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "SCHEMA_MAJOR", 2)
    monkeypatch.setattr(migrations, "SCHEMA_MINOR", 2)
    monkeypatch.setattr(migrations, "CURRENT", "2.2")
    saved = dict(migrations.MINOR_MIGRATIONS)
    seen = []
    try:
        migrations.register("users", 1)(lambda d: seen.append(("1->2", d["schema_version"])) or dict(d))
        migrations.register_minor("users", "2.0")(lambda d: seen.append(("2.0->2.1", d["schema_version"])) or d)
        migrations.register_minor("users", "2.1")(lambda d: seen.append(("2.1->2.2", d["schema_version"])) or d)
        assert migrations.upgrade("users", {"user_id": "u", "schema_version": "1.3"})["schema_version"] == "2.2"
        assert seen == [("1->2", "1.3"), ("2.0->2.1", "2.0"), ("2.1->2.2", "2.1")]
        seen.clear()
        migrations.upgrade("users", {"user_id": "u", "schema_version": "2.1"})
        assert seen == [("2.1->2.2", "2.1")]
    finally:
        migrations.MINOR_MIGRATIONS.clear()
        migrations.MINOR_MIGRATIONS.update(saved)
