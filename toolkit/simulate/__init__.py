r"""A paper-calibrated generative model of the whole three-stage study, and the bundled sample drawn from it.

The study's data cannot be downloaded here, so every command of the toolkit defaults to a *simulated* sample
(``toolkit/data/sample/``, exactly ``recenter simulate`` at :data:`DEFAULT_SEED`). The simulator is also a
research tool: it gives data with known ground truth for checking the Bayesian models of
:mod:`toolkit.models` (which mirror the generative structure below), and scaled-up studies for power
analysis.

API
---
``simulate(config=None, seed=DEFAULT_SEED) -> SimulatedStudy``; ``SimulatedStudy.records`` (canonical
schema records by type), ``.truth`` (JSON-ready ground truth), ``.write(path, compress=True)``;
:class:`SimulationConfig` (every parameter, documented; ``.scaled(k)``, ``.small()``);
:func:`load_ground_truth`. :mod:`toolkit.simulate.tuning` re-derives the calibrated defaults from target
values passed in. The simulator never reads the paper's numbers: the comparison with the paper (published vs
simulated, with tolerances) is ``analyses.calibration.calibration_table``, in the layer above the toolkit.

Command: ``recenter simulate --out DIR [--seed N] [--scale K] [--independent] [--misspecification NAME]
[--report]`` (``--report`` prints the calibration table; the command-line layer adds it).

Design (scale 1)
----------------
Stage 1: 77 users (47 WildChat, human origin; 10 each CUPID, PrefEval, PersonaLens), 1,983 attributes, each
judged by 3 human annotator slots (5,949 labels), by the RoBERTa verifier and by the 5 LLMs as prompted
verifiers. Stage 2: the 47 WildChat users x 41 prompts -> 164 pairs (2-5 prompts per user, 4 users per prompt:
41 x 4 = 164 leaves no room for fewer), each pair with the user's whole profile (17-42 attributes) -> 3,973
(user, prompt, attribute) items judged by 3 humans, 5 LLM judges and 4 baselines. Stage 3: 16 pairs with at
least one human-relevant attribute (drawn with probability proportional to their number of relevant
attributes) x 5 generators = 80 items, each with a generic and a personalized response; the units are the
(item, human-majority-relevant attribute) pairs, thinned at random (at least one per item) to the budget of
367; each unit is rated by the 3 humans and the 5 LLM judges and scored by 3 reward models. 550 placeholder
conversations for the WildChat users (at least 3 conversations and 15 turns each). Ids are readable and
stable: ``u-wc-0001``, ``a-0001-03``, ``p-lima-017``, ``r-0001-017-gpt-5.4-personalized``, ``c-0001-02``.

Generative model
----------------
**Stage 1** (ordinal cumulative logit; higher = better). For the judgment of attribute :math:`i` of user
:math:`u` (source :math:`s`) by annotator :math:`k`:

.. math::

    \eta_{ik} = \alpha_s + v_u + w_k + \varepsilon_{ik},\quad v_u \sim N(0, \sigma_\text{user}^2),\;
    w_k \sim N(0, \sigma_\text{annotator}^2),\; \varepsilon_{ik} \sim \text{Logistic}(0, 1)

    y_{ik} = \text{accepted if } \eta_{ik} > c_2,\ \text{uncertain if } c_1 < \eta_{ik} \le c_2,\
    \text{rejected otherwise.}

Every problematic (uncertain or rejected) human judgment gets a failure mode drawn from the published
shares. Verifiers (RoBERTa and the 5 LLMs) flag an attribute as problematic at a fixed operating point
(precision, recall) against the *human-majority problematic* label (Table 2's positive class), with a
``probability`` (acceptable) below 0.5 exactly when flagged.

**Stage 2** (latent class with group-shared item effects). Item :math:`i = (u, p, a)`; rater :math:`r` in
group :math:`g(r) \in \{\text{human}, \text{llm}\}`:

.. math::

    z_i \sim \text{Bernoulli}(\operatorname{logistic}(\mu + b_p)),\quad b_p \sim N(0, \sigma_\text{prompt}^2)

    P(y_{ir} = 1 \mid z_i, u) = \operatorname{logistic}\big(\operatorname{logit}(\text{sens}_r) + u_{i,g(r)}\big)
    \text{ if } z_i = 1,\quad
    \operatorname{logistic}\big(\operatorname{logit}(1 - \text{spec}_r) + u_{i,g(r)}\big) \text{ if } z_i = 0,

    u_{i,g} \sim N(0, \sigma_{\text{shared},g}^2).

Sensitivity and specificity are defined at :math:`u = 0`. The shared effect makes raters of a group agree
beyond the truth (LLM-LLM kappa 0.597 > human-human 0.426). Under this structure humans and LLMs agree only
through :math:`z`, so human-LLM kappa 0.300 next to human-human 0.426 and LLM YES rates of 40-60% is only
reachable when the latent prevalence is above the 17.8% majority rate: the calibrated model has
:math:`E\,\operatorname{logistic}(\mu + b) \approx 0.22`, humans who miss about a third of the truly
relevant attributes (marginal sensitivity 0.65-0.73), and LLMs that find nearly all of them (0.87-0.98)
but say YES to 27-37% of the others. Baselines (BM25, embedding, RoBERTa classifier, Qwen3-4B+GRPO) are
classifiers of the realised human-majority label at a fixed (precision, recall); their ``score`` is above a
threshold exactly when ``relevant``.

**Stage 3** (cumulative logit with judge effects). Unit :math:`n = (\text{item}, \text{attribute})`, item
= (pair, generator :math:`G`); judge :math:`j` (the human annotators as one judge with annotator effects
:math:`h_k`, or an LLM judge); :math:`m_n` = the personalized response mentions the attribute explicitly:

.. math::

    m_n \sim \text{Bernoulli}(\pi_G),\quad q_\text{item} \sim N(0, \sigma_\text{item}^2),\quad
    a_n \sim N(0, \sigma_\text{attr}^2),\quad Q_n = \beta_G + q_\text{item} + a_n

    \eta_{nj(k)} = Q_n + \gamma_j + \delta_j m_n + h_k + e_{jn},\quad
    e_{jn} \sim N(0, \sigma_{\text{noise},j}^2),\quad P(y \le c) = \operatorname{logistic}(c_c - \eta)

with :math:`\gamma_\text{human} = 0` (reference; :math:`\gamma_j` of an LLM judge is its inflation),
:math:`h_k \sim N(0, \sigma_\text{annotator}^2)` for humans and 0 for LLM judges. :math:`e` is extra
judge-specific noise: set every ``sd_judge_noise`` to 0 for exactly the cumulative-logit model; the default
uses it to reach the low published Spearman values of Table 6 (the price is a wide, U-shaped rating
distribution for the weakest judges, Gemma-4 and Qwen3.5). Reward model :math:`s`:
:math:`\text{score} = \rho_s \operatorname{std}(Q) + \sqrt{1 - \rho_s^2}\, N(0, 1)`, i.e. latent
correlation :math:`\rho_s` with :math:`Q`.

Balanced sampling
-----------------
At the paper's size several published statistics have a sampling SE at or above the tolerance they are
checked with: with independent draws, across seeds, the SD of a judge's mention effect (~70 mentioned
ratings) is 0.14-0.27 against +/-0.05, of a Table 6 Spearman about 0.05 against +/-0.06, of the WildChat
acceptance 0.04 against +/-0.03. So by default (``SimulationConfig.balanced``) the simulator samples in a
balanced way, which keeps every unit's distribution but pins sample totals to their expectations:

* normal effects are centred and rescaled to their SD (user effects within source, annotator effects,
  prompt effects, shared item effects within the true class);
* Bernoulli vectors (true labels, YES answers within the true class, mentions within generator) use
  randomized systematic sampling: each unit keeps exactly its probability, the total is the expected one;
* failure modes and the operating points of baselines and verifiers are allocated by quota; stage-1 logistic
  noise is stratified (one draw per quantile bin);
* stage 3: the attribute effect, judge noise, rating noise and reward-model noise are drawn as one block with
  exact quantiles within each generator x mention stratum and no in-sample correlation with each other or
  with the generators, mentions and item effects (Iman-Conover); within each mention stratum the number of
  ratings above each cutpoint is the population expectation (integrating the item, attribute and judge-noise
  effects) and goes to the units with the highest latent scores (so the cutpoints move by the stratum's
  sampling error, no more); finally the stage-3 noise is redrawn until each reported rank statistic is
  within half its calibration tolerance (``typical_band``: 0.03 for a Spearman, 0.015 for the weighted
  kappa) of its expectation under the model, estimated on an ~8,000-unit replicate (typical-set
  conditioning; the number of attempts is in the truth).

With it, one draw at the paper's size lands on the model's expected statistics (across seeds: SD below
0.01 for shares, kappas and means, about 0.015 for the Spearman correlations). The price: a balanced sample
understates sampling variability, so never use it to judge uncertainty. Use ``balanced=False``
(``recenter simulate --independent``) for power analysis, where the full sampling variability matters.

Misspecified generators
-----------------------
For coverage studies that fit the models of :mod:`toolkit.models` to data they do *not* exactly describe,
``SimulationConfig(misspecification=NAME)`` (``recenter simulate --misspecification NAME``) swaps one piece
of the model above for a structure the corresponding model cannot represent. Parameters (not calibrated to
the paper; chosen so that the departure is material at the paper's size) are in
:data:`MISSPECIFICATION_PARAMETERS`; the extra effects come from a sixth random stream, so the five stage
streams are spawned as before; ``None`` (the default) is the model, draw for draw. All four work with
``balanced=False`` (what coverage studies should use) and with balanced sampling.

* ``"shared-item"`` (stage 2, judge model): one item effect :math:`u_i \sim N(0, 1.5^2)` enters the logit
  of every human and LLM judge, on top of each group's own effect, whose SD becomes
  :math:`\sqrt{\max(\sigma_{\text{shared},g}^2 - 1.5^2, 0)}`: the LLMs' total item-effect SD is unchanged
  (2.44); the humans' rises from 0.23 to 1.5 (their calibrated item effect is too small to carry a
  material shared part: keeping it, kappa between a human and an LLM given :math:`z` would be about 0.002).
  Humans and LLMs then agree beyond the truth (that kappa is about 0.13 on truly irrelevant items and 0.06
  on relevant ones, against 0 under the model).
* ``"attribute-effect"`` (stage 1, extraction model): :math:`\eta_{ik}` gains an attribute effect
  :math:`t_i \sim N(0, 0.8^2)` shared by the annotators of attribute :math:`i`, so its judgments correlate
  beyond the user and annotator effects.
* ``"judge-thresholds"`` (stage 3, rating model): each LLM judge cuts its latent value at its own cutpoints
  (each shared cutpoint plus :math:`N(0, 0.4^2)`, sorted), and a cell effect :math:`e_n \sim N(0, 0.6^2)`
  is added to every LLM judge's latent value of unit :math:`n` (not the humans'). A judge whose cutpoints
  all move by :math:`d` is a judge whose inflation moves by :math:`-d`: the truth gives that
  ``gamma_effective``.
* ``"sparse-crowd"`` (stage 2, judge model design): instead of 3 annotators who label every item, a pool of
  30 crowd workers (``crowd-01`` .. ``crowd-30``, kind ``human``; 10 per annotator slot) with their own
  accuracies (logit sensitivity and specificity: the mean logit of the human slots plus
  :math:`N(0, 0.5^2)`), each item labelled by 3 distinct workers chosen at random. LLM judges, baselines
  and stages 1 and 3 (which keep the ``human-k`` annotators) are unchanged.

Ground truth
------------
``ground_truth.json.gz`` (or ``.json``) beside the dataset; read it with :func:`load_ground_truth`. Keys:

* ``seed``, ``size_scale``, ``rater_scale``, ``balanced``, ``toolkit_version``, ``config`` (the full
  :class:`SimulationConfig`), ``raters`` (ids by kind).
* ``stage1``: ``alpha`` (per source), ``cutpoints`` ``[c1, c2]``, ``sd_user``, ``sd_annotator``, ``w`` (per
  human annotator), ``v`` (per user), ``failure_mode_shares``, ``verifier_operating_points``
  (``[precision, recall]``), ``derived``: ``label_shares_population`` / ``label_shares_sample`` per source,
  ``problematic_share_population`` (real, synthetic), ``problematic_gap_population`` / ``_sample`` (real
  minus synthetic), ``failure_mode_shares_sample``, ``attributes_problematic_under_majority``,
  ``attributes_with_a_problematic_judgment``.
* ``stage2``: ``mu``, ``sd_prompt``, ``b`` (per prompt), ``sd_shared`` (per group), ``raters`` (per human
  and LLM judge: ``group``, ``sensitivity``, ``specificity`` at u = 0, ``sensitivity_marginal``,
  ``specificity_marginal`` averaged over u, ``yes_rate_population``, ``yes_rate_sample``),
  ``baseline_operating_points``, ``derived`` (``prevalence_population``, ``prevalence_sample``,
  ``human_majority_rate_sample``), ``items`` (columns ``user_id, prompt_id, attribute_id, z, u_human,
  u_llm``: the latent truth of every item).
* ``stage3``: ``cutpoints`` ``[c1..c4]``, ``beta`` (per generator), ``gamma`` (per judge; human 0),
  ``delta`` (per judge), ``sd_item``, ``sd_attr``, ``sd_annotator``, ``sd_judge_noise``, ``h`` (per human
  annotator), ``mention_rate`` (per generator), ``reward_rho``, ``latent_correlation_with_Q`` (per judge
  and reward model: ``analytic`` with generators equally weighted, ``sample``; humans also
  ``sample_by_annotator``), ``derived.mention_rate_sample``, ``items`` (``personalized_response_id``,
  ``generator``, ``q``), ``units`` (``personalized_response_id``, ``attribute_id``, ``mention``, ``a``,
  ``Q``, ``e`` per LLM judge), ``conditioning`` (balanced mode: ``attempts``, ``max_deviation``,
  ``accepted``, ``expected`` and ``realised`` rank correlations).
* Misspecified generators only (absent otherwise, as is ``config.misspecification``, so the default output
  is unchanged): ``misspecification`` (``name``, ``parameters``, ``realised``: truth path -> meaning of
  every realised effect, and the population quantities the generator changes: ``sd_item_effect``
  (``shared``, ``specific``, ``total`` per group) and ``correlation_u_human_u_llm``; ``sd_latent_random``,
  ``population_method``, ``sd_attribute_sample``; ``cutpoint_shift_mean``, ``gamma_effective``,
  ``sd_judge_noise_total`` per LLM judge; ``labels_per_item``, ``n_workers``, ``worker_centre``). Realised
  effects: ``stage2.items.u_shared`` (``u_human`` and ``u_llm`` are then the total effects entering each
  group's logit and ``stage2.sd_shared`` their SDs; marginal accuracies integrate them);
  ``stage1.attribute_effect`` (per attribute; ``stage1.derived`` population shares and gap integrate it by
  the same Gauss-Hermite quadrature); ``stage3.judge_cutpoints`` (per LLM judge; ``stage3.cutpoints`` stay
  the humans') and ``stage3.units.e_llm_shared`` (``latent_correlation_with_Q`` includes it);
  ``raters.crowd``, ``stage2.raters`` (the crowd workers, with ``n_labels``, instead of the ``human-k``
  slots) and ``stage2.items.human_raters`` (the workers of each item).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs

import schemas
import toolkit
from toolkit.atomic import atomic_file, write_text
from toolkit.dataset import Dataset, write_dataset
from toolkit.simulate._records import GENERATORS
from toolkit.simulate._records import V as RECORD_VERSION
from toolkit.simulate._stages import draw_study
from toolkit.simulate._truth import build_truth
from toolkit.simulate.config import (
    BASELINES,
    LLMS,
    MISSPECIFICATION_PARAMETERS,
    MISSPECIFICATIONS,
    REWARD_MODELS,
    SOURCES,
    VERIFIER,
    DesignConfig,
    SimulationConfig,
    Stage1Config,
    Stage2Config,
    Stage3Config,
)
from toolkit.vocabulary import DEFAULT_SEED

#: File name of the ground truth beside a written dataset (``.gz`` when compressed).
TRUTH_FILE = "ground_truth.json"
LICENSE = "CC-BY-4.0"
CITATION = (
    "Simulated data calibrated to the published statistics of Zhang, Liu & August (2026), Re-Centering Humans "
    "in LLM Personalization, arXiv:2606.06614 (CC BY 4.0). Not the study's data."
)

__all__ = [
    "BASELINES",
    "CITATION",
    "DEFAULT_SEED",
    "LICENSE",
    "LLMS",
    "MISSPECIFICATIONS",
    "MISSPECIFICATION_PARAMETERS",
    "REWARD_MODELS",
    "SOURCES",
    "VERIFIER",
    "DesignConfig",
    "SimulatedStudy",
    "SimulationConfig",
    "Stage1Config",
    "Stage2Config",
    "Stage3Config",
    "TRUTH_FILE",
    "add_arguments",
    "load_ground_truth",
    "run",
    "simulate",
    "write_truth",
]


@attrs.define
class SimulatedStudy:
    """One draw of the simulated study.

    Attributes
    ----------
    config : SimulationConfig
    seed : int
    records : dict of str to list
        Record type name -> records in the canonical schema classes (built on first access; writing does
        not need them and streams instead).
    truth : dict
        JSON-ready ground truth (see the module documentation for its keys).
    """

    config: SimulationConfig
    seed: int
    _study: Any = attrs.field(repr=False)

    @cached_property
    def records(self) -> dict[str, list]:
        # schemas.structure looked up at call time (a test patches it to prove write() streams)
        return {
            name: [schemas.structure(d, name) for d in gen(self._study)] for name, gen in GENERATORS.items()
        }

    @cached_property
    def truth(self) -> dict[str, Any]:
        return build_truth(self._study)

    def iter_dicts(self, name: str) -> Iterator[dict[str, Any]]:
        """Stream the records of one type as JSON-ready dicts (the canonical unstructured form)."""
        return GENERATORS[name](self._study)

    def write(self, path: str | Path, *, compress: bool = True) -> Dataset:
        """Write the dataset (``write_dataset``, provenance ``simulated``) and its ground truth beside it.

        Records are streamed to disk (flat memory at any scale). Returns the opened
        :class:`toolkit.dataset.Dataset`.
        """
        folder = Path(path)
        scale = self.config.size_scale
        name = "recenter-simulated" + ("" if scale == 1 and self.config.rater_scale == 1 else f"-x{scale:g}")
        misspecification = self.config.misspecification
        extra: dict[str, Any] = {} if misspecification is None else {"misspecification": misspecification}
        if misspecification is not None:
            name += f"-{misspecification}"
        ds = write_dataset(
            folder,
            {n: self.iter_dicts(n) for n in GENERATORS},
            name=name,
            provenance="simulated",
            origin=f"toolkit.simulate seed={self.seed}",
            schema_version=RECORD_VERSION,  # the simulator's records are schema 1.0 (no 1.1 field is drawn)
            license=LICENSE,
            citation=CITATION,
            description=(
                "Simulated stand-in for the study's data, drawn from the paper-calibrated generative model of "
                "toolkit.simulate. Not real data: every text is a placeholder. Ground truth in "
                f"{TRUTH_FILE}{'.gz' if compress else ''}."
            ),
            extra_provenance={
                "seed": self.seed,
                "scale": scale,
                "rater_scale": self.config.rater_scale,
                "balanced": self.config.balanced,
                "simulator": "toolkit.simulate",
                "toolkit_version": toolkit.__version__,
                **extra,
            },
            compress=compress,
            # the ground truth goes into the same atomic folder write as the records
            also=lambda tmp: write_truth(tmp, self.truth, compress=compress),
        )
        return ds


def simulate(config: SimulationConfig | None = None, seed: int = DEFAULT_SEED) -> SimulatedStudy:
    """Draw a simulated study (see the module documentation for the model).

    Parameters
    ----------
    config : SimulationConfig, optional
        Default: the paper-calibrated :class:`SimulationConfig`.
    seed : int
        Seed of :func:`numpy.random.default_rng` (the same seed and config give the same study).
    """
    config = SimulationConfig() if config is None else config
    seed = int(seed)
    return SimulatedStudy(config=config, seed=seed, study=draw_study(config, seed))


def write_truth(folder: Path, truth: dict[str, Any], *, compress: bool) -> Path:
    """Write ``ground_truth.json`` (or deterministic ``.json.gz``), removing the other variant."""
    text = json.dumps(truth, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    plain, gz = folder / TRUTH_FILE, folder / f"{TRUTH_FILE}.gz"
    target, other = (gz, plain) if compress else (plain, gz)
    other.unlink(missing_ok=True)
    if compress:
        with atomic_file(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
            fh.write(text.encode("utf-8"))
    else:
        write_text(target, text)
    return target


def load_ground_truth(path: str | Path) -> dict[str, Any]:
    """The ground truth of a simulated dataset folder (``ground_truth.json`` or ``.json.gz``), or a file."""
    p = Path(path)
    if p.is_dir():
        p = p / f"{TRUTH_FILE}.gz" if (p / f"{TRUTH_FILE}.gz").exists() else p / TRUTH_FILE
    if p.name.endswith(".gz"):
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(p.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``recenter simulate`` (``--report`` is added by :mod:`toolkit.cli`)."""
    parser.add_argument("--out", type=Path, required=True, help="output dataset folder")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply users, items and human annotators (power analysis, benchmarks; default 1)",
    )
    parser.add_argument(
        "--fixed-raters", action="store_true", help="with --scale, keep 3 human annotators per stage"
    )
    parser.add_argument(
        "--independent",
        action="store_true",
        help="independent draws instead of balanced sampling (full sampling variability, for power analysis)",
    )
    parser.add_argument(
        "--misspecification",
        choices=MISSPECIFICATIONS,
        default=None,
        metavar="NAME",
        help=(
            "draw from a misspecified generator, for coverage studies of the models: "
            f"{', '.join(MISSPECIFICATIONS)} (default: none, the model)"
        ),
    )
    parser.add_argument("--no-gzip", action="store_true", help="write plain .jsonl instead of .jsonl.gz")


def run(args: argparse.Namespace) -> int:
    """Run ``recenter simulate``: draw the study and write it to ``args.out``; returns the exit code."""
    if not args.scale > 0:
        print("recenter simulate: --scale must be positive", file=sys.stderr)
        return 2
    config = SimulationConfig(
        balanced=not args.independent, misspecification=getattr(args, "misspecification", None)
    )
    if args.scale != 1:
        config = config.scaled(args.scale, raters=not args.fixed_raters)
    start = time.perf_counter()
    study = simulate(config, seed=args.seed)
    ds = study.write(args.out, compress=not args.no_gzip)
    elapsed = time.perf_counter() - start
    counts = ", ".join(f"{k} {v['records']}" for k, v in ds.manifest["files"].items())
    out = io.StringIO()
    what = "" if config.misspecification is None else f", misspecification {config.misspecification}"
    print(
        f"wrote simulated study (seed {args.seed}, scale {args.scale:g}{what}) to {args.out} in {elapsed:.1f} s",
        file=out,
    )
    print(f"  {counts}", file=out)
    sys.stdout.write(out.getvalue())
    return 0
