# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical block-style YAML editor (Redmine ``configuration.yml``, Discourse ``containers/app.yml``, generic).

Targets have no PyYAML, so this is a small line-based editor for the block-mapping subset of YAML that
configuration files use. Text in, text out; no file I/O. ``path`` is a tuple of nested mapping keys, e.g.
``('production', 'email_delivery', 'smtp_settings', 'address')`` or ``('env', 'DISCOURSE_SMTP_ADDRESS')``.

Behaviour:

* Lines that are not changed keep their bytes; a replaced value keeps its key, spacing and trailing comment.
* Reading resolves plain scalars as YAML 1.1 (PyYAML, Ruby Psych): null, booleans, ints, floats; anything else,
  including Ruby symbols such as ``:smtp`` and timestamps, is returned as ``str`` (a ``PlainScalar`` when the
  scalar was plain, so that Ruby-reader codecs can tell ``:smtp`` from ``':smtp'``).
* Writing a ``str`` emits a plain scalar only when YAML reads it back as that same string (Ruby symbols like
  ``:login`` stay plain, unless the value is a ``TextScalar``); otherwise it is quoted (keeping the quote style
  of the value it replaces where possible).
* Missing mapping levels are created with the file's indentation step, after the last entry of the parent
  mapping (for an empty parent, right below its key).
* A single commented sample line ``#KEY: value`` / ``# KEY: value`` whose ``#`` sits at the mapping's own
  indentation (Discourse's ``#DISCOURSE_SMTP_PORT: 587``) is replaced in place. Commented example *blocks*
  whose keys are indented further than their ``#`` (Redmine's ``#  email_delivery:`` examples) are documentation:
  they are left alone and the real keys go directly below the active parent key, above the examples.
* Anything on the path the editor does not support -- flow collections, anchors, aliases, tags, block or
  multi-line scalars, merge keys, several documents, tab indentation -- raises StoreError; the text is never
  corrupted.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import split_bom, split_document, split_eol

_BOOL_TRUE = ("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_BOOL_FALSE = ("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_NULL = ("", "~", "null", "Null", "NULL")
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                  r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
                    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_SYMBOL = re.compile(r"^:[A-Za-z_][A-Za-z0-9_]*[?!]?$")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_/.$(~^=+%@<>-][A-Za-z0-9_/.:$()~^=+%@<>, -]*$")
_DQ_ESCAPES = {"0": "\x00", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
               "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
               "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_DQ_HEX = {"x": 2, "u": 4, "U": 8}


class _Unsupported(Exception):
    pass


# YAML 1.1 line breaks besides CR/LF (libyaml/Psych and PyYAML fold them): a value holding one is refused.
_YAML_BREAKS = re.compile(u"[\x85\u2028\u2029]")


class PlainScalar(str):
    """A str read from a PLAIN (unquoted) scalar. Ruby's Psych reads a plain ``:name`` as a Symbol, not a
    String: codecs that model Ruby readers (Redmine, Discourse) need to know the scalar was plain."""

    __slots__ = ()


class TextScalar(str):
    """A str to write as a String for every YAML reader: unlike a plain str, ``:login`` is quoted, never
    written as a Ruby symbol."""

    __slots__ = ()


# Deepest block nesting read (app configs use a handful of levels): deeper files are refused with the line, so the
# indentation-following parts stay fast on any file within the size limit.
MAX_NESTING = 100


def resolve_plain(text):
    """Value of a plain scalar under YAML 1.1 resolution (PyYAML's SafeLoader), timestamps kept as str."""
    if text in _NULL:
        return None
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    if _INT.match(text):
        digits = text.replace("_", "")
        sign = -1 if digits.startswith("-") else 1
        digits = digits.lstrip("+-")
        if ":" in digits:
            value = 0
            for part in digits.split(":"):
                value = value * 60 + int(part)
            return sign * value
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits != "0" and digits.startswith("0"):
            return sign * int(digits, 8)
        return sign * int(digits)
    if _FLOAT.match(text) and ":" not in text:
        lowered = text.replace("_", "").lower()
        if lowered.endswith(".inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        if lowered.endswith(".nan"):
            return float("nan")
        return float(lowered)
    return text


def _parse_double(body):
    """Parse a double-quoted scalar at the start of ``body``; return (value, end index) or raise _Unsupported."""
    out = []
    index = 1
    while index < len(body):
        char = body[index]
        if char == '"':
            return "".join(out), index + 1
        if char == "\\":
            if index + 1 >= len(body):
                raise _Unsupported("multi-line double-quoted scalar")
            nxt = body[index + 1]
            if nxt in _DQ_ESCAPES:
                out.append(_DQ_ESCAPES[nxt])
                index += 2
                continue
            if nxt in _DQ_HEX:
                size = _DQ_HEX[nxt]
                code = body[index + 2:index + 2 + size]
                if len(code) != size or not re.match(r"^[0-9a-fA-F]+$", code):
                    raise _Unsupported("invalid escape in double-quoted scalar")
                out.append(chr(int(code, 16)))
                index += 2 + size
                continue
            raise _Unsupported("invalid escape in double-quoted scalar")
        out.append(char)
        index += 1
    raise _Unsupported("multi-line double-quoted scalar")


def _parse_single(body):
    out = []
    index = 1
    while index < len(body):
        char = body[index]
        if char == "'":
            if body[index + 1:index + 2] == "'":
                out.append("'")
                index += 2
                continue
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise _Unsupported("multi-line single-quoted scalar")


def _printable(value):
    for char in value:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029\ufeff" or 0xD800 <= code <= 0xDFFF:
            return False
        if code in (0xFFFE, 0xFFFF):
            return False
    return True


def _needs_quotes(value):
    if not value or value != value.strip() or not _PLAIN_SAFE.match(value):
        return True
    if value.endswith(":") or ": " in value or " #" in value or value.endswith(","):
        return True
    lowered = value.lower()
    if lowered in ("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "<<", "="):
        return True
    if re.match(r"^[-+]?[0-9.]", value) or re.match(r"^[-+]?\.?(?:inf|nan)$", lowered):
        return True
    if value[0] in "-?:,[]{}#&*!|>'\"%@`~":
        return True
    return resolve_plain(value) != value


def _double_quote(value):
    out = ['"']
    for char in value:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            out.append("\\x%02x" % code if code <= 0xFF else "\\u%04x" % code)
        elif char in "\u2028\u2029\ufeff" or code in (0xFFFE, 0xFFFF):
            out.append("\\u%04x" % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def encode_scalar(value, style=None):
    """YAML text for ``value`` (str, int, float, bool, None); ``style`` is the quote char of the value replaced."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise StoreError("YAML store: NaN and infinite numbers are not supported")
        text = repr(value)
        mantissa, _sep, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent and exponent[0] not in "+-":
            exponent = "+" + exponent
        return mantissa + ("e" + exponent if exponent else "")   # YAML 1.1 floats need a dot and a signed exponent
    if not isinstance(value, str):
        raise StoreError("YAML store: unsupported value type %s" % type(value).__name__)
    if "\n" in value or "\r" in value or "\x00" in value:
        raise StoreError("YAML store: values cannot contain line breaks or NUL characters")
    if _SYMBOL.match(value) and not isinstance(value, TextScalar):
        return value
    if style == "'" and _printable(value):
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and not _needs_quotes(value):
        return value
    return _double_quote(value)


class _Entry:
    """One ``key: value`` line of a block mapping."""

    __slots__ = ("index", "indent", "key", "kind", "value", "style", "colon", "ws", "tail", "problem")

    def __init__(self, index, indent, key):
        self.index = index
        self.indent = indent
        self.key = key
        self.kind = "empty"       # empty | scalar | unsupported
        self.value = None
        self.style = None         # None (plain) | '"' | "'"
        self.colon = 0            # index just after the ':' in the line text
        self.ws = ""              # whitespace between ':' and the value (or the comment)
        self.tail = ""            # whitespace + comment after the value, kept on rewrite
        self.problem = None


# PyYAML's pure-Python loader (Synapse's yaml.safe_load) fails on a tab outside quotes and comments ("found
# character '\\t' that cannot start any token"); libyaml and Ruby's Psych accept it. Refused rather than guessed.
_TAB_PROBLEM = "a tab outside quotes, which PyYAML cannot read (use spaces, or quote the value)"


def _analyse_value(entry, rest):
    """Fill ``entry`` from ``rest``, the text after the key's colon."""
    ws = rest[:len(rest) - len(rest.lstrip(" \t"))]
    body = rest[len(ws):]
    entry.ws = ws
    if "\t" in ws:
        entry.kind = "unsupported"
        entry.problem = _TAB_PROBLEM
        return
    if not body:
        return
    # Checked before the comment: a NEL/LS/PS ends a comment too, and what follows it is read as content.
    if _YAML_BREAKS.search(body):
        entry.kind = "unsupported"
        entry.problem = "a Unicode line break (NEL, LS or PS), which YAML readers treat as a new line"
        return
    if body.startswith("#"):
        entry.tail = body
        return
    first = body[0]
    problems = {"&": "an anchor", "*": "an alias", "!": "a tag", "|": "a block scalar", ">": "a block scalar",
                "{": "a flow mapping", "[": "a flow sequence", "%": "a reserved indicator",
                "@": "a reserved indicator", "`": "a reserved indicator"}
    if first in problems:
        entry.kind = "unsupported"
        entry.problem = problems[first]
        return
    try:
        if first == '"':
            value, end = _parse_double(body)
            entry.style = '"'
        elif first == "'":
            value, end = _parse_single(body)
            entry.style = "'"
        else:
            match = re.search(r"[ \t]#", body)
            end = match.start() if match else len(body)
            text = body[:end].rstrip(" \t")
            end = len(text)
            # "-" and "?" followed by a blank or the end open a sequence entry or a complex key: both readers fail.
            indicator = first in "-?" and (len(text) == 1 or text[1] in " \t")
            if first in ",]}" or ": " in text or ":\t" in text or text.endswith(":") or text == "=" or indicator:
                raise _Unsupported("a plain scalar that YAML reads as a flow indicator, a nested mapping or "
                                   "PyYAML's '=' value tag")
            if "\t" in text:
                raise _Unsupported(_TAB_PROBLEM)
            value = resolve_plain(text)
            if isinstance(value, str):
                value = PlainScalar(value)
    except _Unsupported as exc:
        entry.kind = "unsupported"
        entry.problem = str(exc)
        return
    tail = body[end:]
    if "\t" in tail.split("#", 1)[0]:
        entry.kind = "unsupported"
        entry.problem = _TAB_PROBLEM
        return
    if tail.strip() and not re.match(r"^[ \t]+#", tail):
        entry.kind = "unsupported"
        entry.problem = "text after a quoted scalar"
        return
    entry.kind = "scalar"
    entry.value = value
    entry.tail = tail


def _split_key(text):
    """For a stripped content line: ('key', key, rest_after_colon) | ('seq', ...) | ('other', ...)."""
    if text == "-" or text.startswith("- ") or text.startswith("-\t"):
        return "seq", None, None
    if text[0] in "{[":
        return "flow", None, None
    if text[0] in "?&*!|>%@`":
        return "other", None, None
    try:
        if text[0] == '"':
            key, end = _parse_double(text)
        elif text[0] == "'":
            key, end = _parse_single(text)
        else:
            key = None
            end = 0
    except _Unsupported:
        return "other", None, None
    if key is not None:
        after = text[end:]
        stripped = after.lstrip(" \t")
        if stripped.startswith(":") and (len(stripped) == 1 or stripped[1] in " \t"):
            return "key", key, stripped[1:]
        return "other", None, None
    index = 0
    while index < len(text):
        char = text[index]
        if char == "#" and index > 0 and text[index - 1] in " \t":
            return "other", None, None
        if char == ":" and (index + 1 == len(text) or text[index + 1] in " \t"):
            return "key", text[:index].rstrip(" \t"), text[index + 1:]
        index += 1
    return "other", None, None


class _DocumentCheck:
    """A structural check of the WHOLE document, so that a file broken anywhere is refused before any write.

    It follows block mappings and sequences by indentation and skips over block scalars, flow collections and
    multi-line quoted scalars, raising StoreError (with the line number) for what YAML readers (PyYAML, Ruby
    Psych) reject: indentation that matches no open level, text indented under a complete value, a line that is
    not a key where a key is expected, ``a: b: c``, unterminated quotes and flow collections, reserved
    indicators, tabs in indentation. Constructs it does not model (complex ``?`` keys) end the check without an
    error rather than refusing a valid file.
    """

    def __init__(self, store, start, end):
        self.store = store
        self.start = start
        self.end = end
        self.stack = [(-1, "root")]   # open block nodes: (indentation, "map" | "seq")
        self.opened_at = -1           # a line at indentation > opened_at may start a child node
        self.plain_at = None          # deeper lines continue the multi-line plain scalar of this indentation

    def fail(self, index, problem):
        raise StoreError("YAML line %d: %s (the whole file must be valid YAML before it is changed)"
                         % (index + 1, problem))

    def text(self, index):
        return self.store._lines[index][0]

    def run(self):
        index = self.start
        while index < self.end:
            indent = self.store._indent_of(index)
            if indent is None:
                index += 1
                continue
            body = self.text(index)[indent:]
            if body.startswith("? ") or body == "?":
                return   # complex keys: not modelled
            line = index
            index = self.line(index, indent, body)
            if len(self.stack) > MAX_NESTING + 1:
                self.fail(line, "block mappings and sequences nested deeper than %d levels; the module refuses "
                          "such a file" % MAX_NESTING)

    def line(self, index, indent, body):
        stack = self.stack
        while stack[-1][0] > indent:
            stack.pop()
        is_seq = body == "-" or body.startswith("- ") or body.startswith("-\t")
        top_indent, kind = stack[-1]
        if indent > top_indent:
            if self.opened_at is not None and indent > self.opened_at:
                if not is_seq and _split_key(body)[0] != "key" and len(stack) > 1:
                    owner, self.opened_at = self.opened_at, None
                    return self.value(index, body, owner, indent)   # the value on its own line: "key:\n  text"
                stack.append((indent, "seq" if is_seq else "map"))
            elif self.plain_at is not None and indent > self.plain_at:
                if _split_key(body)[0] == "key":
                    self.fail(index, "mapping values are not allowed here (is the indentation right?)")
                return index + 1
            else:
                self.fail(index, "the indentation matches no enclosing block")
        elif kind == "map" and is_seq:
            if self.opened_at != indent:
                self.fail(index, "a sequence item where a mapping key is expected")
            stack.append((indent, "seq"))
        elif kind == "seq" and not is_seq:
            stack.pop()
            if stack[-1] != (indent, "map"):
                self.fail(index, "a mapping key where a sequence item is expected")
        self.opened_at = None
        self.plain_at = None
        if stack[-1][1] == "seq":
            return self.item(index, indent, body)
        return self.key(index, indent, body)

    def item(self, index, indent, body):
        column = indent
        while body == "-" or body.startswith("- ") or body.startswith("-\t"):
            rest = body[1:]
            skipped = len(rest) - len(rest.lstrip(" \t"))
            column += 1 + skipped
            body = rest[skipped:]
            if body and body != "-" and not body.startswith("- ") and not body.startswith("#"):
                break
            if not body or body.startswith("#"):
                self.opened_at = column - 1 - skipped
                return index + 1
            self.stack.append((column, "seq"))
        if body.startswith("? "):
            return self.end
        if _split_key(body)[0] == "key":
            self.stack.append((column, "map"))
            return self.key(index, column, body)
        return self.value(index, body, column - 2 if column >= 2 else indent, column)

    def key(self, index, indent, body):
        kind, _key, rest = _split_key(body)
        if kind == "key":
            return self.value(index, rest, indent, indent + len(body) - len(rest))
        if kind == "seq":
            self.fail(index, "a sequence item where a mapping key is expected")
        if kind == "flow" and self.stack[-1][0] == 0 and len(self.stack) == 2 and index == self._first():
            return self.value(index, body, -1, indent)
        if body.startswith(("'", '"')) and _split_key(body)[0] == "other":
            try:
                (_parse_double if body[0] == '"' else _parse_single)(body)
            except _Unsupported:
                self.fail(index, "unterminated quoted key")
        self.fail(index, "expected a \"key: value\" line (could not find the \":\")")

    def _first(self):
        for index in range(self.start, self.end):
            if self.store._indent_of(index) is not None:
                return index
        return None

    def value(self, index, rest, owner, column):
        """Check the value starting in ``rest`` (on line ``index``); return the index of the next line."""
        body = rest.lstrip(" \t")
        while body[:1] in ("&", "!"):   # anchors and tags before the value
            parts = body.split(None, 1)
            body = parts[1] if len(parts) > 1 else ""
        if not body or body.startswith("#"):
            self.opened_at = owner
            return index + 1
        first = body[0]
        if first in "|>":
            return self.block_scalar(index, owner)
        if first in "[{":
            return self.flow(index, body)
        if first in "\"'":
            return self.quoted(index, body)
        if first in "@`":
            self.fail(index, "%s cannot start a plain value (reserved indicator)" % first)
        if first == "*":
            if len(body.split("#", 1)[0].split()) > 1:
                self.fail(index, "text after an alias")
            return index + 1
        plain = re.split(r"[ \t]#", body, maxsplit=1)[0].rstrip(" \t")
        if re.search(r":[ \t]", plain) or plain.endswith(":"):
            self.fail(index, "mapping values are not allowed here")
        self.plain_at = owner
        return index + 1

    def block_scalar(self, index, owner):
        index += 1
        while index < self.end:
            text = self.text(index)
            stripped = text.lstrip(" ")
            if stripped.strip(" \t") and len(text) - len(stripped) <= owner:
                break
            index += 1
        return index

    def quoted(self, index, body):
        quote = body[0]
        start = index
        position = 1
        text = body
        while True:
            while position < len(text):
                char = text[position]
                if quote == '"' and char == "\\":
                    position += 2
                    continue
                if char == quote:
                    if quote == "'" and text[position + 1:position + 2] == "'":
                        position += 2
                        continue
                    tail = text[position + 1:]
                    if tail.strip(" \t") and not re.match(r"^[ \t]+#", tail):
                        self.fail(index, "text after a quoted value")
                    return index + 1
                position += 1
            index += 1
            if index >= self.end:
                self.fail(start, "unterminated %s-quoted value" % ("double" if quote == '"' else "single"))
            text = self.text(index)
            position = 0

    def flow(self, index, body):
        start = index
        depth = 0
        quote = None
        text = body
        position = 0
        while True:
            while position < len(text):
                char = text[position]
                if quote:
                    if quote == '"' and char == "\\":
                        position += 2
                        continue
                    if char == quote:
                        if quote == "'" and text[position + 1:position + 2] == "'":
                            position += 2
                            continue
                        quote = None
                elif char in "\"'" and (position == 0 or text[position - 1] in " \t[{,:"):
                    quote = char
                elif char == "#" and (position == 0 or text[position - 1] in " \t"):
                    break
                elif char in "[{":
                    depth += 1
                elif char in "]}":
                    depth -= 1
                    if depth < 0:
                        self.fail(index, "unbalanced %s" % char)
                    if depth == 0:
                        tail = text[position + 1:]
                        if tail.strip(" \t") and not re.match(r"^[ \t]+#", tail):
                            self.fail(index, "text after a flow collection")
                        return index + 1
                position += 1
            index += 1
            if index >= self.end:
                self.fail(start, "unterminated flow collection")
            text = self.text(index)
            position = 0


class YamlStore(Store):
    """A parsed single-document YAML file with a block mapping at the top."""

    def __init__(self, lines, newline, bom=""):
        self._lines = lines
        self._newline = newline
        self._bom = bom

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, text, **options):
        bom, text = split_bom(text)
        raw, newline = split_document(text, "YAML")
        store = cls([list(split_eol(line)) for line in raw], newline, bom)
        start, end = store._document()
        _DocumentCheck(store, start, end).run()
        return store

    def _indent_of(self, index):
        """Indentation of a content line, or None for blank and comment-only lines."""
        text = self._lines[index][0]
        stripped = text.lstrip(" ")
        if not stripped.strip() or stripped.lstrip("\t").startswith("#"):
            return None
        if stripped[0] == "\t":
            raise StoreError("YAML line %d: tab characters in indentation are not allowed" % (index + 1))
        return len(text) - len(stripped)

    def _document(self):
        """(start, end) line range of the single document's content."""
        start = 0
        end = len(self._lines)
        seen_content = False
        for index, (text, _eol) in enumerate(self._lines):
            if text.startswith("%") and not seen_content:
                start = index + 1
                continue
            if text == "---" or text.startswith("--- ") or text.startswith("---\t"):
                rest = text[3:].strip()
                if seen_content:
                    for later in range(index + 1, len(self._lines)):
                        if self._indent_of(later) is not None:
                            raise StoreError("YAML line %d: files with several documents are not supported"
                                             % (index + 1))
                    end = index
                    break
                if rest and not rest.startswith("#"):
                    raise StoreError("YAML line %d: content on the document start line is not supported"
                                     % (index + 1))
                start = index + 1
                seen_content = True
                continue
            if text == "..." or text.startswith("... "):
                end = index
                break
            if self._indent_of(index) is not None:
                seen_content = True
        return start, end

    def _entries(self, start, end, parent_indent):
        """Direct children of the block mapping in lines [start, end): (child indent, {key: _Entry}, last line)."""
        child_indent = None
        entries = OrderedDict()
        last_content = None
        for index in range(start, end):
            indent = self._indent_of(index)
            if indent is None:
                continue
            if indent <= parent_indent:
                break
            last_content = index
            if child_indent is None:
                child_indent = indent
            if indent > child_indent:
                continue
            if indent < child_indent:
                raise StoreError("YAML line %d: inconsistent indentation" % (index + 1))
            text = self._lines[index][0]
            kind, key, rest = _split_key(text[indent:])
            if kind == "seq" and entries and list(entries.values())[-1].kind == "empty":
                continue   # a sequence written at its key's indentation ("key:\n- item")
            if kind == "flow":
                raise StoreError("YAML line %d: flow collections are not supported" % (index + 1))
            if kind != "key":
                raise StoreError("YAML line %d: expected a mapping key here" % (index + 1))
            if key == "<<" and text[indent] not in "\"'":
                raise StoreError("YAML line %d: merge keys (<<) are not supported" % (index + 1))
            entry = _Entry(index, indent, key)
            entry.colon = len(text) - len(rest)
            _analyse_value(entry, rest)
            entries[key] = entry
        return child_indent, entries, last_content

    def _region_end(self, entry, end):
        """First line after ``entry``'s own block (its deeper lines, comments and blank lines)."""
        for index in range(entry.index + 1, end):
            indent = self._indent_of(index)
            if indent is None:
                continue
            if indent > entry.indent:
                continue
            if indent == entry.indent and entry.kind == "empty":
                stripped = self._lines[index][0][indent:]
                if stripped == "-" or stripped.startswith("- "):
                    continue
            return index
        return end

    def _has_children(self, entry, end):
        for index in range(entry.index + 1, self._region_end(entry, end)):
            if self._indent_of(index) is not None:
                return True
        return False

    def _step(self):
        """The file's indentation step (the first nested block's extra indentation), 2 by default."""
        previous = None
        for index in range(len(self._lines)):
            indent = self._indent_of(index)
            if indent is None:
                continue
            if previous is not None and indent > previous[0] and previous[1]:
                return indent - previous[0]
            text = self._lines[index][0][indent:]
            kind, _key, rest = _split_key(text)
            opens = kind == "key" and (not rest.strip() or rest.strip().startswith("#"))
            previous = (indent, opens)
        return 2

    def _walk(self, path):
        """Follow ``path``; return (depth reached, entry or None, start, end, parent indent, entries info)."""
        if not isinstance(path, (tuple, list)) or not path or not all(isinstance(k, str) for k in path):
            raise StoreError("YAML paths are non-empty tuples of mapping keys")
        start, end = self._document()
        parent_indent = -1
        parent = None
        for depth, key in enumerate(path):
            child_indent, entries, last_content = self._entries(start, end, parent_indent)
            entry = entries.get(key)
            info = (child_indent, last_content, parent)
            if entry is None or depth == len(path) - 1:
                return depth, entry, start, end, parent_indent, info
            where = "YAML line %d: %s" % (entry.index + 1, ".".join(path[:depth + 1]))
            if entry.kind == "unsupported":
                raise StoreError("%s holds %s, which is not supported" % (where, entry.problem))
            if entry.kind == "scalar" and entry.value is not None:
                raise StoreError("%s is a scalar, not a mapping" % where)
            region_end = self._region_end(entry, end)
            if entry.kind == "scalar":   # explicit null (~ / null) with nothing below
                if self._has_children(entry, end):
                    raise StoreError("%s is not a mapping" % where)
            parent = entry
            start, end, parent_indent = entry.index + 1, region_end, entry.indent
        raise StoreError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- interface
    def get(self, path):
        depth, entry, _start, end, _parent_indent, _info = self._walk(path)
        if entry is None:
            return None
        return self._read(entry, end, ".".join(path))

    def _read(self, entry, end, name):
        where = "YAML line %d: %s" % (entry.index + 1, name)
        if entry.kind == "unsupported":
            raise StoreError("%s holds %s, which is not supported" % (where, entry.problem))
        region_end = self._region_end(entry, end)
        if entry.kind == "scalar":
            if self._has_children(entry, end):
                raise StoreError("%s: multi-line scalars are not supported" % where)
            return entry.value
        if not self._has_children(entry, end):
            return None
        first = next(i for i in range(entry.index + 1, region_end) if self._indent_of(i) is not None)
        indent = self._indent_of(first)
        text = self._lines[first][0][indent:]
        if text == "-" or text.startswith("- "):
            return self._read_sequence(entry.index + 1, region_end, indent, where)
        _child, entries, _last = self._entries(entry.index + 1, region_end, entry.indent)
        result = OrderedDict()
        for key, child in entries.items():
            result[key] = self._read(child, region_end, name + "." + key)
        return result

    def _read_sequence(self, start, end, indent, where):
        items = []
        for index in range(start, end):
            item_indent = self._indent_of(index)
            if item_indent is None:
                continue
            if item_indent != indent:
                raise StoreError("%s: only sequences of plain scalars are supported" % where)
            item = self._lines[index][0][indent + 1:].lstrip(" ")
            probe = _Entry(index, indent, None)
            _analyse_value(probe, " " + item)
            if probe.kind == "unsupported" or (item and _split_key(item)[0] != "other"):
                raise StoreError("%s: only sequences of plain scalars are supported" % where)
            items.append(probe.value)
        return items

    def set(self, path, value):
        depth, entry, start, end, parent_indent, info = self._walk(path)
        child_indent, last_content, _parent = info
        if entry is not None:
            self._replace(entry, end, value, ".".join(path))
            return
        encoded = encode_scalar(value)
        indent = child_indent if child_indent is not None else parent_indent + self._step()
        if parent_indent < 0 and child_indent is None:
            indent = 0
        if depth == len(path) - 1 and self._replace_sample(start, end, indent, path[-1], encoded):
            return
        if _parent is not None and _parent.kind == "scalar":
            # explicit null parent (``key: ~``): drop the null so that the new block belongs to it
            text = self._lines[_parent.index][0]
            comment = " " + _parent.tail.lstrip() if _parent.tail.strip() else ""
            self._lines[_parent.index][0] = text[:_parent.colon] + comment
        step = self._step()
        new_lines = []
        for offset, key in enumerate(path[depth:]):
            key_text = self._key_text(key)
            pad = " " * (indent + offset * step)
            if depth + offset == len(path) - 1:
                new_lines.append(pad + key_text + ":" + (" " + encoded if encoded else ""))
            else:
                new_lines.append(pad + key_text + ":")
        if last_content is not None:
            anchor = last_content + 1
        elif parent_indent >= 0:
            anchor = start
        else:
            anchor = end
        self._insert(anchor, new_lines)

    @staticmethod
    def _key_text(key):
        if "\n" in key or "\r" in key or "\x00" in key:
            raise StoreError("YAML store: keys cannot contain line breaks or NUL characters")
        if _needs_quotes(key) and not _SYMBOL.match(key) or key.startswith(":"):
            return _double_quote(key)
        return key

    def _insert(self, anchor, new_lines):
        if anchor > 0 and not self._lines[anchor - 1][1]:
            self._lines[anchor - 1][1] = self._newline
        for offset, text in enumerate(new_lines):
            self._lines.insert(anchor + offset, [text, self._newline])

    def _replace(self, entry, end, value, name):
        where = "YAML line %d: %s" % (entry.index + 1, name)
        if entry.kind == "unsupported":
            raise StoreError("%s holds %s, which is not supported" % (where, entry.problem))
        if self._has_children(entry, end):
            raise StoreError("%s holds a nested block or a multi-line scalar; it cannot be replaced by a scalar"
                             % where)
        if entry.kind == "scalar" and _same(entry.value, value):
            return
        if entry.kind == "empty" and value is None:
            return
        encoded = encode_scalar(value, entry.style if entry.kind == "scalar" else None)
        text = self._lines[entry.index][0]
        head = text[:entry.colon]
        if entry.kind == "empty":
            comment = entry.tail
            if not encoded:
                return
            new = head + " " + encoded + ((entry.ws or " ") + comment if comment else "")
        elif not encoded:
            new = head + (" " + entry.tail.lstrip(" \t") if entry.tail.strip() else "")
        else:
            new = head + (entry.ws or " ") + encoded + entry.tail
        self._lines[entry.index][0] = new

    def _replace_sample(self, start, end, indent, key, encoded):
        pattern = re.compile(r"^ {%d}# ?(%s):(?=[ \t]|$)(.*)$" % (indent, re.escape(key)))
        for index in range(start, end):
            if self._indent_of(index) is not None:
                continue
            match = pattern.match(self._lines[index][0])
            if not match:
                continue
            probe = _Entry(index, indent, key)
            _analyse_value(probe, match.group(2))
            tail = probe.tail if probe.kind == "scalar" or (probe.kind == "empty" and probe.tail) else ""
            if probe.kind == "empty" and tail:
                tail = (probe.ws or " ") + tail
            line = " " * indent + self._key_text(key) + ":" + (" " + encoded if encoded else "") + tail
            self._lines[index][0] = line
            return True
        return False

    def delete(self, path):
        depth, entry, _start, end, _parent_indent, _info = self._walk(path)
        if entry is None:
            return
        region_end = self._region_end(entry, end)
        last = entry.index
        for index in range(entry.index + 1, region_end):
            if self._indent_of(index) is not None:
                last = index
        del self._lines[entry.index:last + 1]

    def render(self):
        return self._bom + "".join(text + eol for text, eol in self._lines)


def _same(left, right):
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) and isinstance(right, str):
        if isinstance(left, PlainScalar) and isinstance(right, TextScalar) and left.startswith(":"):
            return False                       # a plain :name is a Ruby Symbol, the String must be quoted
        return str(left) == str(right)
    return type(left) is type(right) and left == right
