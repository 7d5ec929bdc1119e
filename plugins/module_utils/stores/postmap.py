# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical editor for a Postfix lookup-table source file (``postmap`` input: ``sasl_passwd``, ``canonical``).

Text in, text out; no file I/O. ``path`` is ``(key,)``. The format, as ``postmap`` reads it (checked by the
tests with the real ``postmap`` and ``postmap -q``):

- ``key whitespace value``; the key ends at the first whitespace; the value is the rest of the line;
- a line starting with whitespace continues the previous entry (appended as it is, leading whitespace
  included); lines whose first non-blank character is ``#`` and blank lines are comments;
- leading and trailing whitespace of the value are dropped; ``#`` after the key is part of the value;
- keys are case-insensitive (``postmap`` folds them to lower case, and so do lookups); when a key appears
  twice, ``postmap`` keeps the FIRST entry (and warns).

``get`` returns the value of the first entry of a key (compared case-insensitively). ``set`` replaces every
entry of the key (continuation lines go) or appends ``key value``; it refuses values ``postmap`` would not
store as given (line breaks, NUL, leading or trailing whitespace, empty). ``delete`` removes every entry.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import Line, parse_lines, postfix_line_kind

_BLANKS = " \t\r\f\v"
_HEAD = re.compile(r"^(\S+)([ \t]*)(.*)$")


def check_value(value):
    """Raise StoreError unless ``postmap`` stores ``value`` exactly (the message never quotes it)."""
    if not isinstance(value, str) or not value:
        raise StoreError("a lookup table value cannot be empty")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise StoreError("a lookup table value cannot contain line breaks or NUL characters")
    if value != value.strip(_BLANKS):
        raise StoreError("postmap drops leading and trailing whitespace of a value")
    return value


class PostmapStore(Store):
    """A parsed lookup-table source file."""

    def __init__(self, lines, newline):
        self._lines = lines
        self._newline = newline

    @classmethod
    def parse(cls, text, **options):
        return cls(*parse_lines(text, "lookup table"))

    @staticmethod
    def _key(path):
        if not isinstance(path, (tuple, list)) or len(path) != 1 or not isinstance(path[0], str):
            raise StoreError("lookup table paths are (key,)")
        key = path[0]
        if not key or key.startswith("#") or any(char in key for char in " \t\r\n\f\v\x00"):
            raise StoreError("a lookup table key cannot be empty, start with # or contain whitespace")
        return key

    def _entries(self):
        """[(folded key, head index, [continuation indices], value)] in file order."""
        found = []
        current = None
        for index, line in enumerate(self._lines):
            kind = postfix_line_kind(line.text)
            if kind == "entry":
                match = _HEAD.match(line.text)
                current = [match.group(1).lower(), index, [], match.group(3)]
                found.append(current)
            elif kind == "continuation" and current is not None:
                current[2].append(index)
                current[3] += line.text
        return [(key, head, continuation, value.strip(_BLANKS)) for key, head, continuation, value in found]

    def keys(self):
        return [entry[0] for entry in self._entries()]

    def get(self, path):
        key = self._key(path).lower()
        for entry_key, _head, _continuation, value in self._entries():
            if entry_key == key and value:
                return value
        return None

    def set(self, path, value):
        key = self._key(path)
        check_value(value)
        entries = [entry for entry in self._entries() if entry[0] == key.lower()]
        if not entries:
            if self._lines and not self._lines[-1].eol:
                self._lines[-1].eol = self._newline
            self._lines.append(Line(key + " " + value, self._newline))
            return
        dropped = []
        for _key, head, continuation, current in entries:
            if current == value and not continuation:
                continue
            match = _HEAD.match(self._lines[head].text)
            self._lines[head].text = match.group(1) + (match.group(2) or " ") + value
            dropped.extend(continuation)
        for index in sorted(dropped, reverse=True):
            del self._lines[index]

    def delete(self, path):
        key = self._key(path).lower()
        doomed = []
        for entry_key, head, continuation, _value in self._entries():
            if entry_key == key:
                doomed.append(head)
                doomed.extend(continuation)
        for index in sorted(doomed, reverse=True):
            del self._lines[index]

    def render(self):
        return "".join(line.text + line.eol for line in self._lines)
