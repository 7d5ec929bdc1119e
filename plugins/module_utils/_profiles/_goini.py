# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The value codec of go-ini (gopkg.in/ini.v1), the INI reader of Grafana and Gitea.

A model of go-ini 1.66/1.67 ``parser.readValue`` and ``Key.String()`` for one ``key = value`` line, with the
LoadOptions the apps pass (Grafana: ``ini.Load`` defaults; Gitea: ``KeyValueDelimiterOnWrite``,
``IgnoreContinuation: true``, see ``modules/setting/config_provider.go``). Both keep inline comments on::

    value starting with three double quotes or a backtick: everything up to the LAST such quote on the line
                                 (no closing quote on the line: a multi-line value)
    otherwise:                   trimmed; ends with ``\\`` -> continuation line (unless IgnoreContinuation);
                                 cut at the first ``#`` or ``;`` (anywhere, no space needed); trimmed again;
                                 one pair of surrounding ``"`` or ``'`` removed when that quote occurs only there
    Key.String():                ``%(name)s`` replaced by key ``name`` of the same section, else of the default
                                 section (up to 99 rounds); an unknown name stops the replacing. No escape exists.

Writing: a value go-ini reads back unchanged is written bare; any other single-line value is wrapped in backticks,
which go-ini reads back exactly whatever the value holds (the closing quote is the line's last backtick). Values
with a line break or a ``%(name)s`` reference are refused.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec

# Go's unicode.IsSpace (TrimSpace, TrimLeftFunc): Python's str.isspace() also counts U+001C..U+001F.
GO_SPACE = ('\t\n\v\f\r \x85\xa0\u1680' + ''.join(chr(code) for code in range(0x2000, 0x200B))
            + '\u2028\u2029\u202f\u205f\u3000')
_REFERENCE = re.compile(r'%\(([^)]+)\)s')
_DEPTH = 99


class Multiline(Exception):
    """The value goes on past this line (an unclosed quote or a continuation): the line alone cannot tell."""

    def __init__(self, first, quote=None):
        super().__init__(first)
        self.first = first  # the value's part on the first line
        self.quote = quote  # the closing quote to look for, or None for a continuation


def read_following(first_error, following):
    """The whole multi-line value, as go-ini's readMultilines/readContinuationLines read it (None: app fails)."""
    value = first_error.first
    if first_error.quote:
        value += '\n'
        for text in following:
            end = text.rfind(first_error.quote)
            if end != -1:
                return value + text[:end]
            value += text + '\n'
        return None  # "missing closing key quote": the app does not start
    for text in following:
        text = text.strip(GO_SPACE)
        if not text:
            break
        value += text
        if not value.endswith('\\'):
            break
        value = value[:-1]
    return value


def _surrounded(text, quote):
    return len(text) >= 2 and text[0] == quote and text[-1] == quote and text.find(quote, 1) == len(text) - 1


def read_value(raw, continuation=False):
    """What go-ini's ``Key.Value()`` is for the text after ``=`` on one line (raise Multiline when it goes on)."""
    line = raw.lstrip(GO_SPACE)
    if not line:
        return ''
    # go-ini sees the line with its newline: '"""' alone on a line opens a multi-line value
    quote = '"""' if line.startswith('"""') else ('`' if line.startswith('`') else None)
    if quote:
        end = line.rfind(quote, len(quote))
        if end == -1:
            raise Multiline(line[len(quote):], quote)
        return line[len(quote):end]
    line = line.strip(GO_SPACE)
    if continuation and line.endswith('\\'):
        raise Multiline(line[:-1])
    cut = min([index for index in (line.find('#'), line.find(';')) if index != -1] or [-1])
    if cut != -1:
        line = line[:cut].strip(GO_SPACE)
    if _surrounded(line, "'") or _surrounded(line, '"'):
        line = line[1:-1]
    return line


_DELIMITER = re.compile('[=:]')  # go-ini's default KeyValueDelimiters (neither app sets its own)
# Fast paths for the lines most files are made of (the general code below reads them the same way): a blank or
# comment line, and a plain key whose value starts with no quote or blank and holds no backslash.
_PLAIN_SKIP = re.compile('[ \t]*(?:[#;]|\r?\n?\\Z)')
_PLAIN_KEY = re.compile('[ \t]*([A-Za-z0-9_.-]+)[ \t]*([=:])[ \t]*(?![`"\\s])[^\n\\\\]*\n?\\Z')


class GoIniLayout:
    """How go-ini's ``File.parse`` (parser.go) splits a WHOLE file into headers, keys and multi-line values.

    The app reads the whole file, so one line it cannot parse anywhere (in any section) stops it: ``scan`` finds
    that line the way go-ini does and raises ``StoreError`` naming it, and otherwise says what each line is to
    go-ini, so that the INI store finds sections and keys exactly where the app does. ``IniStore.parse`` takes
    it as ``layout``. ``continuation``: a trailing ``\\`` joins the next line (Grafana; Gitea sets
    ``IgnoreContinuation``). Line roles: ``None`` (blank or comment), ``('header', name)``,
    ``('key', name, delimiter)`` (``delimiter``: index of the ``=``/``:`` in the line) and ``('tail', None)``
    (a line inside the multi-line value of the key above it).
    """

    def __init__(self, continuation, app):
        self.continuation = continuation
        self.app = app

    def refuse(self, number, why, error):
        raise StoreError('line %d: %s; go-ini (the INI reader of %s) refuses the whole file ("%s"), so %s does '
                         'not start with it. Fix that line first' % (number, why, self.app, error, self.app))

    def line(self, raw, number=0):
        """The role of one line (``raw`` with its line end, as go-ini reads it), and its value's closing quote
        when the value goes on past the line (``'\\'`` for a continuation)."""
        if _PLAIN_SKIP.match(raw):
            return None, None
        plain = _PLAIN_KEY.match(raw)
        if plain:
            return ('key', plain.group(1), plain.start(2)), None
        line = raw.lstrip(GO_SPACE)
        if not line or line[0] in '#;':
            return None, None
        blanks = len(raw) - len(line)
        if line[0] == '[':
            close = line.rfind(']')
            if close == -1:
                self.refuse(number, 'a section header without its closing "]"', 'unclosed section')
            if close == 1:
                self.refuse(number, 'an empty section name "[]"', 'empty section name')
            return ('header', line[1:close]), None
        quote = None
        if line[0] == '"':
            quote = '"""' if len(line) > 6 and line.startswith('"""') else '"'
        elif line[0] == '`':
            quote = '`'
        if quote:
            close = line.find(quote, len(quote))
            if close == -1:
                self.refuse(number, 'a key name that opens a quote (%s) the line does not close' % quote,
                            'missing closing key quote')
            found = _DELIMITER.search(line, close + len(quote))
            name = line[len(quote):close].strip(GO_SPACE)
        else:
            found = _DELIMITER.search(line)
            name = line[:found.start()].strip(GO_SPACE) if found else ''
        if not found:
            self.refuse(number, 'a line that is neither blank, a comment, a [section] nor key = value (it has no '
                        '"=" or ":")', 'key-value delimiter not found')
        found = found.start()
        value = line[found + 1:].lstrip(GO_SPACE)
        closing = None
        if len(value) > 3 and value.startswith('"""'):
            closing = '"""' if value.rfind('"""', 3) == -1 else None
        elif value.startswith('`'):
            closing = '`' if value.rfind('`', 1) == -1 else None
        elif self.continuation and value.strip(GO_SPACE).endswith('\\'):
            closing = '\\'
        return ('key', name, blanks + found), closing

    def scan(self, raws):
        """The role of every line of the file (``raws``: its lines with their line ends); StoreError naming the
        first line go-ini refuses."""
        roles = []
        index = 0
        section = None
        count = 1  # go-ini names a key "-" "#1", "#2"... in each section
        while index < len(raws):
            number = index + 1
            role, closing = self.line(raws[index], number)
            if role and role[0] == 'header':
                section, count = role[1], 1
            elif role and role[1] == '-':
                role, count = ('key', '#%d' % count, role[2]), count + 1
            roles.append(role)
            index += 1
            if closing == '\\':
                while index < len(raws):  # readContinuationLines
                    following = raws[index].strip(GO_SPACE)
                    roles.append(('tail', None))
                    index += 1
                    if not following or not following.endswith('\\'):
                        break
            elif closing:
                while True:  # readMultilines
                    if index == len(raws):
                        where = ' in [%s]' % section if section else ''
                        self.refuse(number, 'the value of %s%s opens a multi-line %s quote that no later line '
                                    'closes' % (role[1] or 'a key', where, closing), 'missing closing key quote')
                    roles.append(('tail', None))
                    index += 1
                    if closing in raws[index - 1]:
                        break
            if role and role[0] == 'key' and not role[1]:
                self.refuse(number, 'a key with an empty name (nothing before its "=" or ":")', 'empty key name')
        return roles


class GoIniCodec(Codec):
    """go-ini with inline comments on; ``continuation``: a trailing ``\\`` joins the next line (Grafana)."""

    raw = True
    reader = 'go-ini'

    def __init__(self, continuation=False):
        self.continuation = continuation

    def decode(self, stored, following=()):
        """go-ini's value; ``following``: the texts of the next lines, for a value that goes on past its line."""
        try:
            return read_value(stored, self.continuation)
        except Multiline as exc:
            value = read_following(exc, following)
            # None: "missing closing key quote", the app does not start: never equal to a desired value
            return value if value is not None else Computed(stored.strip(GO_SPACE))

    def encode(self, value, option='value', app='this app'):
        if not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if '\n' in value or '\r' in value or '\x00' in value:
            self.refuse(option, app, 'its INI reader (%s) reads one line per value and the value has a line '
                        'break or NUL character' % self.reader)
        if _REFERENCE.search(value):
            self.refuse(option, app, 'its INI reader (%s) replaces %%(name)s with the value of another key and '
                        'has no escape for it' % self.reader)
        try:
            if read_value(value, self.continuation) == value:
                return value
        except Multiline:
            pass
        return '`' + value + '`'

    def trailer(self, old_raw):
        """Keep an inline comment that follows an unquoted value (``# ...`` with a blank before it)."""
        line = old_raw.lstrip(GO_SPACE)
        if not line or line.startswith('`') or line.startswith('"""'):
            return ''
        cut = min([index for index in (line.find('#'), line.find(';')) if index != -1] or [-1])
        if cut <= 0 or line[cut - 1] not in ' \t':
            return ''  # no comment, or '#'/';' inside a word: that is a cut-off value, not a comment to keep
        return ' ' + line[cut:].rstrip(GO_SPACE)

    def save(self, store, path, stored):
        old_raw = store.get_raw(tuple(path))
        trailer = self.trailer(old_raw) if old_raw is not None else ''
        if trailer and '`' in trailer and stored.startswith('`'):
            trailer = ''  # the closing quote is the line's last backtick: a comment with one would move it
        store.set_raw(tuple(path), stored + trailer)

    def load(self, store, path):
        raw = store.get_raw(tuple(path))
        if raw is None:
            return None
        following = ()
        try:
            read_value(raw, self.continuation)
        except Multiline:
            following = store.lines_after(tuple(path))
        value = self.decode(raw, following)
        if '%' not in value:
            return value
        return self.resolve(store, tuple(path), value)

    def resolve(self, store, path, value):
        """go-ini ``Key.String()``: ``%(name)s`` references, as ``transformValue`` resolves them."""
        section, key = path
        for _round in range(_DEPTH):
            match = _REFERENCE.search(value)
            if not match:
                break
            name = match.group(1)
            raw = store.get_raw((section, name)) if name != key else None
            if raw is None:
                raw = store.get_raw((None, name)) if section else None
                if raw is None:
                    break
            value = value.replace(match.group(0), self.decode(raw))
        return value


# Grafana's value expanders (pkg/setting/expanders.go): $__env{X}, ${X}, $__file{path}, $__vault{...}
_GRAFANA_EXPANSION = re.compile(r'\$(|__[0-9A-Za-z_]+)\{([^}]+)\}')
# The expanders Grafana registers (env and file; vault in Enterprise): another $__name{} stays literal.
_GRAFANA_EXPANDERS = re.compile(r'\$(|__env|__file|__vault)\{([^}]+)\}')
# conf/defaults.ini [smtp] keys: merged under the user's file, so %(name)s resolves to them.
_GRAFANA_SMTP_DEFAULT_KEYS = ('enabled', 'host', 'user', 'password', 'cert_file', 'key_file', 'skip_verify',
                              'from_address', 'from_name', 'ehlo_identity', 'startTLS_policy')


class GrafanaCodec(GoIniCodec):
    """go-ini with Grafana's loading (``ini.Load`` defaults), its value expanders and defaults.ini fallback.

    ``default``: the defaults.ini value Grafana reads when the key is absent or empty in the user's file
    (``loadSpecifiedConfigFile`` skips empty values).
    """

    reader = 'go-ini, then Grafana\'s expansion'

    def __init__(self, default=''):
        super().__init__(continuation=True)
        self.default = default

    def decode(self, stored, following=()):
        value = super().decode(stored, following)
        return value if value != '' else self.default

    def load(self, store, path):
        value = super().load(store, path)
        if isinstance(value, str):
            reference = _REFERENCE.search(value)
            if _GRAFANA_EXPANDERS.search(value) or (
                    reference and path[0] == 'smtp' and reference.group(1) in _GRAFANA_SMTP_DEFAULT_KEYS):
                # Grafana replaces it at start-up (environment, file, vault, or a key that defaults.ini adds
                # to [smtp]): not the literal text; drift, rewritten (tests/unit/.../test_app_readers.py).
                return Computed(value)
        return self.default if value is None and self.default else value

    def encode(self, value, option='value', app='grafana'):
        if isinstance(value, str):
            if value == '' and self.default:
                self.refuse(option, app, 'Grafana replaces an empty value with its default %r (defaults.ini)'
                            % self.default)
            if _GRAFANA_EXPANSION.search(value):
                self.refuse(option, app, 'Grafana replaces $__env{...}, $__file{...}, $__vault{...} and ${...} '
                            'in every value with an environment variable, a file or a secret, and has no escape '
                            'for them')
        return super().encode(value, option, app)
