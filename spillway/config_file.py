"""The configuration file: where it is looked for, how it is read, and how a problem
becomes one line.

The search order does not depend on the current folder: ``--config``, else
``$SPILLWAY_CONFIG``, else ``/etc/spillway/spillway.yaml``, else
``~/.config/spillway/spillway.yaml`` (:func:`find_config`). The YAML is read without
aliases and must not hold secrets; the secrets file and ``SPILLWAY_*`` variables
override it. Any problem becomes a :class:`ConfigError` line that names the key, the
value, what was expected and where the value came from (the file's line, when the file
gave it); every refused value of a file is said at once (:attr:`ConfigError.more`), not
the first alone. The sections themselves are :mod:`spillway.settings`.

A problem Spillway words itself (an unknown or missing key, a file that is not UTF-8,
YAML it refuses, a secret in the file, JSON that is not, and pydantic's common refusals
of a value: :mod:`spillway.config_values`) is raised with its code and its words in the
packs (``errors.config.<name>``), said in the admin's language
(:mod:`spillway.config_language`); one that carries English (another refusal of
pydantic's or one of the settings' own checks, ``config.invalid_value``; a YAML syntax
error) stays English whole, so no line is half translated.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_settings.exceptions import SettingsError

from spillway import paths
from spillway.config_language import admin_language
from spillway.config_lines import key_lines
from spillway.config_values import value_words
from spillway.console_text import load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.secrets import check_secrets_file
from spillway.settings import SECRET_KEYS, Settings
from spillway.settings_types import ClockReading
from spillway.wording import Wording, worded

SYSTEM_CONFIG = Path("/etc/spillway/spillway.yaml")
DEFAULT = worded("cli.config.source.default")  # the source of a value set nowhere
NO_FILE_NAME = "no_file"  # config.no_file: the named file is not there
INVALID_VALUE = "config.invalid_value"  # the code of a refused value the packs do not word


def user_config() -> Path:
    """``~/.config/spillway/spillway.yaml``: the last place a configuration is looked for."""
    return Path.home() / ".config" / "spillway" / "spillway.yaml"


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Which configuration file is in force, and how it was chosen (None: no file)."""

    path: Path | None
    how: str  # "--config", "$SPILLWAY_CONFIG", "the system file", "the user file", ""


def find_config(given: Path | None = None) -> ConfigSource:
    """The configuration file, by an order that does not depend on the current folder:
    ``--config``, ``$SPILLWAY_CONFIG``, ``/etc/spillway/spillway.yaml``,
    ``~/.config/spillway/spillway.yaml``. A file named by ``--config`` or
    ``$SPILLWAY_CONFIG`` must exist (reading it fails with its name); the two
    standard places are taken when they hold a file."""
    if given is not None:
        return ConfigSource(given.expanduser(), "--config")
    env = os.environ.get("SPILLWAY_CONFIG")
    if env:
        return ConfigSource(Path(env).expanduser(), "$SPILLWAY_CONFIG")
    for candidate, how in ((SYSTEM_CONFIG, "the system file"), (user_config(), "the user file")):
        if candidate.is_file():
            return ConfigSource(candidate, how)
    return ConfigSource(None, "")


def default_config_path() -> Path | None:
    """The file :func:`find_config` picks when no ``--config`` is given (None: none)."""
    return find_config().path


class _Refused(yaml.MarkedYAMLError):
    """YAML that parses but that Spillway refuses: the error ``config.<refusal>`` and the
    values of its words (:func:`_read_yaml` raises it with the file and the line)."""

    def __init__(self, mark: Any, refusal: str, /, **values: object) -> None:
        super().__init__(None, None, f"refused: config.{refusal}", mark)
        self.refusal = refusal
        self.values = values


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a few nested ``*refs`` can expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(self.peek_event().start_mark, "yaml_alias")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        # PyYAML keeps the last of two equal keys: a second `shop:` section (added at the
        # end of the file, say) would silently replace the first one whole.
        seen: dict[Any, Any] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                first = seen[key].start_mark.line + 1
                raise _Refused(key_node.start_mark, "yaml_twice", name=repr(key), first=first)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        # PyYAML reads 2026-13-01 as a date and fails with a bare ValueError (a traceback).
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise _Refused(node.start_mark, "yaml_not_a_date", value=repr(node.value)) from None

    def construct_yaml_int(self, node: Any) -> Any:
        # YAML 1.1 reads 8:00 as base 60 (480): kept with its text, so that calling hours
        # written as clock times are refused as such (spillway.settings_types.hours_shape).
        number = super().construct_yaml_int(node)
        if ":" in str(node.value):
            return ClockReading(number, str(node.value))
        return number


_NoAliasLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _NoAliasLoader.construct_yaml_timestamp
)
_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasLoader.construct_yaml_int)


def _utf8(raw: bytes, what: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = f"0x{raw[exc.start]:02x}"
        raise ConfigError.worded("not_utf8", file=what, line=line, byte=byte) from None


def example_config() -> Path:
    """The example configuration to copy: the checkout's (an editable install), else
    where it lies in Spillway's source."""
    shipped = paths.repo_root() / "configs" / "spillway.yaml"
    return shipped if shipped.is_file() else Path("/path/to/spillway/configs/spillway.yaml")


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The file's sections, and the line of each key in it (:func:`key_lines`)."""
    try:
        text = _utf8(path.read_bytes(), path)
    except FileNotFoundError:
        # A file named by $SPILLWAY_CONFIG or --config that is not there yet: make it
        # from the example, as the README's and docs/OPERATIONS.md's install steps do.
        raise ConfigError.worded(NO_FILE_NAME, file=path, example=example_config()) from None
    except PermissionError:
        raise ConfigError.worded("cannot_read_denied", file=path) from None
    except IsADirectoryError:
        raise ConfigError.worded("cannot_read_folder", file=path) from None
    except OSError as exc:
        # Another reason: the system's own words (English) are all there is.
        raise ConfigError.worded("cannot_read", file=path, reason=exc.strerror) from exc
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)
    except _Refused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 0
        raise ConfigError.worded(exc.refusal, file=path, line=line, **exc.values) from exc
    except yaml.YAMLError as exc:
        # PyYAML's own problem is English: the whole line stays English.
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"config error: {path}{where}: invalid YAML: {problem}") from exc
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError.worded("not_a_mapping", file=path)
    for section, key in SECRET_KEYS:
        sect = data.get(section)
        if isinstance(sect, dict) and key in sect:
            raise ConfigError.worded(
                "secret_in_file",
                key=f"{section}.{key}",
                file=path,
                variable=f"SPILLWAY_{section.upper()}__{key.upper()}",
                secrets=paths.secrets_file(),
            )
    return data, key_lines(text, _NoAliasLoader)


def _env_names(key: str) -> list[str]:
    """The variables that can carry ``key`` (``pbx.ami_port``): the key itself, then each
    list or section holding it (``SPILLWAY_PBX__WORKERS='[...]'``, ``SPILLWAY_PBX='{...}'``)."""
    parts = key.upper().split(".")
    return ["SPILLWAY_" + "__".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _in_file(data: Any, key: str) -> bool:
    """Whether the YAML ``data`` sets ``key`` (list entries by their index: ``pbx.workers.0``)."""
    for part in key.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False
    return True


@dataclass(frozen=True, slots=True)
class _Given:
    """What the settings were read from: the file's sections and the line of each key
    (empty without a file), its path, and the secrets file (None: none)."""

    data: dict[str, Any]
    lines: Mapping[str, int]
    path: Path | None
    secrets: Path | None


def _source_of(key: str, read: _Given) -> Wording:
    """Where the value of ``key`` in force came from, as the error line says it.

    The sources in their order of priority (:meth:`Settings.settings_customise_sources`):
    an environment variable (named as set: pydantic-settings reads them in any case),
    the secrets file, the YAML file (with the key's line), else the built-in default.
    """
    data, lines, path, secrets = read.data, read.lines, read.path, read.secrets
    names = _env_names(key)
    environment = {
        name.upper(): name for name in os.environ if name.upper().startswith("SPILLWAY_")
    }
    for name in names:
        if name in environment:
            return worded("cli.config.source.env", variable=environment[name])
    if secrets is not None:
        text = secrets.read_bytes().decode("utf-8", "replace")
        given = {line.split("=", 1)[0].strip().upper() for line in text.splitlines()}
        if any(name in given for name in names):
            return worded("cli.config.source.secrets", file=secrets)
    if path is not None and _in_file(data, key):
        line = lines.get(key)
        if line is None:
            return worded("cli.config.source.file", file=path)
        return worded("cli.config.source.file_line", file=path, line=line)
    return DEFAULT


def _with_sources(first: Wording, context: Mapping[str, Any], read: _Given) -> Wording:
    """Where the refused value came from, and for a check across sections where each other
    key it read came from: a host-mode check fails as much from where pbx.mode was set as
    from the dial string."""
    source = first
    for other in str(context.get("with_keys", "")).split():
        found = _source_of(other, read)
        if found == DEFAULT:
            source = worded("cli.config.source.also_default", sources=source, other=other)
        else:
            source = worded("cli.config.source.also", sources=source, other=other, source=found)
    return source


def _refusal(error: Any, read: _Given) -> ConfigError:
    """One of pydantic's ``error``s as one line naming the key, the value and its source:
    an unknown or missing key and the common refusals of a value in the pack's words
    (:mod:`spillway.config_values`), any other refusal in English with the code
    ``config.invalid_value``."""
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    context = error.get("ctx") or {}
    value = error.get("input")
    if "key" in context:
        # A check across sections (Settings' own validators) names the key it is about.
        key, value = str(context["key"]), context.get("value")
    kind = error["type"]
    # A missing key's source is the entry that lacks it.
    first = _source_of(key.rsplit(".", 1)[0] if kind == "missing" else key, read)
    if kind == "extra_forbidden":
        return ConfigError.worded("unknown_key", key=key, source=first)
    if kind == "missing":
        return ConfigError.worded("missing_key", key=key, source=first)
    # A console user's entry holds a password hash (or, mistyped, the password itself).
    masked = ("secret", "token", "dsn", "password", "web.users")
    shown = "<secret>" if any(word in key for word in masked) else repr(value)
    sources = _with_sources(first, context, read)
    words = value_words(error)
    if words is not None and error["loc"]:
        name, values = words
        return ConfigError.worded(name, key=key, value=shown, source=sources, **values)
    source = f" ({sources})"
    if not error["loc"] and "key" not in context:  # a check of the whole file
        source = f" (in {read.path})" if read.path is not None else ""
    msg = str(error["msg"])
    expected = msg.removeprefix("Input should be ") if msg.startswith("Input should be ") else msg
    # pydantic's English, or a check of our own (its words are English): a code, no pack.
    english = f"config error: {key} = {shown}: expected {expected}{source}"
    return ConfigError(english, code=INVALID_VALUE)


def load_settings(config_path: Path | None = None, *, use_default_path: bool = True) -> Settings:
    """Load and validate the settings; raise a ConfigError line on any problem, the
    file's other refused values with it (:attr:`ConfigError.more`), each in the admin's
    language when Spillway words it (:attr:`ConfigError.admin_language`)."""
    path = config_path or (default_config_path() if use_default_path else None)
    data: dict[str, Any] | None = None  # None: the file could not be read
    try:
        data, lines = _read_yaml(path) if path is not None else ({}, {})
        return _validated(data, lines, path)
    except ConfigError as exc:
        for each in (exc, *exc.more):
            if each.wording is not None:
                failing = each.wording.values.get("key")
                # A missing file set no language: the environment's still counts.
                read = {} if each.code == f"config.{NO_FILE_NAME}" else data
                each.admin_language = admin_language(read, os.environ, str(failing or ""))
        raise


def _validated(data: dict[str, Any], lines: Mapping[str, int], path: Path | None) -> Settings:
    secrets: Path | None = paths.secrets_file()
    if secrets is not None and secrets.is_file():
        warning = check_secrets_file(secrets)
        if warning:
            # In the admin's language, as far as the file and environment say it.
            text = load_console_text(admin_language(data, os.environ, "") or DEFAULT_LANGUAGE)
            logging.getLogger(__name__).warning(warning.said(text))
        _utf8(secrets.read_bytes(), secrets)
    else:
        secrets = None
    try:
        return Settings(_env_file=secrets, **data)
    except ValidationError as exc:
        # Every refusal at once: an admin fixing a typo, a time zone and a count should
        # not need three runs of `config check` to learn of them.
        read = _Given(data, lines, path, secrets)
        first, *more = [_refusal(error, read) for error in exc.errors()]
        first.more = tuple(more)
        raise first from exc
    except SettingsError as exc:
        # A list or section given in the environment or the secrets file that is not JSON.
        field = str(exc).split('"')[1] if '"' in str(exc) else "?"
        given = dict(os.environ)
        if "DotEnv" in str(exc) and secrets is not None:
            given = _secrets_values(secrets)
        found = _not_json(field, given)
        if found is not None:
            name, key = found
            raise ConfigError.worded("env_not_json", key=key, variable=name) from exc
        raise ConfigError.worded("section_not_json", variable=f"SPILLWAY_{field.upper()}") from exc


def _secrets_values(secrets: Path) -> dict[str, str]:
    text = secrets.read_bytes().decode("utf-8", "replace")
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {name.strip(): value.strip().strip("'\"") for name, value in pairs}


def _not_json(section: str, given: dict[str, str]) -> tuple[str, str] | None:
    """The variable (``SPILLWAY_PBX__AMI_PERMIT``) and its key (``pbx.ami_permit``) of a list
    or mapping in ``section`` that ``given`` sets to something that is not JSON, if any:
    pydantic-settings reads such values as JSON and names only the section when it fails."""
    model = Settings.model_fields[section].annotation if section in Settings.model_fields else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    prefix = f"SPILLWAY_{section.upper()}__"
    for name, value in given.items():
        if not name.upper().startswith(prefix):
            continue
        key = name[len(prefix) :].lower().split("__")[0]
        spec = model.model_fields.get(key)
        if spec is None or get_origin(spec.annotation) not in (tuple, list, dict):
            continue
        try:
            json.loads(value)
        except ValueError:
            return name, f"{section}.{key}"
    return None
