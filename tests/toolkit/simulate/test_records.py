"""The simulated study's records (toolkit.simulate._records, drawn by _stages): the study's counts (77 / 1,983 /
5,949; 164 pairs, 3,973 items; 80 items, 367 x 3 ratings; 550 conversations), its design rules, readable ids
and the canonical record form."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from schemas import structure, unstructure
from toolkit.simulate import LLMS, REWARD_MODELS


def test_stage1_counts(records):
    users, attrs_ = records["users"], records["attributes"]
    assert len(users) == 77
    assert Counter(u.source for u in users) == {
        "wildchat": 47,
        "cupid": 10,
        "prefeval": 10,
        "personalens": 10,
    }
    assert all((u.origin.value == "human") == (u.source == "wildchat") for u in users)
    assert len(attrs_) == 1983
    humans = {r.rater_id for r in records["raters"] if r.kind.value == "human"}
    assert humans == {"human-1", "human-2", "human-3"}
    human_j = [j for j in records["extraction_judgments"] if j.rater_id in humans]
    assert len(human_j) == 5949
    per_attr = Counter(j.attribute_id for j in human_j)
    assert set(per_attr.values()) == {3}
    # failure modes exactly on the problematic human judgments; verifiers carry a probability
    assert all((j.failure_mode is None) == (j.label.value == "accepted") for j in human_j)
    verifiers = [j for j in records["extraction_judgments"] if j.rater_id not in humans]
    assert {j.rater_id for j in verifiers} == {"roberta-verifier", *LLMS}
    assert all(
        j.probability is not None and (j.probability < 0.5) == (j.label.value != "accepted")
        for j in verifiers
    )


def test_stage2_design(records):
    rj = pd.DataFrame([unstructure(r) for r in records["relevance_judgments"]])
    pairs = rj[["user_id", "prompt_id"]].drop_duplicates()
    assert len(pairs) == 164
    assert pairs["user_id"].nunique() == 47 and pairs["prompt_id"].nunique() == 41
    per_user = pairs.groupby("user_id").size()
    per_prompt = pairs.groupby("prompt_id").size()
    assert per_user.between(2, 5).all() and per_prompt.between(2, 4).all()
    items = rj[["user_id", "prompt_id", "attribute_id"]].drop_duplicates()
    assert len(items) == 3973
    per_pair = items.groupby(["user_id", "prompt_id"]).size()
    assert per_pair.between(17, 42).all()
    # each pair carries the user's whole profile, and only attributes of that user
    owner = {a.attribute_id: a.user_id for a in records["attributes"]}
    assert (items["attribute_id"].map(owner) == items["user_id"]).all()
    profile = Counter(a.user_id for a in records["attributes"])
    assert all(per_pair[(u, p)] == profile[u] for u, p in per_pair.index)
    # 3 humans + 5 LLM judges + 4 baselines per item; baselines have scores above threshold iff relevant
    assert (rj.groupby(["user_id", "prompt_id", "attribute_id"]).size() == 12).all()
    assert (rj["rater_id"].str.startswith("human-")).sum() == 11919
    llm = rj[rj["rater_id"].isin(LLMS)]
    assert ((llm["raw_answer"] == "YES") == llm["relevant"]).all()
    base = rj[rj["score"].notna()]
    assert set(base["rater_id"]) == {"bm25", "embedding", "roberta-classifier", "qwen3-4b-grpo"}


def test_stage3_design(records):
    responses = records["responses"]
    ratings = pd.DataFrame([unstructure(r) for r in records["response_ratings"]])
    assert len(responses) == 160
    pers = [r for r in responses if r.condition.value == "personalized"]
    assert len(pers) == 80
    assert Counter(r.generator for r in pers) == {g: 16 for g in LLMS}
    units = ratings[["personalized_response_id", "attribute_id"]].drop_duplicates()
    assert len(units) == 367
    humans = ratings[ratings["rater_id"].str.startswith("human-")]
    assert len(humans) == 1101
    assert (ratings.groupby(["personalized_response_id", "attribute_id"]).size() == 8).all()
    assert ratings["rating"].between(1, 5).all()
    # every rated attribute is human-relevant (majority) for the pair; mentions are among the rated ones
    rj = pd.DataFrame([unstructure(r) for r in records["relevance_judgments"]])
    hum = rj[rj["rater_id"].str.startswith("human-")]
    majority = hum.groupby(["user_id", "prompt_id", "attribute_id"])["relevant"].sum() >= 2
    resp = {r.response_id: r for r in responses}
    for pid, aid in units.itertuples(index=False):
        r = resp[pid]
        assert majority[(r.user_id, r.prompt_id, aid)]
    rated = units.groupby("personalized_response_id")["attribute_id"].apply(set)
    for r in pers:
        assert set(r.mentioned_attribute_ids) <= rated[r.response_id]
        assert r.mentions_attributes == bool(r.mentioned_attribute_ids)
    scores = records["scores"]
    assert len(scores) == 367 * len(REWARD_MODELS)
    assert {s.scorer_id for s in scores} == set(REWARD_MODELS)


def test_conversations(records):
    convs = records["conversations"]
    assert len(convs) == 550
    wildchat = {u.user_id for u in records["users"] if u.source == "wildchat"}
    per_user = Counter(c.user_id for c in convs)
    assert set(per_user) == wildchat and min(per_user.values()) >= 3
    turns = Counter()
    for c in convs:
        turns[c.user_id] += len(c.turns)
        assert all("simulated" in t.content for t in c.turns)
    assert min(turns.values()) >= 15


def test_ids_are_readable_and_unique(records):
    users = [u.user_id for u in records["users"]]
    assert users[0] == "u-wc-0001" and users[47] == "u-cupid-0048"
    assert records["attributes"][0].attribute_id == "a-0001-01"
    assert records["prompts"][0].prompt_id == "p-lima-001"
    for name in ("users", "attributes", "prompts", "responses", "conversations", "raters"):
        key = {
            "users": "user_id",
            "attributes": "attribute_id",
            "prompts": "prompt_id",
            "responses": "response_id",
            "conversations": "conversation_id",
            "raters": "rater_id",
        }[name]
        ids = [getattr(r, key) for r in records[name]]
        assert len(ids) == len(set(ids)), name


def test_records_are_canonical(study):
    """The streamed dicts are exactly the unstructured form of valid schema records."""
    for name in (
        "raters",
        "users",
        "conversations",
        "attributes",
        "extraction_judgments",
        "prompts",
        "relevance_judgments",
        "responses",
        "response_ratings",
        "scores",
    ):
        for i, d in enumerate(study.iter_dicts(name)):
            if i > 300:
                break
            assert d["schema_version"] == "1.0"  # the simulator draws no 1.1 field: its records stay 1.0
            out = unstructure(structure(d, name))  # migrated to the current version: 1.1 adds fields only
            assert {k: v for k, v in out.items() if k in d and k != "schema_version"} == {
                k: v for k, v in d.items() if k != "schema_version"
            }, name
