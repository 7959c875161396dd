"""Babel extractor for the scheming YAML schemas.

Field labels, help texts and placeholders are plain English in the schemas and
reach the page through gettext (scheming's ``scheming_language_text``), so
they belong in the extension's catalog like any ``_()`` in the code.
Registered as the ``plusresilient_schema`` method in ``babel.cfg``.
"""
from __future__ import annotations

from typing import Any, Iterator

import yaml

TRANSLATABLE_KEYS = ("label", "repeating_label", "help_text", "form_placeholder")


def _walk(node: Any) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (isinstance(key, yaml.ScalarNode) and key.value in TRANSLATABLE_KEYS
                    and isinstance(value, yaml.ScalarNode) and value.value.strip()):
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def extract_schema(fileobj, keywords, comment_tags, options):
    """Yield ``(lineno, funcname, message, comments)`` as Babel expects."""
    root = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    for scalar in _walk(root):
        yield scalar.start_mark.line + 1, "_", scalar.value, []
