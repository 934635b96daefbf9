"""Running independent replications of a study: locally on a process pool or on a Dask cluster, cached.

One job: given a :class:`Study` (a named, versioned, picklable ``run(design, seed) -> dict[str, float]``),
a design and a list of seeds, return one row per seed. The execution never enters the results:

* **Keyed and cached.** Each replication is keyed by the SHA-256 of (study name, study version, the design's
  canonical hash, seed) and its result stored as a small JSON file, written atomically, under
  ``<cache>/replications/<study>/<key>.json`` (``<cache>`` is :func:`toolkit.cache.cache_dir` unless given).
  A rerun reads the cached replications and computes only the missing ones, so an interrupted run resumes;
  a corrupt entry is discarded with a warning and recomputed. Bump the study's ``version`` when its code
  changes what a replication returns.
* **Identical whatever the execution.** A replication depends only on (design, seed): the frame is sorted by
  seed, so one worker, two workers or a cluster (in any completion order) give the same frame.
* **Local or distributed, one code path.** ``workers=1`` runs in this process; ``workers=K`` on a
  :class:`concurrent.futures.ProcessPoolExecutor` whose workers come from a ``forkserver`` (``spawn`` where
  there is none; never a fork of this process, which is unsafe with PyMC/PyTensor and BLAS threads); the
  fork server imports the study once and stays up, so later runs in the same process start at once;
  ``scheduler="tcp://host:8786"`` on a Dask ``distributed`` cluster (the optional ``cluster`` extra,
  imported only then). All three call the same per-replication function, under one BLAS
  thread (:mod:`threadpoolctl`), and write the same cache from this process, as results arrive.
* **Progress.** A :mod:`tqdm` bar (replications done, time left) when stderr is a terminal or
  ``progress=True``.

Studies are registered by name in :data:`STUDIES` (``name -> ("module:attribute", description)``) and loaded
on demand by :func:`get_study`, so listing them imports nothing and a model study's PyMC loads only when it
runs; :func:`register_study` adds one at run time. The command line is ``recenter calibrate``
(:mod:`toolkit.replication_cli`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import closing, contextmanager
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
from tqdm import tqdm

from toolkit.cache import cache_dir as default_cache_dir

__all__ = [
    "Study",
    "STUDIES",
    "register_study",
    "get_study",
    "list_studies",
    "study_family",
    "design_hash",
    "replication_key",
    "replication_path",
    "replicate",
    "run_study",
]

#: Environment variables that cap BLAS/OpenMP threads in local worker processes (one thread per worker).
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

RunFunction = Callable[[Mapping[str, Any], int], Mapping[str, float]]


@attrs.frozen
class Study:
    """A named, versioned simulation study whose replications are independent given (design, seed).

    Parameters
    ----------
    name : str
        Registry name and cache folder (``kappa-coverage``).
    version : str
        Bump it whenever a replication's result changes for the same (design, seed): it enters the key,
        so older cached replications are not served.
    run : callable
        ``run(design, seed) -> dict[str, float]``: one replication. It must be a module-level function (it
        is pickled to worker processes and Dask workers) and draw every random number from ``seed``.
    design : mapping
        The default design: JSON-serialisable settings (numbers, strings, lists, nested mappings).
    summarize : callable, optional
        ``summarize(results, design) -> DataFrame``: the study's summary of the per-replication frame
        (e.g. coverage with its Wilson interval, bias and RMSE).
    description : str
        One line for ``recenter calibrate --list``.

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": float(design["scale"] * seed)}
    >>> study = Study(name="toy", version="1", run=run, design={"scale": 2})
    >>> study.name, dict(study.design)
    ('toy', {'scale': 2})
    """

    name: str
    version: str
    run: RunFunction
    design: Mapping[str, Any] = attrs.field(factory=dict)
    summarize: Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame] | None = None
    description: str = ""


#: Registered studies: name -> ("module:attribute" of a :class:`Study`, one-line description).
STUDIES: dict[str, tuple[str, str]] = {
    "kappa-coverage": (
        "toolkit.studies.kappa_coverage:STUDY",
        "coverage of the 95% bootstrap interval of pairwise Cohen's kappa (two binary raters, known kappa)",
    ),
    "cluster-coverage": (
        "toolkit.studies.cluster_coverage:STUDY",
        "coverage of item- vs cluster-bootstrap intervals of kappa and a correlation under a cluster effect",
    ),
    **{
        f"sbc-{m}": (f"toolkit.studies.sbc:STUDY_{m.upper()}", f"simulation-based calibration of the {m} model")
        for m in ("judge", "extraction", "rating", "correlation")
    },
    **{
        f"sbc-{m}": (f"toolkit.studies.sbc:STUDIES[sbc-{m}]", f"simulation-based calibration of the {m} model variant")
        for m in (
            "judge-one-effect", "judge-class-sd", "judge-loadings", "judge-rater-sd", "judge-human-ref",
            "rating-thresholds", "rating-llm-shared", "rating-pooled-mention", "rating-clustered", "rating-full",
            "extraction-attribute", "extraction-annotator-gap",
        )  # fmt: skip
    },
    **{
        f"coverage-{m}": (
            f"toolkit.studies.model_coverage:STUDY_{m.upper()}",
            f"coverage of the {m} model's 95% intervals on independent or misspecified simulated studies",
        )
        for m in ("judge", "extraction", "rating", "correlation")
    },
}
_RUNTIME: dict[str, Study] = {}


def study_family(prefix: str, models: Sequence[str], run: RunFunction, design: Mapping[str, Any], *,
                 summarize: Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame] | None = None,
                 description: str = "", version: str = "1",
                 versions: Mapping[str, str] | None = None) -> dict[str, Study]:
    """One :class:`Study` per model, named ``<prefix>-<model>``, whose design is ``design`` with ``model`` set.

    ``description`` may contain ``{model}``; ``versions`` overrides ``version`` for some models.

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": 0.0}
    >>> fam = study_family("toy", ["a", "b"], run, {"model": None}, description="toy study of {model}")
    >>> sorted(fam), fam["toy-b"].design["model"], fam["toy-b"].description
    (['toy-a', 'toy-b'], 'b', 'toy study of b')
    """
    return {
        f"{prefix}-{m}": Study(
            name=f"{prefix}-{m}", version=(versions or {}).get(m, version), run=run, design={**design, "model": m},
            summarize=summarize, description=description.format(model=m),
        )  # fmt: skip
        for m in models
    }


def register_study(study: Study) -> Study:
    """Make ``study`` available by name to :func:`get_study` (in this process); returns it.

    Studies shipped with the toolkit are listed in :data:`STUDIES` instead, so they load only when used.

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": float(seed)}
    >>> _ = register_study(Study(name="toy-registered", version="1", run=run))
    >>> get_study("toy-registered").version
    '1'
    """
    _RUNTIME[study.name] = study
    return study


def get_study(name: str) -> Study:
    """The study registered as ``name`` (importing its module on first use).

    Examples
    --------
    >>> get_study("kappa-coverage").name
    'kappa-coverage'
    """
    if name in _RUNTIME:
        return _RUNTIME[name]
    if name not in STUDIES:
        known = ", ".join(list_studies())
        raise KeyError(f"unknown study {name!r}; registered: {known}")
    module_name, _, attribute = STUDIES[name][0].partition(":")
    attribute, _, key = attribute.partition("[")  # "STUDIES[sbc-x]": one entry of a module's study family
    study = getattr(importlib.import_module(module_name), attribute)
    if key:
        study = study.get(key.rstrip("]"))
    if not isinstance(study, Study) or study.name != name:
        raise TypeError(f"{STUDIES[name][0]} is not the Study {name!r}")
    return study


def list_studies() -> dict[str, str]:
    """Registered study names and their descriptions, sorted by name (nothing is imported).

    Examples
    --------
    >>> "kappa-coverage" in list_studies()
    True
    """
    found = {name: text for name, (_path, text) in STUDIES.items()}
    found.update({name: study.description for name, study in _RUNTIME.items()})
    return dict(sorted(found.items()))


def _canonical(obj: Any) -> str:
    """Sorted, compact JSON: equal designs give equal text whatever their key order."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def design_hash(design: Mapping[str, Any]) -> str:
    """SHA-256 of the design's canonical JSON (sorted keys), hex.

    Examples
    --------
    >>> design_hash({"a": 1, "b": [1, 2]}) == design_hash({"b": [1, 2], "a": 1})
    True
    >>> design_hash({"a": 1}) == design_hash({"a": 2})
    False
    """
    return hashlib.sha256(_canonical(dict(design)).encode("ascii")).hexdigest()


def replication_key(study: Study, design: Mapping[str, Any], seed: int) -> str:
    """The cache key of one replication: SHA-256 of (study name, version, design hash, seed), hex.

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": 0.0}
    >>> s = Study(name="toy", version="1", run=run)
    >>> replication_key(s, {}, 1) == replication_key(s, {}, 1) != replication_key(s, {}, 2)
    True
    >>> replication_key(s, {}, 1) != replication_key(attrs.evolve(s, version="2"), {}, 1)
    True
    """
    text = _canonical([study.name, study.version, design_hash(design), int(seed)])
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def replication_path(study: Study, design: Mapping[str, Any], seed: int, cache_dir: str | Path | None = None) -> Path:
    """Where one replication's result is cached: ``<cache>/replications/<study>/<key>.json``.

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": 0.0}
    >>> p = replication_path(Study(name="toy", version="1", run=run), {}, 1, cache_dir="/tmp/c")
    >>> p.parent.as_posix(), p.suffix
    ('/tmp/c/replications/toy', '.json')
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / "replications" / study.name / f"{replication_key(study, design, seed)}.json"


def replicate(run: RunFunction, design: Mapping[str, Any], seed: int) -> dict[str, float]:
    """One replication under one BLAS thread: the function every execution path calls (module level, so it
    pickles to worker processes and Dask workers).

    Examples
    --------
    >>> def run(design, seed):
    ...     return {"x": seed * 2}
    >>> replicate(run, {}, 3)
    {'x': 6.0}
    """
    with _thread_controller().limit(limits=1):
        result = run(design, int(seed))
    return {str(k): float(v) for k, v in result.items()}


#: This process's threadpoolctl controller and the number of imported modules when it was made: finding the
#: loaded BLAS/OpenMP libraries costs ~1.5 ms, a tenth of a small replication, so it is redone only after
#: new imports (a study that loads a library in its first replication is limited from its second on, and
#: worker processes also get the THREAD_ENV variables before anything loads).
_CONTROLLER: dict[str, Any] = {"controller": None, "n_modules": -1}


def _thread_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER["controller"] is None or _CONTROLLER["n_modules"] != len(sys.modules):
        _CONTROLLER["controller"] = ThreadpoolController()
        _CONTROLLER["n_modules"] = len(sys.modules)
    return _CONTROLLER["controller"]


def _context(run: RunFunction) -> Any:
    """The start method of local workers: a fork server where there is one, else spawn (never plain fork).

    The fork server is a fresh, single-threaded interpreter (BLAS limited to one thread) that imports this
    module and the study's module once and forks each worker from there: workers start without importing
    pandas, SciPy and the study again, and later runs in this process reuse the server. Nothing is forked
    from this process (PyMC/PyTensor state, BLAS threads).
    """
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload([__name__, getattr(run, "__module__", __name__)])  # used at server start
    return context


@contextmanager
def _thread_environment() -> Iterator[None]:
    """THREAD_ENV set to 1 in this process while local workers are started, then restored."""
    saved = {var: os.environ.get(var) for var in THREAD_ENV}
    os.environ.update(dict.fromkeys(THREAD_ENV, "1"))
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _limit_threads() -> None:
    """Local worker initialiser: one BLAS/OpenMP thread for anything the worker loads or starts."""
    for var in THREAD_ENV:
        os.environ[var] = "1"


def _read_cached(path: Path, study: Study, seed: int) -> dict[str, float] | None:
    """The cached result at ``path``, None when absent; a corrupt entry is removed with a warning."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        entry = json.loads(text)
        if entry["study"] != study.name or entry["version"] != study.version or entry["seed"] != seed:
            raise ValueError("entry is for another replication")
        result = {str(k): math.nan if v is None else float(v) for k, v in entry["result"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        warnings.warn(f"discarding corrupt cached replication {path} ({exc}); recomputing it", stacklevel=3)
        path.unlink(missing_ok=True)
        return None
    return result


def _write_cached(path: Path, study: Study, design: Mapping[str, Any], seed: int, result: Mapping[str, float]) -> None:
    """Store one result atomically (temp file + :func:`os.replace`); a failed write only costs a recompute."""
    entry = {
        "study": study.name,
        "version": study.version,
        "design": dict(design),
        "seed": seed,
        "result": {k: (v if math.isfinite(v) else None) for k, v in result.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
        ) as tmp:
            tmp.write(json.dumps(entry, allow_nan=False) + "\n")  # key order kept: it is the column order
        os.replace(tmp.name, path)
    except OSError as exc:
        warnings.warn(f"could not cache replication at {path}: {exc}", stacklevel=3)


def _run_local(run: RunFunction, design: Mapping[str, Any], seeds: Sequence[int], workers: int) -> Iterator[tuple[int, dict[str, float]]]:
    """(seed, result) as replications finish: in this process (one worker) or on a local process pool."""
    if workers == 1:
        for seed in seeds:
            yield seed, replicate(run, design, seed)
        return
    with _thread_environment():  # the fork server and the workers start now or at the first submissions
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(run), initializer=_limit_threads)
    try:
        with _thread_environment():
            futures: dict[Future, int] = {pool.submit(replicate, run, design, seed): seed for seed in seeds}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an interrupt or error: drop what has not started


def _run_dask(run: RunFunction, design: Mapping[str, Any], seeds: Sequence[int], address: str, key_of: Callable[[int], str]) -> Iterator[tuple[int, dict[str, float]]]:
    """(seed, result) as replications finish on the Dask cluster whose scheduler is at ``address``."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "running on a Dask scheduler needs the 'cluster' extra: pip install 'recenter-toolkit[cluster]'"
        ) from exc
    with Client(address) as client:
        futures = {client.submit(replicate, run, design, seed, key=f"replicate-{key_of(seed)}", pure=False): seed for seed in seeds}
        try:
            for future in as_completed(list(futures)):
                yield futures[future], future.result()
        finally:
            client.cancel([f for f in futures if not f.done()])


def run_study(
    study: Study,
    design: Mapping[str, Any] | None,
    seeds: Iterable[int],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
    cached_only: bool = False,
) -> pd.DataFrame:
    """Run (or read from the cache) one replication of ``study`` per seed; one row per seed, sorted by seed.

    Parameters
    ----------
    study : Study
        What one replication computes.
    design : mapping or None
        Settings that override ``study.design`` (None: its defaults). The merged design, which must be
        JSON-serialisable, is what replications get and what is hashed into their keys, so leaving a
        default out or spelling it out gives the same key. A key the study does not define is an error.
    seeds : iterable of int
        One replication per distinct seed.
    workers : int
        Local worker processes (1 = this process). Ignored with ``scheduler``: the cluster's workers run.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``): run there (needs ``dask[distributed]``).
    cache_dir : path-like, optional
        Cache root (default :func:`toolkit.cache.cache_dir`); replications go to ``replications/<study>/``.
    progress : bool, optional
        Show a progress bar on stderr (default: when stderr is a terminal).
    cached_only : bool
        Run nothing: return the replications already in the cache (e.g. to summarise a study still running
        elsewhere, or one stopped before all its seeds were done).

    Returns
    -------
    DataFrame
        Column ``seed`` then the replication's result keys (floats); identical whatever ``workers``,
        ``scheduler`` or the order replications finished in.

    Examples
    --------
    >>> import tempfile
    >>> def run(design, seed):
    ...     return {"estimate": design["mu"] + seed / 10}
    >>> study = Study(name="toy-doc", version="1", run=run, design={"mu": 1.0})
    >>> cache = tempfile.mkdtemp()
    >>> run_study(study, None, [3, 1, 2], cache_dir=cache)
       seed  estimate
    0     1       1.1
    1     2       1.2
    2     3       1.3

    A second call reads the three replications from ``cache`` instead of running them.
    """
    unknown = sorted(set(design or {}) - set(study.design)) if study.design else []
    if unknown:
        raise ValueError(f"study {study.name!r} has no design setting {unknown}; it has {sorted(study.design)}")
    design = {**study.design, **(design or {})}
    design_hash(design)  # fails early on a design that is not JSON-serialisable
    seeds = sorted({int(s) for s in seeds})
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    paths = {seed: replication_path(study, design, seed, cache_dir) for seed in seeds}
    results: dict[int, dict[str, float]] = {}
    for seed in seeds:
        cached = _read_cached(paths[seed], study, seed)
        if cached is not None:
            results[seed] = cached
    todo = [] if cached_only else [seed for seed in seeds if seed not in results]
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(seeds), initial=len(results), desc=study.name, unit="rep", disable=not show, file=sys.stderr)
    if scheduler is not None and todo:
        finished = _run_dask(study.run, design, todo, scheduler, lambda s: paths[s].stem)
    else:
        finished = _run_local(study.run, design, todo, max(1, min(workers, len(todo))))
    with bar, closing(finished):
        for seed, result in finished:
            _write_cached(paths[seed], study, design, seed, result)  # as it arrives: an interrupted run resumes
            results[seed] = result
            bar.update(1)
    return _frame(results)


def _frame(results: Mapping[int, Mapping[str, float]]) -> pd.DataFrame:
    """One row per seed, sorted; columns in the order of the first replication's keys."""
    seeds = sorted(results)
    columns: list[str] = []
    for seed in seeds:
        columns += [c for c in results[seed] if c not in columns]
    data = {"seed": pd.Series(seeds, dtype="int64")}
    for col in columns:
        data[col] = pd.Series([results[s].get(col, math.nan) for s in seeds], dtype="float64")
    return pd.DataFrame(data)
