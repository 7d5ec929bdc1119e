# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON settings store (Mattermost ``config.json``, generic JSON).

Text in, text out; no file I/O. ``path`` is a tuple of nested object keys. The rendered document is
semantically identical to the original apart from the keys changed, with the original key order, indentation
(spaces or tab), ASCII escaping style and trailing newline. When nothing changed, ``render()`` returns the
original text unchanged.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store

_ESCAPED_NON_ASCII = re.compile(r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})")
_SCALARS = (str, bool, int, float, type(None))
# Deepest nesting of arrays and objects read (Mattermost's config.json uses 4; Go's encoding/json reads up to
# 10,000): deeper documents are refused with the line, never a RecursionError from json.loads or json.dumps.
MAX_NESTING = 500
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_nesting(body):
    """StoreError naming the line where ``body`` nests deeper than MAX_NESTING (one linear scan, strings
    skipped)."""
    depth = 0
    for match in _STRUCTURE.finditer(body):
        char = match.group(0)
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise StoreError("JSON at line %d: arrays and objects nested deeper than %d levels; the module "
                                 "refuses such a file" % (body.count("\n", 0, match.start()) + 1, MAX_NESTING))
        elif char in "]}":
            depth -= 1


def _check_value(value):
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_value(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StoreError("JSON object keys must be strings")
            _check_value(item)
        return
    raise StoreError("unsupported value type for JSON: %s" % type(value).__name__)


def same_value(left, right):
    """Equality that tells booleans from numbers and ignores dict subclasses (shared with the PHP store)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same_value(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right))
    if isinstance(left, (dict, list, tuple)) or isinstance(right, (dict, list, tuple)):
        return False
    return type(left) is type(right) and left == right


class JsonStore(Store):
    """A parsed JSON object document."""

    def __init__(self, text, data, indent, ensure_ascii, trailer, separators):
        self._text = text
        self._data = data
        self._indent = indent
        self._ensure_ascii = ensure_ascii
        self._trailer = trailer
        self._separators = separators
        self._dirty = False

    @classmethod
    def parse(cls, text, **options):
        if not isinstance(text, str):
            raise StoreError("JSON content must be text")
        body = text[1:] if text.startswith("\ufeff") else text
        if not body.strip():
            data = OrderedDict()
        else:
            _check_nesting(body)
            try:
                data = json.loads(body, object_pairs_hook=OrderedDict)
            except ValueError as exc:
                if isinstance(exc, json.JSONDecodeError):
                    raise StoreError("invalid JSON at line %s column %s: %s"
                                     % (exc.lineno, exc.colno, exc.msg)) from None
                raise StoreError("invalid JSON") from None
        if not isinstance(data, dict):
            raise StoreError("the JSON document must be an object at line 1")
        indent = options.get("indent")
        if indent is None:
            match = re.search(r"[\[{][ \t]*\r?\n([ \t]+)\S", body)
            if match:
                indent = "\t" if match.group(1).startswith("\t") else len(match.group(1))
        if indent is None and not body.strip():
            indent = 4
        separators = None
        if indent is None and body.strip() and not re.search(r'"[ \t]*:[ \t]+', body):
            separators = (",", ":")
        ensure_ascii = bool(_ESCAPED_NON_ASCII.search(body)) and not re.search(r"[^\x00-\x7f]", body)
        trailer = body[len(body.rstrip()):] if body.strip() else "\n"
        return cls(text, data, indent, ensure_ascii, trailer, separators)

    @staticmethod
    def _check_path(path):
        if not isinstance(path, (tuple, list)) or not path or not all(isinstance(k, str) for k in path):
            raise StoreError("JSON paths are non-empty tuples of object keys")
        return tuple(path)

    def get(self, path):
        node = self._data
        for key in self._check_path(path):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def keys(self, path=()):
        """The keys of the object at ``path`` (``()``: the top level), in file order; [] when it is no object."""
        node = self._data
        for key in tuple(path):
            if not isinstance(node, dict) or key not in node:
                return []
            node = node[key]
        return list(node) if isinstance(node, dict) else []

    def set(self, path, value):
        path = self._check_path(path)
        if isinstance(value, tuple):
            value = list(value)
        _check_value(value)
        node = self._data
        for depth, key in enumerate(path[:-1]):
            if key not in node:
                node[key] = OrderedDict()
            node = node[key]
            if not isinstance(node, dict):
                raise StoreError("JSON path %s: %s is not an object" % (".".join(path), ".".join(path[:depth + 1])))
        last = path[-1]
        if last in node and same_value(node[last], value):
            return
        node[last] = value
        self._dirty = True

    def delete(self, path):
        path = self._check_path(path)
        node = self._data
        for key in path[:-1]:
            if not isinstance(node, dict) or key not in node:
                return
            node = node[key]
        if isinstance(node, dict) and path[-1] in node:
            del node[path[-1]]
            self._dirty = True

    def render(self):
        if not self._dirty:
            return self._text
        text = json.dumps(self._data, indent=self._indent, ensure_ascii=self._ensure_ascii,
                          separators=self._separators)
        if "\r\n" in self._text:
            text = text.replace("\n", "\r\n")
        bom = "\ufeff" if self._text.startswith("\ufeff") else ""
        return bom + text + self._trailer
