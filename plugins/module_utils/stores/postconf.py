# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical editor for Postfix ``main.cf`` (the ``postconf`` format).

Text in, text out; no file I/O. ``path`` is ``(name,)``. The format, as Postfix's own reader (``postconf``,
every daemon) reads it and as the tests check it with the real ``postconf -c DIR -h``:

- a logical line ``name = value`` starts at the first column; spaces around ``=`` are optional; the name has no
  whitespace (``relay host = x`` is fatal for Postfix: refused here as malformed);
- a line starting with whitespace continues the previous logical line; the pieces are joined with one space;
- blank lines and lines whose first non-blank character is ``#`` are comments, also in the middle of a logical
  line (they do not end it); ``#`` anywhere else is part of the value;
- leading and trailing whitespace of the value are dropped; a later entry of a name overrides an earlier one;
- values are expanded when Postfix uses them: ``$name``, ``${name}``, ``$(name)`` are parameter references
  and ``$$`` is a literal ``$``.

``get`` returns the raw value (before ``$`` expansion) of the last entry, ``None`` when the name is absent.
``set`` takes a raw value: ``encode_literal()`` turns a literal into one (``$`` -> ``$$``) and refuses what
Postfix would not read back (line breaks, edge whitespace); ``decode_literal()`` is the inverse and returns
``None`` for a value with parameter references, which only Postfix can expand (``postconf -x``).
Like ``postconf -e``, ``set`` updates every entry of the name (continuation lines of a replaced entry go);
a name that is absent is written after its last commented example (``#relayhost = [mail.isp.tld]``, the
example stays) when that is safe, else appended at the end. ``delete`` removes every entry with its
continuation lines. Untouched lines keep their bytes.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import Line, parse_lines, postfix_line_kind

_ENTRY = re.compile(r"^([^\s=#][^\s=]*)([ \t]*)=([ \t]*)(.*)$")
_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def encode_literal(value):
    """The raw ``main.cf`` text that Postfix expands to exactly ``value``."""
    if not isinstance(value, str):
        raise StoreError("main.cf values are text")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise StoreError("main.cf values cannot contain line breaks or NUL characters")
    if value != value.strip(" \t\f\v"):
        raise StoreError("Postfix drops leading and trailing whitespace of a main.cf value")
    return value.replace("$", "$$")


def decode_literal(raw):
    """The value Postfix uses for ``raw`` when it has no parameter reference, else ``None``."""
    if raw is None:
        return None
    text = raw.replace("$$", "")
    if "$" in text:
        return None
    return raw.replace("$$", "$")


class PostconfStore(Store):
    """A parsed ``main.cf``."""

    def __init__(self, lines, newline):
        self._lines = lines
        self._newline = newline
        self._all = None  # every entry, computed once per version of the lines

    @classmethod
    def parse(cls, text, **options):
        store = cls(*parse_lines(text, "main.cf"))
        for lineno, line in enumerate(store._lines, 1):
            if postfix_line_kind(line.text) == "entry" and not _ENTRY.match(line.text.rstrip("\r")):
                raise StoreError("line %d: missing '=' after the parameter name (Postfix refuses this file)"
                                 % lineno)
        return store

    @staticmethod
    def _name(path):
        if not isinstance(path, (tuple, list)) or len(path) != 1 or not isinstance(path[0], str):
            raise StoreError("main.cf paths are (name,)")
        if not _NAME.match(path[0]):
            raise StoreError("invalid main.cf parameter name")
        return path[0]

    def _entries(self, name=None):
        """[(name, head index, [continuation indices], raw value)] in file order (linear in the file's size: the
        pieces of a value are joined once, however many continuation lines it has)."""
        if self._all is None:
            found = []
            current = None
            for index, line in enumerate(self._lines):
                kind = postfix_line_kind(line.text)
                if kind == "entry":
                    match = _ENTRY.match(line.text.rstrip("\r"))
                    first = match.group(4).strip()
                    current = [match.group(1), index, [], [first] if first else []]
                    found.append(current)
                elif kind == "continuation" and current is not None:
                    current[2].append(index)
                    current[3].append(line.text.strip())
            self._all = [(entry[0], entry[1], entry[2], " ".join(entry[3])) for entry in found]
        entries = self._all
        if name is not None:
            entries = [entry for entry in entries if entry[0] == name]
        return entries

    def line_of(self, path):
        """The line number of the entry Postfix uses for ``path`` (the last one), None when absent."""
        entries = self._entries(self._name(path))
        return entries[-1][1] + 1 if entries else None

    def names(self):
        return [entry[0] for entry in self._entries()]

    def get(self, path):
        entries = self._entries(self._name(path))
        return entries[-1][3] if entries else None

    def set(self, path, value):
        try:
            self._set(path, value)
        finally:
            self._all = None  # the lines changed: entries are computed again on the next read

    def _set(self, path, raw):
        name = self._name(path)
        if not isinstance(raw, str) or "\n" in raw or "\r" in raw or "\x00" in raw or raw != raw.strip():
            raise StoreError("main.cf values are one line without edge whitespace")
        entries = self._entries(name)
        if entries:
            dropped = []
            for _name, head, continuation, value in entries:
                if value == raw:
                    continue
                match = _ENTRY.match(self._lines[head].text.rstrip("\r"))
                before, after = match.group(2), match.group(3)
                self._lines[head].text = name + before + "=" + (after if raw else "") + raw
                dropped.extend(continuation)
            self._drop_lines(dropped)
            return
        position = self._sample_position(name)
        line = Line(name + " = " + raw if raw else name + " =", self._newline)
        if position is None:
            if self._lines and not self._lines[-1].eol:
                self._lines[-1].eol = self._newline
            self._lines.append(line)
        else:
            self._lines.insert(position, line)

    def _sample_position(self, name):
        """Index just after the last commented example ``#name = ...``, when a new entry is safe there."""
        sample = re.compile(r"^[ \t]*#[ \t]*" + re.escape(name) + r"[ \t]*=")
        candidates = [index for index, line in enumerate(self._lines) if sample.match(line.text)]
        if not candidates:
            return None
        position = candidates[-1] + 1
        if position >= len(self._lines) or not self._lines[position - 1].eol:
            return None
        for line in self._lines[position:]:
            kind = postfix_line_kind(line.text)
            if kind == "continuation":
                return None  # it would continue the new entry instead of the one it belongs to
            if kind == "entry":
                break
        return position

    def delete(self, path):
        name = self._name(path)
        doomed = []
        for _name, head, continuation, _value in self._entries(name):
            doomed.append(head)
            doomed.extend(continuation)
        self._drop_lines(doomed)
        self._all = None

    def _drop_lines(self, indices):
        """Remove the lines at ``indices`` in one pass (not one list deletion per line)."""
        if indices:
            doomed = set(indices)
            self._lines = [line for index, line in enumerate(self._lines) if index not in doomed]

    def render(self):
        return "".join(line.text + line.eol for line in self._lines)
