"""Which language pack a Rasa server's model was trained from.

`spillway nlu serve` names each model after a content hash of the pack's NLU
project (``nlu-<hash>.tar.gz``, :func:`bot.nlu.rasa_service.model_path_for`).
A Danish shop whose ``nlu.rasa_url`` answers with the English model hears "ja"
as nothing it knows: every confirmation is asked again and the call ends
(a team lead met this with `spillway chat --live`). The engine and
`spillway doctor` compare the served file's name with every pack's hash.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import PurePath

from bot.nlu.data import project_dir, project_hash
from spillway.language_pack import available_languages


@functools.cache
def pack_hashes() -> Mapping[str, str]:
    """Each pack's NLU project hash, to the pack's language (read once per process)."""
    return {project_hash(project_dir(language)): language for language in available_languages()}


def served_language(model_file: str, hashes: Mapping[str, str]) -> str | None:
    """The language whose pack trained ``model_file`` (a path or a name), or None:
    trained from other data (an older pack, or elsewhere)."""
    name = PurePath(model_file).name
    if not (name.startswith("nlu-") and name.endswith(".tar.gz")):
        return None
    return hashes.get(name[len("nlu-") : -len(".tar.gz")])


def wrong_language(model_file: str, language: str, hashes: Mapping[str, str]) -> str | None:
    """The other language ``model_file`` was trained for, when it is not ``language``'s."""
    served = served_language(model_file, hashes)
    return served if served is not None and served != language else None
