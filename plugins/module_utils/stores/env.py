# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical dotenv (``KEY=value``) store: Django ``.env``, Mastodon ``.env.production``, twelve-factor apps.

Text in, text out; no file I/O. ``path`` is ``(KEY,)``. Lines are ``KEY=value`` with an optional ``export``
prefix, comments and blank lines. Values may be unquoted (a `` #`` starts a comment), single-quoted (literal) or
double-quoted (backslash escapes); ``get`` returns the logical string.

Writing: values made only of ``[A-Za-z0-9_@%+=:,./-]`` are written bare; other values are quoted. Single quotes
are used when the value holds ``$``, a backtick or a backslash and no ``'`` (literal -- no interpolation -- in
python-dotenv, Ruby dotenv, docker compose and POSIX shells); otherwise double quotes with ``\\\\``, ``\\"``,
``\\$`` and ``\\``` escapes (the POSIX shell / Ruby dotenv reading; python-dotenv keeps ``\\$`` as is).
A commented ``# KEY=`` / ``#KEY=`` sample line is replaced in place; new keys are appended at the end.
Every active line of a duplicated key is updated, so that every dotenv dialect agrees on the value.
``True``/``False`` booleans are written in Python spelling (Django's convention); ints as decimal text.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import split_bom, split_document, split_eol

_ASSIGN = re.compile(r"^([ \t]*(?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_.]*)([ \t]*)=([ \t]*)(.*)$")
_COMMENTED = re.compile(r"^([ \t]*)#[ \t]*((?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_.]*)([ \t]*)=([ \t]*)(.*)$")
_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]*$")
_DQ_ESCAPES = {"\\": "\\", '"': '"', "$": "$", "`": "`", "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def parse_value(raw, lineno=0):
    """Split the text after ``=`` into (logical value, trailing text kept as-is such as a comment)."""
    if raw.startswith("'"):
        end = raw.find("'", 1)
        if end == -1:
            raise StoreError("unterminated single-quoted value at line %d" % lineno)
        return raw[1:end], raw[end + 1:]
    if raw.startswith('"'):
        out = []
        index = 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                nxt = raw[index + 1]
                if nxt in _DQ_ESCAPES:
                    out.append(_DQ_ESCAPES[nxt])
                else:
                    out.append(char + nxt)
                index += 2
                continue
            if char == '"':
                return "".join(out), raw[index + 1:]
            out.append(char)
            index += 1
        raise StoreError("unterminated double-quoted value at line %d" % lineno)
    match = re.search(r"[ \t]+#", raw)
    if match:
        return raw[:match.start()].rstrip(), raw[match.start():]
    if raw.startswith("#"):
        return "", raw
    stripped = raw.rstrip()
    return stripped, raw[len(stripped):]


def quote_value(value):
    """Return the text for ``value`` that every dotenv dialect reads back as ``value``."""
    if isinstance(value, bool):
        value = "True" if value else "False"
    elif isinstance(value, int):
        value = str(value)
    elif value is None:
        value = ""
    if not isinstance(value, str):
        raise StoreError("dotenv values must be strings, numbers or booleans")
    if "\n" in value or "\r" in value or "\x00" in value:
        raise StoreError("dotenv values cannot contain line breaks or NUL characters")
    if _SAFE.match(value):
        return value
    if ("$" in value or "\\" in value or "`" in value) and "'" not in value:
        return "'" + value + "'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return '"' + escaped + '"'


def _value_tail(after, raw):
    """Spacing to keep after ``=`` and the trailing text (comment) to keep after a replaced value."""
    if raw.startswith("#"):
        return "", after + raw
    rest = parse_value(raw)[1]
    if rest and not rest[:1].isspace():
        rest = ""
    return after, rest


class _Line:
    __slots__ = ("text", "eol")

    def __init__(self, text, eol):
        self.text = text
        self.eol = eol


class EnvStore(Store):
    """A parsed dotenv document."""

    def __init__(self, lines, newline, bom=""):
        self._lines = lines
        self._newline = newline
        self._bom = bom

    @classmethod
    def parse(cls, text, **options):
        bom, text = split_bom(text)
        raw_lines, newline = split_document(text, "dotenv")
        store = cls([_Line(*split_eol(raw)) for raw in raw_lines], newline, bom)
        for lineno, line in enumerate(store._lines, 1):
            match = _ASSIGN.match(line.text)
            if match:
                parse_value(match.group(5), lineno)
        return store

    @staticmethod
    def _key(path):
        if not isinstance(path, (tuple, list)) or len(path) != 1 or not isinstance(path[0], str):
            raise StoreError("dotenv paths are (KEY,)")
        if not _KEY_NAME.match(path[0]):
            raise StoreError("invalid dotenv variable name")
        return path[0]

    def _active(self, key):
        found = []
        for index, line in enumerate(self._lines):
            match = _ASSIGN.match(line.text)
            if match and match.group(2) == key:
                found.append((index, match))
        return found

    def get(self, path):
        key = self._key(path)
        found = self._active(key)
        if not found:
            return None
        index, match = found[-1]
        return parse_value(match.group(5), index + 1)[0]

    def set(self, path, value):
        key = self._key(path)
        encoded = quote_value(value)
        logical = parse_value(encoded)[0]
        found = self._active(key)
        if found:
            for index, match in found:
                current = parse_value(match.group(5), index + 1)[0]
                if current == logical:
                    continue
                after, rest = _value_tail(match.group(4), match.group(5))
                self._lines[index].text = match.group(1) + key + match.group(3) + "=" + after + encoded + rest
            return
        for line in self._lines:
            match = _COMMENTED.match(line.text)
            if match and match.group(3) == key:
                try:
                    after, rest = _value_tail(match.group(5), match.group(6))
                except StoreError:
                    after, rest = "", ""
                line.text = match.group(1) + match.group(2) + key + match.group(4) + "=" + after + encoded + rest
                return
        if self._lines and not self._lines[-1].eol:
            self._lines[-1].eol = self._newline
        self._lines.append(_Line(key + "=" + encoded, self._newline))

    # -- raw access for the dotenv dialect codecs (_profiles/_dotenv_dialects.py)
    def shadowed_values(self, path):
        """What the earlier assignments of KEY say (the app reads the last): decoded and as written."""
        values = []
        for index, match in self._active(self._key(path))[:-1]:
            try:
                values.append(parse_value(match.group(5), index + 1)[0])
            except StoreError:
                pass
            values.append(match.group(5).strip())
        return [value for value in values if value]

    def get_raw(self, path):
        """The WHOLE last active line of KEY (without its line ending), or None when KEY has none.

        Unlike the INI store's, the raw text is the full line: the dotenv readers disagree about
        indentation, ``export``, blanks around ``=``, quotes and comments, so each dialect codec parses the
        line the way its reader does.
        """
        key = self._key(path)
        found = self._active(key)
        if not found:
            return None
        return self._lines[found[-1][0]].text

    def set_raw(self, path, text, keep_export=True):
        """Make every active line of KEY read exactly ``KEY=<text>`` (``text`` verbatim, as the codec spelled it).

        An ``export `` prefix stays when ``keep_export``; indentation, blanks around ``=`` and trailing
        comments go (some readers take them as part of the value). Without an active line, a commented
        ``# KEY=`` sample line is replaced in place, else the line is appended.
        """
        key = self._key(path)
        found = self._active(key)
        if found:
            for index, match in found:
                export = "export " if keep_export and "export" in match.group(1) else ""
                self._lines[index].text = export + key + "=" + text
            return
        for line in self._lines:
            match = _COMMENTED.match(line.text)
            if match and match.group(3) == key:
                line.text = key + "=" + text
                return
        if self._lines and not self._lines[-1].eol:
            self._lines[-1].eol = self._newline
        self._lines.append(_Line(key + "=" + text, self._newline))

    def delete(self, path):
        key = self._key(path)
        for index, _match in reversed(self._active(key)):
            del self._lines[index]

    def render(self):
        return self._bom + "".join(line.text + line.eol for line in self._lines)
