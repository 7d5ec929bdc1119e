# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Python-literal settings store: top-level ``NAME = {...}`` dict literals of a Python module (NetBox
``configuration.py``).

Text in, text out; no file I/O. ``path`` is ``(NAME, KEY)``: the module-level variable ``NAME`` holding a dict
literal, and a string key of it. The module is parsed with the standard ``ast`` module, so the file must be Python
that CPython compiles; every edit is a splice at the positions ``ast`` gives, and every other byte (other
assignments, other dicts such as ``DATABASES`` or ``REDIS``, comments, quoting, layout) stays as it was. When
nothing changed, ``render()`` returns the original text.

What CPython would read is what ``get`` returns, so the parts we read or edit must be plain: ``NAME`` bound only by
top-level ``NAME = {...}`` statements (the last one wins, as on import; no ``NAME[...] = ``, ``NAME.update()``,
``global``, or ``from ... import *`` after it), the dict without ``**`` unpacking, and each value we read a
literal (``ast.literal_eval``). Anything else is refused naming the line, because the value the app reads would
be computed when it starts (an environment variable, another module), not written in the file.
"""

from __future__ import annotations

import ast
import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store

_NEWLINE = re.compile(r'\r\n|\r|\n')
_SCALARS = (str, bool, int, float, type(None))


def _quoted(text, quote):
    out = [quote]
    for char in text:
        if char == '\\' or char == quote:
            out.append('\\' + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])  # \n, \t, \x85, \u2028...: the escapes CPython reads back
    out.append(quote)
    return ''.join(out)


def encode_literal(value, quote="'") -> str:
    """A Python literal that CPython reads back as exactly ``value`` (str, bool, int, float, None).

    Strings use ``quote`` (the file's style), with backslash escapes for that quote, backslashes and every
    character that is not printable.
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        text = _quoted(value, quote)
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        raise StoreError('unsupported value type for a Python literal: %s' % type(value).__name__)
    if ast.literal_eval(text) != value:  # nan and inf have no literal
        raise StoreError('%s has no Python literal' % type(value).__name__)
    return text


class PythonStore(Store):
    """A parsed Python module whose top-level dict literals hold the settings."""

    def __init__(self, text: str):
        self._text = text
        self._bom = '\ufeff' if text.startswith('\ufeff') else ''
        body = text[len(self._bom):]
        try:
            self._tree = ast.parse(body)
        except SyntaxError as exc:
            raise StoreError('not Python that CPython compiles: %s at line %s' % (exc.msg, exc.lineno)) from None
        except ValueError:
            raise StoreError('not Python that CPython compiles (a NUL character)') from None
        # the start offset of each line of the body: ast positions are (line, UTF-8 byte column)
        self._lines = [0] + [match.end() for match in _NEWLINE.finditer(body)]
        self._body = body

    @classmethod
    def parse(cls, text, **options):
        if not isinstance(text, str):
            raise StoreError('a Python file must be text')
        return cls(text)

    def render(self) -> str:
        return self._text

    # -- positions
    def _offset(self, lineno, col):
        start = self._lines[lineno - 1]
        line = self._body[start:self._lines[lineno] if lineno < len(self._lines) else len(self._body)]
        return start + len(line.encode('utf-8')[:col].decode('utf-8', 'replace'))

    def _span(self, node):
        return self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)

    def _splice(self, start, end, new):
        body = self._body[:start] + new + self._body[end:]
        self._text = self._bom + body
        self.__init__(self._text)

    # -- finding NAME's dict
    def _dict(self, name, create=False):
        """The ``ast.Dict`` CPython binds to ``name`` last, or None; refuses what is not a plain literal."""
        last = None
        for node in self._tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                if len(node.targets) != 1 or not isinstance(node.value, ast.Dict):
                    raise StoreError('%s at line %d is not assigned a plain dict literal ({...}), so the value the '
                                     'app reads is not written in the file' % (name, node.lineno))
                last = node
            elif isinstance(node, ast.ImportFrom) and any(alias.name == '*' for alias in node.names) and last:
                raise StoreError('from %s import * at line %d may replace %s after its assignment'
                                 % (node.module or '.', node.lineno, name))
        targets = set(id(target) for stmt in self._tree.body if isinstance(stmt, ast.Assign) for target in stmt.targets)
        for stmt in self._tree.body:
            in_function = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for node in ast.walk(stmt):
                if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                    raise StoreError('%s is declared global at line %d' % (name, node.lineno))
                if in_function or not isinstance(node, ast.Name) or node.id != name or id(node) in targets:
                    continue
                raise StoreError('%s is used or changed at line %d (not only by top-level %s = {...}), so the '
                                 'value the app reads is not the one written in the file' % (name, node.lineno, name))
        if last is None:
            return None
        if any(key is None for key in last.value.keys):
            raise StoreError('%s at line %d unpacks another dict (**), so its keys are not all written in the file'
                             % (name, last.lineno))
        return last.value

    @staticmethod
    def _check_path(path):
        if len(path) not in (1, 2) or not all(isinstance(part, str) for part in path):
            raise KeyError(path)

    @staticmethod
    def _items(node, key):
        """The (key node, value node) pairs of ``node`` for ``key`` (several when the literal repeats it)."""
        return [(k, v) for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and k.value == key and isinstance(k.value, str)]

    def _literal(self, node, where):
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise StoreError('%s at line %d is not a plain literal (an expression the app computes when it '
                             'starts)' % (where, node.lineno)) from None

    # -- the store interface
    def get(self, path):
        path = tuple(path)
        self._check_path(path)
        node = self._dict(path[0])
        if node is None:
            return None
        if len(path) == 1:
            return dict((k.value, self._literal(v, '%s[%r]' % (path[0], k.value)))
                        for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant))
        items = self._items(node, path[1])
        if not items:
            return None
        return self._literal(items[-1][1], '%s[%r]' % path)

    def set(self, path, value):
        path = tuple(path)
        self._check_path(path)
        if len(path) != 2:
            raise KeyError(path)
        node = self._dict(path[0])
        quote = self._quote(node)
        literal = encode_literal(value, quote)
        if node is None:
            body = self._body
            gap = '' if not body or body.endswith(('\n', '\r')) else '\n'
            eol = self._eol()
            self._splice(len(body), len(body), '%s%s%s = {%s    %s: %s,%s}%s' % (
                gap, eol if body.strip() else '', path[0], eol, encode_literal(path[1], quote), literal, eol, eol))
            return
        items = self._items(node, path[1])
        if items:
            self._literal(items[-1][1], '%s[%r]' % path)  # refuse replacing an expression we cannot read
            start, end = self._span(items[-1][1])
            self._splice(start, end, literal)
            return
        self._insert(node, '%s: %s' % (encode_literal(path[1], quote), literal))

    def delete(self, path):
        path = tuple(path)
        self._check_path(path)
        if len(path) != 2:
            raise KeyError(path)
        while True:
            node = self._dict(path[0])
            items = self._items(node, path[1]) if node is not None else []
            if not items:
                return
            key, value = items[0]
            index = list(node.keys).index(key)
            self._remove_item(node, index)

    # -- splicing helpers
    def _quote(self, node):
        """The quote the dict's keys are written with (single quotes when it has none)."""
        for key in (node.keys if node is not None else ()):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                first = self._body[self._span(key)[0]]
                if first in '\'"':
                    return first
        return "'"

    def _eol(self):
        match = _NEWLINE.search(self._body)
        return match.group(0) if match else '\n'

    def _line_start(self, pos):
        return max(self._body.rfind('\n', 0, pos), self._body.rfind('\r', 0, pos)) + 1

    def _comma_after(self, pos):
        """The offset just after the comma that follows ``pos`` (skipping spaces and comments), or None."""
        body = self._body
        i = pos
        while i < len(body):
            char = body[i]
            if char == ',':
                return i + 1
            if char == '#':
                while i < len(body) and body[i] not in '\r\n':
                    i += 1
                continue
            if not char.isspace():
                return None
            i += 1
        return None

    def _insert(self, node, item):
        start, end = self._span(node)
        close = end - 1  # the closing brace
        if not node.keys:
            self._splice(start + 1, close, item)
            return
        last_end = self._span(node.values[-1])[1]
        comma = self._comma_after(last_end)
        if node.lineno == node.end_lineno:  # {'A': 1} on one line
            if comma is None:
                self._splice(last_end, last_end, ', ' + item)
            else:
                self._splice(comma, comma, ' %s,' % item)
            return
        key_start = self._span(node.keys[-1])[0]
        indent = self._body[self._line_start(key_start):key_start]
        if indent.strip():
            indent = '    '
        line_end = _NEWLINE.search(self._body, last_end)
        insert_at = line_end.end() if line_end and line_end.end() <= close else close
        eol = line_end.group(0) if line_end else self._eol()
        new = '%s%s,%s' % (indent, item, eol)
        if comma is None:
            # the last item gets its comma; the new item goes on the next line
            self._splice(last_end, last_end, ',')
            node = self._dict_at(node.lineno)
            start, end = self._span(node)
            last_end = self._span(node.values[-1])[1]
            line_end = _NEWLINE.search(self._body, last_end)
            insert_at = line_end.end() if line_end and line_end.end() <= end - 1 else end - 1
        if insert_at == self._span(node)[1] - 1 and self._line_start(insert_at) != insert_at:
            new = eol + new  # the closing brace follows the last item on its line
        self._splice(insert_at, insert_at, new)

    def _dict_at(self, lineno):
        for stmt in self._tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict) and stmt.value.lineno == lineno:
                return stmt.value
        raise StoreError('internal: the edited dict moved')

    def _remove_item(self, node, index):
        key_start = self._span(node.keys[index])[0]
        value_end = self._span(node.values[index])[1]
        comma = self._comma_after(value_end)
        end = comma if comma is not None else value_end
        line_start = self._line_start(key_start)
        line_end = _NEWLINE.search(self._body, end)
        rest = self._body[end:line_end.start() if line_end else len(self._body)]
        alone = (not self._body[line_start:key_start].strip()
                 and (not rest.strip() or rest.strip().startswith('#'))
                 and (comma is not None or index == len(node.keys) - 1))
        if alone and line_end is not None and node.lineno != node.end_lineno:
            self._splice(line_start, line_end.end(), '')  # the whole line (with its comment) goes
            return
        # inline: the item, its comma and the spaces after it
        while end < len(self._body) and self._body[end] == ' ':
            end += 1
        if comma is None and index > 0:  # the last item without a comma: drop the comma before it instead
            prev_end = self._span(node.values[index - 1])[1]
            self._splice(prev_end, value_end, '')
            return
        self._splice(key_start, end, '')
