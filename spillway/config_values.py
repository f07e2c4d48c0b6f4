"""pydantic's refusal of a configuration value, in the language packs' words.

pydantic says why it refused a value in English ("Input should be greater than or equal
to 0"). The kinds of refusal the settings can meet are worded in the packs instead, by
pydantic's stable error ``type`` and its ``ctx`` (the bound, the allowed values, the
pattern): each is the line ``errors.config.<name>``, with the code ``config.<name>``,
the same in every language. So are the settings' own checks
(:data:`OWN_CHECKS`), by the type they raise. A type not worded here keeps its English
and is said whole in English (:mod:`spillway.config_file`), so that no line is half
translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spillway.wording import Wording

# pydantic's error type -> the pack's name for it (errors.config.<name>, code config.<name>).
# Only the types the settings' fields can raise (tests/test_config_value_words.py finds them).
WORDED: dict[str, str] = {
    "int_parsing": "not_an_integer",
    "int_type": "not_an_integer",
    "int_from_float": "not_an_integer",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "bool_parsing": "not_a_boolean",
    "bool_type": "not_a_boolean",
    "string_type": "not_text",
    "greater_than": "not_greater_than",
    "greater_than_equal": "below_minimum",
    "less_than": "not_less_than",
    "less_than_equal": "above_maximum",
    "literal_error": "not_one_of",
    "enum": "not_one_of",
    "string_too_short": "text_too_short",
    "string_too_long": "text_too_long",
    "string_pattern_mismatch": "no_pattern_match",
    "date_parsing": "not_a_date",
    "date_type": "not_a_date",
    "date_from_datetime_parsing": "not_a_date",
    "date_from_datetime_inexact": "not_a_date",
    "path_type": "not_a_path",
    "tuple_type": "not_a_list",
    "list_type": "not_a_list",
    "dict_type": "not_a_map",
    "model_type": "not_a_map",
}

# The settings' own checks worded in the packs: the check's error type is the pack's name,
# its ctx the values its words take (a Wording among them said in the admin's language: a
# season calendar's problem). A library's English (ipaddress's, Python's on a template
# it cannot read) is never put in a ctx: the check says what is wrong in its own words.
OWN_CHECKS = frozenset(
    {
        "acl_network",
        "acl_host_bits",
        "url_template",
        "dial_string",
        "seasons_file",
        "not_an_http_url",
        "not_a_time_zone",
        "not_a_country",
        "not_a_contact",
        "not_a_dialled_country",
        "not_a_holiday_country",
        "not_hours",
        "hours_out_of_day",
        "hours_as_clock",
        "caller_id_number",
        "host_caller_id",
        "not_an_industry",
        "no_acl_network",
        "not_a_policy",
        "claim_too_short",
        "worker_name_taken",
        "worker_fastagi_taken",
        "not_a_listed_worker",
        "no_workers_listed",
        "host_dial_string",
        "patience_twice",
        "dial_string_placeholder",
        "dial_string_without_number",
        "url_template_placeholder",
        "web_user_name",
        "web_user_entry",
        "host_port",
        "host_port_host",
    }
)
# What a check's ctx says about the error line itself, not its words (spillway.config_file).
_LINE_CONTEXT = ("key", "value", "with_keys")

# The ctx value each bounded type names, as {bound} in its words.
_BOUNDS = {
    "greater_than": "gt",
    "greater_than_equal": "ge",
    "less_than": "lt",
    "less_than_equal": "le",
}
_LENGTHS = {"string_too_short": "min_length", "string_too_long": "max_length"}


def value_words(error: Mapping[str, Any]) -> tuple[str, dict[str, object]] | None:
    """The pack's name for pydantic's ``error`` and the values its words take besides
    the key, value and source (a bound, the allowed values, a length), or None when
    the type is not worded here (or its ``ctx`` lacks what the words need)."""
    kind = str(error.get("type"))
    context = error.get("ctx") or {}
    if kind in OWN_CHECKS:
        return kind, {
            k: v if isinstance(v, Wording) else written(v)
            for k, v in context.items()
            if k not in _LINE_CONTEXT
        }
    name = WORDED.get(kind)
    if name is None:
        return None
    if kind in _BOUNDS:
        if _BOUNDS[kind] not in context:
            return None
        return name, {"bound": written(context[_BOUNDS[kind]])}
    if kind in _LENGTHS:
        if _LENGTHS[kind] not in context:
            return None
        return name, {"chars": Wording("cli.config.characters", {}, n=int(context[_LENGTHS[kind]]))}
    if name == "not_one_of":
        if "expected" not in context:
            return None
        return name, {"choices": choices(str(context["expected"]))}
    if kind == "string_pattern_mismatch":
        return name, {"pattern": context.get("pattern", "?")}
    return name, {}


def written(bound: object) -> str:
    """A bound as the YAML file would write it: ``0`` for pydantic's ``0.0``, ``0.5`` with
    a point in every language (it is a value to type into the file, not prose)."""
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def choices(expected: str) -> str | Wording:
    """pydantic's list of allowed values (``'a', 'b' or 'c'``, each written as Python writes
    it) joined in the admin's language: the last one by the pack's "or"."""
    head, _, last = expected.rpartition(" or ")
    if not head:
        return expected
    return Wording("cli.config.choices", {"some": head, "last": last})
