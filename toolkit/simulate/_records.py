"""Records of a drawn study, streamed as JSON-ready dicts in the canonical (``schemas.unstructure``) form.

Every generator yields plain dicts with the fields of the record class in declaration order, so
``write_records`` can stream millions of them without building attrs objects; ``SimulatedStudy.records``
structures them into the schema classes when asked. A test checks both forms agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from toolkit.simulate._stages import ACCEPTED, REJECTED, UNCERTAIN, Study
from toolkit.simulate.config import BASELINES, FAILURE_MODES, LLMS, REWARD_MODELS, SOURCES, VERIFIER

__all__ = [
    "GENERATORS",
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
    "response_ids",
]

V = "1.0"  # schemas.SCHEMA_VERSION, checked in the tests (kept literal for speed of the dict builders)
LABELS = {ACCEPTED: "accepted", UNCERTAIN: "uncertain", REJECTED: "rejected"}
SIMULATED = "simulated placeholder, not real data"


def raters(study: Study) -> Iterator[dict[str, Any]]:
    def rater(rid: str, kind: str, model: str | None, description: str) -> dict[str, Any]:
        return {
            "rater_id": rid,
            "kind": kind,
            "model": model,
            "derived_from": [],
            "description": f"{description} (simulated)",
            "schema_version": V,
        }

    crowd = bool(study.crowd_ids)
    for rid in study.human_ids:
        what = "stages 1 and 3" if crowd else "every stage"
        yield rater(rid, "human", None, f"human annotator slot; labels every item of {what}")
    n_slots = len(study.human_ids)
    for rid in study.crowd_ids:
        yield rater(rid, "human", None, f"crowd worker; stage 2 only, {n_slots} workers per item")
    for rid in LLMS:
        yield rater(
            rid, "llm", rid, "LLM judge (stages 2-3), generator (stage 3) and prompted verifier (stage 1)"
        )
    descriptions = {
        "bm25": "BM25 similarity of attribute and prompt; relevant above a threshold",
        "embedding": "embedding cosine similarity of attribute and prompt; relevant above a threshold",
        "roberta-classifier": "RoBERTa relevance classifier trained on human labels (Table 3)",
        "qwen3-4b-grpo": "Qwen3-4B fine-tuned with GRPO on human labels (Table 3)",
    }
    for rid in BASELINES:
        yield rater(rid, "baseline", None, descriptions[rid])
    yield rater(VERIFIER, "baseline", None, "RoBERTa attribute verifier (Table 2)")
    for rid, model in REWARD_MODELS.items():
        yield rater(
            rid, "reward_model", model, f"reward model ({model}) trained on the human stage-3 ratings"
        )


def users(study: Study) -> Iterator[dict[str, Any]]:
    for uid, s in zip(study.user_ids, study.user_source, strict=True):
        yield {
            "user_id": uid,
            "source": SOURCES[s],
            "origin": "human" if s == 0 else "synthetic",
            "schema_version": V,
        }


def conversations(study: Study) -> Iterator[dict[str, Any]]:
    uw = len(study.user_ids[0].rsplit("-", 1)[1])
    cw = max(2, len(str(int(study.conv_number.max())))) if len(study.conv_number) else 2
    for u, k, n in zip(study.conv_user, study.conv_number, study.conv_exchanges, strict=True):
        cid = f"c-{study.user_number[u]:0{uw}d}-{k:0{cw}d}"
        turns = []
        for t in range(1, int(n) + 1):
            turns.append({"role": "user", "content": f"[{SIMULATED}: user turn {t} of {cid}]"})
            turns.append({"role": "assistant", "content": f"[{SIMULATED}: assistant turn {t} of {cid}]"})
        yield {"conversation_id": cid, "user_id": study.user_ids[u], "turns": turns, "schema_version": V}


def attributes(study: Study) -> Iterator[dict[str, Any]]:
    extractor = study.config.design.extractor
    for aid, u, conf in zip(study.attr_ids, study.attr_user, study.attr_confidence, strict=True):
        yield {
            "attribute_id": aid,
            "user_id": study.user_ids[u],
            "text": f"The user ... [{SIMULATED}: attribute {aid}]",
            "reason": f"[{SIMULATED}]",
            "confidence": float(conf),
            "extractor": extractor,
            "evidence": [],
            "merged_from": [],
            "schema_version": V,
        }


def extraction_judgments(study: Study) -> Iterator[dict[str, Any]]:
    rejected_below = study.config.stage1.verifier_rejected_below
    verifiers = (VERIFIER, *LLMS)
    labels = study.s1_label.tolist()
    failures = study.s1_failure.tolist()
    flags = {r: study.s1_verifier_flag[r].tolist() for r in verifiers}
    probs = {r: study.s1_verifier_prob[r].tolist() for r in verifiers}
    for i, aid in enumerate(study.attr_ids):
        for k, rid in enumerate(study.human_ids):
            f = failures[i][k]
            yield {
                "attribute_id": aid,
                "rater_id": rid,
                "label": LABELS[labels[i][k]],
                "failure_mode": FAILURE_MODES[f] if f >= 0 else None,
                "note": None,
                "probability": None,
                "schema_version": V,
            }
        for rid in verifiers:
            p = probs[rid][i]
            label = "rejected" if p < rejected_below else "uncertain" if flags[rid][i] else "accepted"
            yield {
                "attribute_id": aid,
                "rater_id": rid,
                "label": label,
                "failure_mode": None,
                "note": None,
                "probability": p,
                "schema_version": V,
            }


def prompts(study: Study) -> Iterator[dict[str, Any]]:
    source = study.config.design.prompt_source
    for pid in study.prompt_ids:
        yield {
            "prompt_id": pid,
            "text": f"[{SIMULATED}: prompt {pid}]",
            "source": source,
            "schema_version": V,
        }


def relevance_judgments(study: Study) -> Iterator[dict[str, Any]]:
    yes_h = study.s2_yes_h.tolist()
    yes_l = study.s2_yes_l.tolist()
    preds = {r: study.s2_base_pred[r].tolist() for r in BASELINES}
    scores = {r: study.s2_base_score[r].tolist() for r in BASELINES}
    pair_user = [study.user_ids[u] for u in study.pair_user]
    pair_prompt = [study.prompt_ids[p] for p in study.pair_prompt]
    if study.crowd_ids:  # sparse crowd: the workers of each item
        who = [[study.crowd_ids[w] for w in row] for row in study.s2_human_rater.tolist()]
    else:
        who = [study.human_ids] * len(study.item_pair)
    for i, (pair, a) in enumerate(zip(study.item_pair.tolist(), study.item_attr.tolist(), strict=True)):
        uid, pid, aid = pair_user[pair], pair_prompt[pair], study.attr_ids[a]
        for k, rid in enumerate(who[i]):
            yield {
                "user_id": uid,
                "prompt_id": pid,
                "attribute_id": aid,
                "rater_id": rid,
                "relevant": yes_h[i][k],
                "score": None,
                "raw_answer": None,
                "schema_version": V,
            }
        for j, rid in enumerate(LLMS):
            yes = yes_l[i][j]
            yield {
                "user_id": uid,
                "prompt_id": pid,
                "attribute_id": aid,
                "rater_id": rid,
                "relevant": yes,
                "score": None,
                "raw_answer": "YES" if yes else "NO",
                "schema_version": V,
            }
        for rid in BASELINES:
            yield {
                "user_id": uid,
                "prompt_id": pid,
                "attribute_id": aid,
                "rater_id": rid,
                "relevant": preds[rid][i],
                "score": scores[rid][i],
                "raw_answer": None,
                "schema_version": V,
            }


def response_ids(study: Study, item: int) -> tuple[str, str]:
    """The ``(personalized, generic)`` response ids of stage-3 item ``item``."""
    pair = study.s3_item_pair[item]
    u, p = study.pair_user[pair], study.pair_prompt[pair]
    stem = f"r-{study.user_ids[u].rsplit('-', 1)[1]}-{study.prompt_ids[p].rsplit('-', 1)[1]}-{LLMS[study.s3_item_gen[item]]}"
    return f"{stem}-personalized", f"{stem}-generic"


def responses(study: Study) -> Iterator[dict[str, Any]]:
    mentioned: dict[int, list[str]] = {}
    for it, a, m in zip(
        study.unit_item.tolist(), study.unit_attr.tolist(), study.unit_mention.tolist(), strict=True
    ):
        if m:
            mentioned.setdefault(it, []).append(study.attr_ids[a])
    for it in range(len(study.s3_item_pair)):
        pair = study.s3_item_pair[it]
        uid, pid = study.user_ids[study.pair_user[pair]], study.prompt_ids[study.pair_prompt[pair]]
        gen = LLMS[study.s3_item_gen[it]]
        pers, generic = response_ids(study, it)
        ids = mentioned.get(it, [])
        yield {
            "response_id": generic,
            "user_id": uid,
            "prompt_id": pid,
            "generator": gen,
            "condition": "generic",
            "text": f"[{SIMULATED}: generic response by {gen} to {pid}]",
            "mentions_attributes": False,
            "mentioned_attribute_ids": [],
            "schema_version": V,
        }
        yield {
            "response_id": pers,
            "user_id": uid,
            "prompt_id": pid,
            "generator": gen,
            "condition": "personalized",
            "text": f"[{SIMULATED}: response by {gen} to {pid} personalized for {uid}]",
            "mentions_attributes": bool(ids),
            "mentioned_attribute_ids": ids,
            "schema_version": V,
        }


def response_ratings(study: Study) -> Iterator[dict[str, Any]]:
    rh, rl = study.s3_rating_h.tolist(), study.s3_rating_l.tolist()
    ids = [response_ids(study, it) for it in range(len(study.s3_item_pair))]
    for n, (it, a) in enumerate(zip(study.unit_item.tolist(), study.unit_attr.tolist(), strict=True)):
        pers, generic = ids[it]
        aid = study.attr_ids[a]
        for k, rid in enumerate(study.human_ids):
            yield {
                "personalized_response_id": pers,
                "generic_response_id": generic,
                "attribute_id": aid,
                "rater_id": rid,
                "rating": rh[n][k],
                "schema_version": V,
            }
        for j, rid in enumerate(LLMS):
            yield {
                "personalized_response_id": pers,
                "generic_response_id": generic,
                "attribute_id": aid,
                "rater_id": rid,
                "rating": rl[n][j],
                "schema_version": V,
            }


def scores(study: Study) -> Iterator[dict[str, Any]]:
    rm = study.s3_rm.tolist()
    ids = [response_ids(study, it)[0] for it in range(len(study.s3_item_pair))]
    for n, (it, a) in enumerate(zip(study.unit_item.tolist(), study.unit_attr.tolist(), strict=True)):
        for s, rid in enumerate(REWARD_MODELS):
            yield {
                "response_id": ids[it],
                "scorer_id": rid,
                "value": rm[n][s],
                "attribute_id": study.attr_ids[a],
                "schema_version": V,
            }


#: record type name -> generator of its dicts (dependency order, as in ``schemas.RECORD_TYPES``).
GENERATORS = {
    "raters": raters,
    "users": users,
    "conversations": conversations,
    "attributes": attributes,
    "extraction_judgments": extraction_judgments,
    "prompts": prompts,
    "relevance_judgments": relevance_judgments,
    "responses": responses,
    "response_ratings": response_ratings,
    "scores": scores,
}
