"""The fitted fallback classifier kept on disk, so it is trained once per NLU data.

Training the fallback (``bot.nlu.fallback``) costs 12-26 s of CPU at every start of
`spillway chat`, `spillway serve` and the dialogue tests. :func:`load_or_train`
stores the fitted pipeline and its temperature in ``<cache_dir>/nlu-fallback/``
under a key that hashes everything the fit depends on:

* the feature texts and labels it learns (so the pack's NLU data, its number
  grammar and the text cleaning), the seed and the input length;
* the unfitted pipeline's parameters and the source of ``bot/nlu/fallback.py``
  (the features, the calibration);
* the versions of Python, scikit-learn, NumPy and SciPy (what unpickling needs).

Change any of them and the key changes: the old file is simply not read. A file
that cannot be read, unpickled, or does not hold what was stored under its key
is ignored and replaced, never an error. Files are written to a temporary name
and renamed, so two processes starting at once each see a whole file or none.
The cache holds pickles the user's own processes wrote in the user's cache
directory, like the Rasa models next to it; it is not for files from elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.pipeline import Pipeline

from bot.nlu import fallback
from bot.nlu.data import DEFAULT_LANGUAGE, NluData
from bot.nlu.fallback import MAX_INPUT_CHARS, FallbackNlu, TrainingPlan
from spillway.atomic_file import write_atomically

log = logging.getLogger(__name__)

CACHE_FOLDER = "nlu-fallback"
"""The folder under the cache directory."""
FORMAT = 1
"""Bumped when the stored payload changes shape."""


@dataclass(frozen=True, slots=True)
class CachedFit:
    """What one cache file holds: the key it was stored under and the fit."""

    key: str
    pipeline: Pipeline
    temperature: float


def cache_key(plan: TrainingPlan) -> str:
    """The SHA-256 of everything ``plan``'s fit depends on (hex)."""
    digest = hashlib.sha256()

    def add(part: str) -> None:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    add(f"format={FORMAT}")
    add(f"python={sys.version_info.major}.{sys.version_info.minor}")
    add(f"sklearn={sklearn.__version__} numpy={np.__version__} scipy={scipy.__version__}")
    add(Path(fallback.__file__).read_text(encoding="utf-8"))
    add(repr(sorted(plan.pipeline.get_params(deep=True).items(), key=lambda kv: kv[0])))
    add(f"seed={plan.seed} max_chars={plan.max_chars}")
    for text, label in zip(plan.texts, plan.labels, strict=True):
        add(label)
        add(text)
    return digest.hexdigest()


def cache_path(cache_dir: Path, language: str, key: str) -> Path:
    return cache_dir / CACHE_FOLDER / f"{language}-{key[:32]}.pkl"


def read_cached(path: Path, key: str) -> CachedFit | None:
    """The fit stored at ``path`` under ``key``, or None (missing, corrupt, stale)."""
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any unreadable file is rebuilt, never fatal
        log.warning("ignoring unreadable fallback NLU cache %s: %s", path, exc)
        return None
    if (
        not isinstance(cached, CachedFit)
        or cached.key != key
        or not isinstance(cached.pipeline, Pipeline)
        or not isinstance(cached.temperature, float)
    ):
        log.warning("ignoring stale fallback NLU cache %s", path)
        return None
    return cached


def write_cached(path: Path, fit: CachedFit) -> None:
    """Store ``fit`` at ``path`` atomically (:func:`spillway.atomic_file.write_atomically`)."""
    write_atomically(path, pickle.dumps(fit, protocol=pickle.HIGHEST_PROTOCOL))


def load_or_train(
    data: NluData,
    cache_dir: Path,
    *,
    language: str = DEFAULT_LANGUAGE,
    seed: int = 42,
    max_chars: int = MAX_INPUT_CHARS,
) -> FallbackNlu:
    """The classifier :meth:`FallbackNlu.train` would make, from the cache when it has
    this fit, else trained now and stored (a failed write is logged, not raised)."""
    plan = TrainingPlan.of(data, seed=seed, max_chars=max_chars, language=language)
    key = cache_key(plan)
    path = cache_path(cache_dir, language, key)
    cached = read_cached(path, key)
    if cached is not None:
        return plan.model(cached.pipeline, cached.temperature)
    pipeline, temperature = plan.fit()
    try:
        write_cached(path, CachedFit(key, pipeline, temperature))
    except OSError as exc:
        log.warning("cannot store the fallback NLU cache %s: %s", path, exc)
    return plan.model(pipeline, temperature)


def is_cached(data: NluData, cache_dir: Path, *, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether :func:`load_or_train` would load rather than train (a file under the key)."""
    plan = TrainingPlan.of(data, seed=42, max_chars=MAX_INPUT_CHARS, language=language)
    return cache_path(cache_dir, language, cache_key(plan)).is_file()
