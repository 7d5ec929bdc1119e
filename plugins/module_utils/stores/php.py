# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical editor for a PHP array literal assigned to a variable (Nextcloud ``config/config.php``, generic).

Text in, text out; no file I/O. ``path`` is ``(variable, key, ...)``, e.g. ``('CONFIG', 'mail_smtphost')``.
The first top-level ``$CONFIG = array( ... );`` (or ``[ ... ]``) is tokenized -- strings with escapes, numbers,
``true``/``false``/``null`` in any case, ``array( )``/``[ ]``, ``=>``, commas and ``//``, ``#``, ``/* */``
comments -- and only the bytes of the entries changed are rewritten. Both the hand-written style
(``config.sample.php``) and PHP's ``var_export`` style (``array (``, ``'key' => \\n  array (``) are kept:
new entries and nested arrays follow the style and indentation of their neighbours, and the trailing comma
of the last entry stays consistent.

Reading returns Python values: ``str``, ``int``, ``float``, ``bool``, ``None``, ``dict`` (``list`` for arrays
whose keys are 0..n-1 in order, like ``json_encode``). Writing emits single-quoted strings (``\\\\`` and ``\\'``
escaped), ints, ``true``/``false``, ``null`` and arrays. A value that is a PHP expression rather than a literal
(constants, concatenation, interpolating double-quoted strings) can be replaced but not read.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores.json import same_value
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import check_text

_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|"
                     r"(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*|[0-9][0-9_]*)(?:[eE][-+]?[0-9_]+)?")
# PHP names: letters, digits, "_" and every byte >= 0x80 (so every non-ASCII character, astral ones included)
_NAME = r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*"
_IDENT = re.compile(r"\\?" + _NAME + r"(?:\\" + _NAME + r")*")
_VARIABLE = re.compile(r"\$[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*")
_DQ_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "v": "\x0b", "e": "\x1b", "f": "\x0c", "\\": "\\", "$": "$",
              '"': '"'}
EXPRESSION = _EXPRESSION = object()  # the value of a double-quoted string that interpolates variables
# Deepest bracket nesting read (a Nextcloud config.php uses 3 or 4): deeper files are refused with a message,
# never a RecursionError from the recursive parts below.
MAX_NESTING = 100


class _Token:
    __slots__ = ("kind", "text", "start", "end", "value")

    def __init__(self, kind, text, start, end, value=None):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.value = value


def _lineno(text, pos):
    return text.count("\n", 0, pos) + 1


def _decode_double(body):
    """Decode the inside of a PHP double-quoted string; _EXPRESSION when it interpolates variables."""
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "$" and index + 1 < len(body) and re.match(r"[A-Za-z_{\x80-\U0010ffff]", body[index + 1]):
            return _EXPRESSION
        if char == "{" and body[index + 1:index + 2] == "$":
            return _EXPRESSION
        if char == "\\" and index + 1 < len(body):
            nxt = body[index + 1]
            if nxt in _DQ_SIMPLE:
                out.append(_DQ_SIMPLE[nxt])
                index += 2
                continue
            octal = re.match(r"[0-7]{1,3}", body[index + 1:])
            if octal:
                out.append(chr(int(octal.group(0), 8) & 0xFF))
                index += 1 + len(octal.group(0))
                continue
            hexa = re.match(r"x([0-9a-fA-F]{1,2})", body[index + 1:])
            if hexa:
                out.append(chr(int(hexa.group(1), 16)))
                index += 1 + len(hexa.group(0))
                continue
            uni = re.match(r"u\{([0-9a-fA-F]+)\}", body[index + 1:])
            if uni:
                out.append(chr(int(uni.group(1), 16)))
                index += 1 + len(uni.group(0))
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _number_value(text):
    digits = text.replace("_", "")
    lowered = digits.lower()
    if lowered.startswith("0x"):
        return int(lowered[2:], 16)
    if lowered.startswith("0b"):
        return int(lowered[2:], 2)
    if lowered.startswith("0o"):
        return int(lowered[2:], 8)
    if "." in lowered or "e" in lowered:
        return float(lowered)
    if len(lowered) > 1 and lowered.startswith("0"):
        return int(lowered, 8)
    return int(lowered)


_OPEN_TAG = re.compile(r"<\?php|<\?=|<\?(?!xml)", re.I)


def _open_php(text, pos, tokens):
    """Position after the next PHP opening tag at or after ``pos`` (None when there is none). The text before it
    is inline output (a token of its own); ``<?=`` is ``echo``."""
    opening = _OPEN_TAG.search(text, pos)
    if opening is None:
        if pos < len(text):
            tokens.append(_Token("inline", text[pos:], pos, len(text)))
        return None
    if opening.start() > pos:
        tokens.append(_Token("inline", text[pos:opening.start()], pos, opening.start()))
    if opening.group(0) == "<?=":
        tokens.append(_Token("ident", "echo", opening.start(), opening.end()))
    return opening.end()


def tokenize(text):
    """PHP tokens of the whole file, as PHP reads it: code from each opening tag (``<?php``, ``<?=``, ``<?``) to
    the next ``?>`` (PHP's ``;``), inline output between them (``inline`` tokens), nothing after
    ``__halt_compiler``; whitespace and comments included. Raises StoreError past MAX_NESTING open brackets."""
    tokens = []
    if _OPEN_TAG.search(text) is None:
        raise StoreError("PHP line 1: no <?php opening tag")
    pos = _open_php(text, 0, tokens)
    length = len(text)
    depth = 0
    while pos < length:
        char = text[pos]
        start = pos
        if char in " \t\r\n":
            while pos < length and text[pos] in " \t\r\n":
                pos += 1
            tokens.append(_Token("ws", text[start:pos], start, pos))
        elif text.startswith("?>", pos):
            pos += 2
            pos += 2 if text.startswith("\r\n", pos) else (1 if text.startswith("\n", pos) else 0)
            tokens.append(_Token("op", ";", start, pos))  # the closing tag ends a statement, as ";" does
            pos = _open_php(text, pos, tokens)
            if pos is None:
                break
        elif char == "#" and not text.startswith("#[", pos) or text.startswith("//", pos):
            while pos < length and text[pos] not in "\r\n" and not text.startswith("?>", pos):
                pos += 1
            tokens.append(_Token("comment", text[start:pos], start, pos))
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end == -1:
                raise StoreError("PHP line %d: unterminated /* comment" % _lineno(text, pos))
            pos = end + 2
            tokens.append(_Token("comment", text[start:pos], start, pos))
        elif char == "'":
            pos += 1
            out = []
            while True:
                if pos >= length:
                    raise StoreError("PHP line %d: unterminated string" % _lineno(text, start))
                if text[pos] == "\\" and pos + 1 < length and text[pos + 1] in "\\'":
                    out.append(text[pos + 1])
                    pos += 2
                elif text[pos] == "'":
                    pos += 1
                    break
                else:
                    out.append(text[pos])
                    pos += 1
            tokens.append(_Token("str", text[start:pos], start, pos, "".join(out)))
        elif char == '"':
            pos += 1
            while True:
                if pos >= length:
                    raise StoreError("PHP line %d: unterminated string" % _lineno(text, start))
                if text[pos] == "\\":
                    pos += 2
                elif text[pos] == '"':
                    pos += 1
                    break
                else:
                    pos += 1
            tokens.append(_Token("str", text[start:pos], start, pos, _decode_double(text[start + 1:pos - 1])))
        elif text.startswith("<<<", pos):
            raise StoreError("PHP line %d: heredoc strings are not supported" % _lineno(text, pos))
        elif char.isdigit() or (char == "." and pos + 1 < length and text[pos + 1].isdigit()):
            match = _NUMBER.match(text, pos)
            pos = match.end()
            tokens.append(_Token("num", match.group(0), start, pos, _number_value(match.group(0))))
        elif char == "$":
            match = _VARIABLE.match(text, pos)
            if not match:
                pos += 1
                tokens.append(_Token("op", "$", start, pos))
                continue
            pos = match.end()
            tokens.append(_Token("var", match.group(0), start, pos))
        else:
            match = _IDENT.match(text, pos)
            if match:
                pos = match.end()
                tokens.append(_Token("ident", match.group(0), start, pos))
                if match.group(0).lower() == "__halt_compiler":
                    break  # PHP compiles nothing after it (the rest is data)
            elif text.startswith("=>", pos) or text.startswith("::", pos):
                pos += 2
                tokens.append(_Token("op", text[start:pos], start, pos))
            else:
                pos += 1
                tokens.append(_Token("op", char, start, pos))
                if char in "([{":
                    depth += 1
                    if depth > MAX_NESTING:
                        raise StoreError("PHP line %d: brackets nested deeper than %d levels; the module refuses "
                                         "such a file" % (_lineno(text, start), MAX_NESTING))
                elif char in ")]}":
                    depth -= 1
    return tokens


class _Node:
    """A value in the array literal: kind 'array', 'scalar' or 'expr', with its character span."""

    __slots__ = ("kind", "start", "end", "value", "items", "open_text", "close")

    def __init__(self, kind, start, end, value=None):
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        self.items = []
        self.open_text = ""
        self.close = None


class _Item:
    __slots__ = ("key", "start", "value", "comma")

    def __init__(self, key, start, value, comma):
        self.key = key
        self.start = start
        self.value = value
        self.comma = comma


class _Parser:
    def __init__(self, text, tokens):
        self.text = text
        self.tokens = [tok for tok in tokens if tok.kind not in ("ws", "comment", "inline")]
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def fail(self, message, token=None):
        where = _lineno(self.text, token.start) if token is not None else _lineno(self.text, len(self.text))
        raise StoreError("PHP line %d: %s" % (where, message))

    def at_array(self):
        tok = self.peek()
        if tok is None:
            return False
        if tok.kind == "op" and tok.text == "[":
            return True
        nxt = self.peek(1)
        return tok.kind == "ident" and tok.text.lower() == "array" and nxt is not None and nxt.text == "("

    def parse_array(self):
        tok = self.peek()
        node = _Node("array", tok.start, None)
        if tok.text == "[":
            closing = "]"
            self.pos += 1
        else:
            closing = ")"
            self.pos += 2
        node.open_text = self.text[tok.start:self.tokens[self.pos - 1].end]
        while True:
            tok = self.peek()
            if tok is None:
                self.fail("unterminated array")
            if tok.kind == "op" and tok.text == closing:
                node.close = tok.start
                node.end = tok.end
                self.pos += 1
                return node
            first = self.parse_value(closing)
            key = None
            tok = self.peek()
            if tok is not None and tok.kind == "op" and tok.text == "=>":
                self.pos += 1
                if first.kind != "scalar" or not isinstance(first.value, (str, int)) \
                        or isinstance(first.value, bool):
                    key = _EXPRESSION
                else:
                    key = first.value
                value = self.parse_value(closing)
            else:
                value = first
            comma = None
            tok = self.peek()
            if tok is not None and tok.kind == "op" and tok.text == ",":
                comma = tok.start
                self.pos += 1
            elif tok is None or tok.text != closing:
                self.fail("expected ',' or the end of the array", tok)
            node.items.append(_Item(key, first.start, value, comma))

    def parse_value(self, closing):
        if self.at_array():
            return self.parse_array()
        start_tok = self.peek()
        if start_tok is None:
            self.fail("unexpected end of file")
        depth = 0
        count = 0
        last = None
        while True:
            tok = self.peek()
            if tok is None:
                self.fail("unexpected end of file", start_tok)
            if depth == 0 and tok.kind == "op" and tok.text in (",", "=>", closing, ";"):
                break
            if tok.kind == "op" and tok.text in "([{":
                depth += 1
            elif tok.kind == "op" and tok.text in ")]}":
                if depth == 0:
                    self.fail("unbalanced brackets", tok)
                depth -= 1
            last = tok
            count += 1
            self.pos += 1
        if last is None:
            self.fail("missing value", start_tok)
        node = _Node("expr", start_tok.start, last.end)
        toks = self.tokens[self.pos - count:self.pos]
        sign = 1
        if len(toks) == 2 and toks[0].kind == "op" and toks[0].text in "-+" and toks[1].kind == "num":
            sign = -1 if toks[0].text == "-" else 1
            toks = toks[1:]
        if len(toks) == 1:
            tok = toks[0]
            if tok.kind == "num":
                node.kind, node.value = "scalar", sign * tok.value
            elif tok.kind == "str" and tok.value is not _EXPRESSION and sign == 1 and count == 1:
                node.kind, node.value = "scalar", tok.value
            elif tok.kind == "ident" and count == 1 and tok.text.lower() in ("true", "false", "null"):
                node.kind = "scalar"
                node.value = {"true": True, "false": False, "null": None}[tok.text.lower()]
        return node


def php_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PhpStore(Store):
    """A PHP file whose settings live in ``$VARIABLE = array(...)``."""

    def __init__(self, text):
        self._text = text
        self._newline = "\r\n" if "\r\n" in text else "\n"
        self._cache = {}
        self._later = {}

    @classmethod
    def parse(cls, text, **options):
        check_text(text, "PHP")
        store = cls(text)
        if text.strip():
            tokenize(text)
        variable = options.get("variable")
        if variable:
            store._root(variable)
        return store

    # ------------------------------------------------------------------ parsing
    def _root(self, variable, create=False):
        if variable in self._cache:
            return self._cache[variable]
        if not self._text.strip():
            if not create:
                return None
            self._text = "<?php" + self._newline + "$" + variable + " = array (" + self._newline + ");" + \
                self._newline
        tokens = tokenize(self._text)
        parser = _Parser(self._text, tokens)
        name = "$" + variable
        toks = parser.tokens
        for index, tok in enumerate(toks):
            if tok.kind != "var" or tok.text != name:
                continue
            if index > 0 and toks[index - 1].kind == "op" and toks[index - 1].text in ("->", "$", "::"):
                continue
            if index + 1 < len(toks) and toks[index + 1].kind == "op" and toks[index + 1].text == "=":
                if index + 2 < len(toks) and toks[index + 2].kind == "op" and toks[index + 2].text == "=":
                    continue
                parser.pos = index + 2
                if not parser.at_array():
                    raise StoreError("PHP line %d: $%s is not assigned an array literal"
                                     % (_lineno(self._text, tok.start), variable))
                node = parser.parse_array()
                self._cache[variable] = node
                return node
        if create:
            raise StoreError("PHP file has no $%s = array(...) assignment" % variable)
        return None

    def later_uses(self, variable):
        """Line numbers where ``$variable`` appears again after its array literal, in any later PHP block too
        (PHP runs those last)."""
        node = self._root(variable)
        if node is None:
            return []
        if variable not in self._later:
            name = "$" + variable
            self._later[variable] = [_lineno(self._text, tok.start) for tok in tokenize(self._text)
                                     if tok.kind == "var" and tok.text == name and tok.start >= node.end]
        return self._later[variable]

    @staticmethod
    def _check_path(path):
        if not isinstance(path, (tuple, list)) or len(path) < 2:
            raise StoreError("PHP paths are (variable, key, ...)")
        if not isinstance(path[0], str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", path[0]):
            raise StoreError("invalid PHP variable name")
        for key in path[1:]:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise StoreError("PHP array keys must be strings or ints")
        return path[0], list(path[1:])

    @staticmethod
    def _find(node, key):
        """The item PHP would use for ``key`` (the last one, counting implicit 0, 1, ... keys)."""
        found = None
        auto = 0
        for item in node.items:
            effective = item.key
            if effective is None:
                effective = auto
            elif isinstance(effective, str) and re.match(r"^(?:0|-?[1-9][0-9]*)$", effective):
                effective = int(effective)
            if isinstance(effective, int) and effective >= auto:
                auto = effective + 1
            if effective is not _EXPRESSION and str(effective) == str(key):
                found = item
        return found

    def _to_python(self, node, where):
        if node.kind == "scalar":
            return node.value
        if node.kind == "expr":
            raise StoreError("PHP line %d: %s is a PHP expression, not a literal"
                             % (_lineno(self._text, node.start), where))
        result = OrderedDict()
        auto = 0
        for item in node.items:
            key = item.key
            if key is _EXPRESSION:
                raise StoreError("PHP line %d: %s has a computed key" % (_lineno(self._text, item.start), where))
            if key is None:
                key = auto
            if isinstance(key, str) and re.match(r"^(?:0|-?[1-9][0-9]*)$", key):
                key = int(key)
            if isinstance(key, int) and key >= auto:
                auto = key + 1
            result[key] = self._to_python(item.value, where)
        if list(result) == list(range(len(result))):
            return list(result.values())
        return OrderedDict((str(k), v) for k, v in result.items())

    # ---------------------------------------------------------------- interface
    def get(self, path):
        variable, keys = self._check_path(path)
        node = self._root(variable)
        if node is None:
            return None
        later = self.later_uses(variable)
        if later:
            raise StoreError("PHP line %d: $%s is used again after its array (PHP runs that later, also after a "
                             "?> ... <?php), so the module cannot tell what is read; merge it into the array"
                             % (later[0], variable))
        for key in keys:
            if node.kind != "array":
                return None
            item = self._find(node, key)
            if item is None:
                return None
            node = item.value
        return self._to_python(node, ".".join(str(k) for k in path))

    def set(self, path, value):
        variable, keys = self._check_path(path)
        self._check_value(value)
        node = self._root(variable, create=True)
        for depth, key in enumerate(keys):
            item = self._find(node, key)
            last = depth == len(keys) - 1
            if item is None:
                nested = value
                for inner in reversed(keys[depth + 1:]):
                    nested = OrderedDict([(inner, nested)])
                self._insert(node, key, nested)
                return
            if last:
                try:
                    current = self._to_python(item.value, "")
                except StoreError:
                    current = _EXPRESSION
                if current is not _EXPRESSION and same_value(current, value):
                    return
                if current == [] and isinstance(value, dict) and not value:
                    return
                indent = self._indent_at(item.start)
                self._splice(item.value.start, item.value.end, self._emit(value, indent, item.value.start))
                return
            if item.value.kind != "array":
                raise StoreError("PHP line %d: %s is not an array" % (
                    _lineno(self._text, item.value.start), ".".join(str(k) for k in path[:depth + 2])))
            node = item.value

    def delete(self, path):
        variable, keys = self._check_path(path)
        node = self._root(variable)
        if node is None:
            return
        for key in keys[:-1]:
            item = self._find(node, key)
            if item is None or item.value.kind != "array":
                return
            node = item.value
        item = self._find(node, keys[-1])
        if item is None:
            return
        index = node.items.index(item)
        text = self._text
        if item.comma is not None:
            end = item.comma + 1
        else:
            end = item.value.end
        start = item.start
        if item.comma is None and index > 0:
            # last item without a trailing comma: drop the previous item's comma instead
            previous = node.items[index - 1]
            start = previous.comma
        else:
            line_start = text.rfind("\n", 0, start) + 1
            if not text[line_start:start].strip():
                start = line_start
            after = re.match(r"[ \t]*(?:(?://|#)[^\r\n]*)?\r?\n", text[end:])
            if after and start == line_start and not after.group(0).strip().startswith(("//", "#")):
                end += len(after.group(0))
        self._splice(start, end, "")

    def render(self):
        return self._text

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _check_value(value):
        if value is None or isinstance(value, (bool, int, str)):
            if isinstance(value, str) and "\x00" in value:
                raise StoreError("PHP store: values cannot contain NUL characters")
            return
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise StoreError("PHP store: NaN and infinite numbers are not supported")
            return
        if isinstance(value, (list, tuple)):
            for item in value:
                PhpStore._check_value(item)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise StoreError("PHP array keys must be strings or ints")
                PhpStore._check_value(item)
            return
        raise StoreError("PHP store: unsupported value type %s" % type(value).__name__)

    def _splice(self, start, end, new):
        self._text = self._text[:start] + new + self._text[end:]
        self._cache = {}
        self._later = {}

    def _indent_at(self, pos):
        line_start = self._text.rfind("\n", 0, pos) + 1
        prefix = self._text[line_start:pos]
        return prefix if not prefix.strip() else re.match(r"[ \t]*", prefix).group(0)

    def _style(self):
        """(var_export style?, indentation unit) of the file."""
        match = re.search(r"\$[A-Za-z_][A-Za-z0-9_]*\s*=\s*(array\s*\(|\[)", self._text)
        var_export = bool(match and re.match(r"array\s+\(", match.group(1), re.I))
        counts = {}
        for outer, inner in re.findall(r"(?m)^([ \t]*)[^\n]*=>\s*(?:array\s*\(|\[)[ \t]*\r?\n([ \t]*)\S",
                                       self._text):
            if len(inner) > len(outer) and inner.startswith(outer):
                step = inner[len(outer):]
                counts[step] = counts.get(step, 0) + 1
        unit = max(sorted(counts), key=lambda step: counts[step]) if counts else None
        if not unit:
            unit = "  " if var_export else "\t"
        return var_export, unit

    def _emit(self, value, indent, pos=None):
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            text = repr(value)
            return text if ("." in text or "e" in text or "n" in text) else text + ".0"
        if isinstance(value, str):
            return php_string(value)
        var_export, unit = self._style()
        nl = self._newline
        if isinstance(value, dict):
            pairs = list(value.items())
        else:
            pairs = list(enumerate(value))
        short = not var_export and self._short_arrays()
        opener, closer = ("[", "]") if short else (("array (", ")") if var_export else ("array(", ")"))
        if not pairs:
            return opener + (nl + indent + closer if var_export else closer)
        inner = indent + unit
        lines = []
        for key, item in pairs:
            key_text = str(key) if isinstance(key, int) else php_string(key)
            body = self._emit(item, inner)
            if var_export and isinstance(item, (dict, list, tuple)):
                lines.append(inner + key_text + " => " + nl + inner + body + ",")
            else:
                lines.append(inner + key_text + " => " + body + ",")
        text = opener + nl + nl.join(lines) + nl + indent + closer
        if var_export and pos is not None:
            # var_export puts a nested array on its own line after "=> "
            before = self._text[:pos]
            arrow = before.rstrip(" \t")
            if arrow.endswith("=>") and "\n" not in before[len(arrow):]:
                return nl + indent + text
        return text

    def _short_arrays(self):
        root = re.search(r"\$[A-Za-z_][A-Za-z0-9_]*\s*=\s*(array\s*\(|\[)", self._text)
        return bool(root and root.group(1) == "[")

    def _insert(self, node, key, value):
        var_export, unit = self._style()
        nl = self._newline
        text = self._text
        key_text = str(key) if isinstance(key, int) else php_string(key)
        if node.items:
            last = node.items[-1]
            indent = self._indent_at(last.start)
            multiline = "\n" in text[node.start:node.end]
        else:
            indent = self._indent_at(node.start) + unit
        if var_export and isinstance(value, (dict, list, tuple)):
            entry = key_text + " => " + nl + indent + self._emit(value, indent)
        else:
            entry = key_text + " => " + self._emit(value, indent)
        if not node.items:
            inside = text[node.start + len(node.open_text):node.close]
            if inside.strip():
                # only comments inside: keep them and add the entry on its own line before the closing bracket
                insert_at = node.close
                while insert_at > node.start and text[insert_at - 1] in " \t":
                    insert_at -= 1
                if text[insert_at - 1:insert_at] == "\n":
                    insert_at -= 1
                    if text[insert_at - 1:insert_at] == "\r":
                        insert_at -= 1
                self._splice(insert_at, insert_at, nl + indent + entry + ",")
                return
            new = (node.open_text + nl + indent + entry + "," + nl + self._indent_at(node.start)
                   + text[node.close:node.end])
            self._splice(node.start, node.end, new)
            return
        if not multiline:
            if last.comma is not None:
                self._splice(last.comma + 1, last.comma + 1, " " + entry + ",")
            else:
                self._splice(last.value.end, last.value.end, ", " + entry)
            return
        if last.comma is not None:
            after = last.comma + 1
            tail = re.match(r"[ \t]*(?:(?://|#)[^\r\n]*|/\*[^\r\n]*?\*/[ \t]*)?(?=\r?\n)", text[after:])
            insert_at = after + tail.end() if tail else after
            self._splice(insert_at, insert_at, nl + indent + entry + ",")
        else:
            end = last.value.end
            tail = re.match(r"[ \t]*(?:(?://|#)[^\r\n]*|/\*[^\r\n]*?\*/[ \t]*)?(?=\r?\n)", text[end:])
            insert_at = end + tail.end() if tail else end
            self._text = text[:end] + "," + text[end:]
            insert_at += 1
            self._splice(insert_at, insert_at, nl + indent + entry)
