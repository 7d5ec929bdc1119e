# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Line handling shared by the line-oriented stores (INI, dotenv, YAML).

Stores edit files surgically, so every line keeps its own end-of-line bytes and untouched lines render back
byte-identical.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError

# Lines end at LF only (CRLF kept whole): str.splitlines() would also split on VT, FF, NEL, U+2028 ...
_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


BOM = "\ufeff"


def split_bom(text):
    """``(bom, rest)``: a leading UTF-8 byte order mark, kept apart so that it neither hides the first line from
    the parser (go-ini, python-dotenv, Ruby dotenv and YAML readers all skip it) nor gets lost on rendering."""
    if isinstance(text, str) and text.startswith(BOM):
        return BOM, text[1:]
    return "", text


def check_text(text, format_name):
    """Refuse content a text store cannot edit safely (bytes, NUL characters)."""
    if not isinstance(text, str):
        raise StoreError("%s content must be text" % format_name)
    if "\x00" in text:
        raise StoreError("%s content contains a NUL character" % format_name)


def split_document(text, format_name):
    """Return ``(raw_lines, newline)``: the lines with their line ends, and the newline new lines should use."""
    check_text(text, format_name)
    raw_lines = _LINES.findall(text)
    newline = "\r\n" if raw_lines and raw_lines[0].endswith("\r\n") else "\n"
    return raw_lines, newline


def split_eol(line):
    """Split one raw line into its text and its line end ('' on a last line without one)."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n") or line.endswith("\r"):
        return line[:-1], line[-1]
    return line, ""


class Line:
    """One physical line of a line store: its text and its own line end (kept byte-for-byte)."""

    __slots__ = ("text", "eol")

    def __init__(self, text, eol):
        self.text = text
        self.eol = eol


def parse_lines(text, format_name):
    """``(lines, newline)``: the document as ``Line`` objects, and the newline new lines should use."""
    raw_lines, newline = split_document(text, format_name)
    return [Line(*split_eol(raw)) for raw in raw_lines], newline


_POSTFIX_BLANKS = " \t\r\f\v"


def postfix_line_kind(text):
    """A physical line of a Postfix file (main.cf, lookup-table source): 'blank', 'comment', 'continuation'
    (starts with whitespace: it continues the previous logical line) or 'entry'."""
    stripped = text.strip(_POSTFIX_BLANKS)
    if not stripped:
        return "blank"
    if stripped.startswith("#"):
        return "comment"
    if text[:1] in _POSTFIX_BLANKS:
        return "continuation"
    return "entry"
