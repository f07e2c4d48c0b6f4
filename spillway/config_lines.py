"""Where each key of the configuration file is: its line, for the error that names it.

pydantic names a refused value by its key (``callbacks.max_attempts``), not by where
the file gave it; the YAML's nodes know. Every key of a mapping is found by its dotted
path, every entry of a list by its index (``pbx.workers.0``, ``callbacks.extra_holidays.1``),
so `spillway config check` can say ``in spillway.yaml line 12`` beside each refusal.
"""

from __future__ import annotations

from typing import Any

import yaml


def key_lines(text: str, loader: type[Any]) -> dict[str, int]:
    """The 1-based line of each key (and list entry) in the YAML ``text``, read with
    ``loader`` (the one that already read it: its refusals do not arise again)."""
    root = yaml.compose(text, Loader=loader)
    lines: dict[str, int] = {}
    # A walk with an explicit stack: a deep file cannot exhaust Python's recursion.
    stack: list[tuple[Any, str]] = [(root, "")] if root is not None else []
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = prefix + str(key_node.value)
                    lines.setdefault(key, key_node.start_mark.line + 1)
                    stack.append((value, key + "."))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                key = f"{prefix}{index}"
                lines.setdefault(key, item.start_mark.line + 1)
                stack.append((item, key + "."))
    return lines
