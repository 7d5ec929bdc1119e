# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The readers of ``KEY=value`` files (the ``dialect`` option of ``app: dotenv``), one value codec each.

Every dotenv library reads quotes, backslashes, ``#`` and ``$`` its own way, so the same line means different
passwords to different apps. Each codec here models one reader (checked against the real one by
tests/unit/plugins/module_utils/test_app_readers.py):

=================  ==========================================================================================
``python-dotenv``  python-dotenv ``dotenv_values``/``load_dotenv`` (Django apps with python-dotenv). Writes
                   ``'...'`` with ``\\\\`` and ``\\'`` escapes. ``${NAME}`` / ``${NAME:-default}`` is
                   interpolated even inside single quotes and has no escape: such values are refused.
``django-environ`` ``environ.Env.read_env`` + ``env.str()``. Writes ``'...'`` (literal), or ``"..."`` when
                   the value itself starts and ends with ``"``. A value starting with ``$`` is a reference to
                   another variable and has no escape: refused. Characters Python's ``str.splitlines``
                   breaks lines at (``\\x0b \\x0c \\x1c-\\x1e \\x85 \\u2028 \\u2029``) are refused.
``ruby-dotenv``    Ruby dotenv (Mastodon, Rails apps). Writes ``'...'``: literal, no substitution, always.
``docker-compose`` Docker Compose v2 ``env_file:`` (compose-go). Writes ``"..."`` with ``\\\\``, ``\\"`` and
                   ``\\$`` escapes.
``systemd``        systemd's environment-file parser (``EnvironmentFile=``, environment.d). Writes ``'...'``
                   (``"..."`` when the value holds ``'``). ``$`` is refused: environment.d expands it and
                   ``EnvironmentFile=`` does not, so only a value without it reads the same in both;
                   control characters are refused too. ``export`` prefixes are dropped (systemd ignores
                   such lines).
``shell``          a POSIX shell sourcing the file (``set -a; . ./.env``, docker entrypoints). Writes
                   ``'...'`` with ``'\\''`` for a quote: everything is literal.
=================  ==========================================================================================

A codec's ``decode`` gets the WHOLE line of the key (``EnvStore.get_raw``) and returns what the reader takes
from it: a str, None when that reader does not see an assignment of the key on that line, or ``Computed`` when
the reader computes the value at start-up (variable references, commands, a quote continued on the next line).
``encode`` returns the text after ``KEY=`` (``EnvStore.set_raw`` writes ``KEY=<text>``).
"""

from __future__ import annotations

import codecs
import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed

DIALECTS = ('python-dotenv', 'django-environ', 'ruby-dotenv', 'docker-compose', 'systemd', 'shell')
DEFAULT_DIALECT = 'python-dotenv'


class DotenvCodec(Codec):
    """Base of the dialect codecs: raw line in, value out; the value text after ``KEY=`` back."""

    raw = True
    name = None
    keep_export = True   # whether a rewritten line keeps an ``export `` prefix the user had

    def decode(self, stored):
        try:
            return self.read_line(stored)
        except (ValueError, IndexError):
            return Computed(stored)

    def read_line(self, line):
        raise NotImplementedError

    def save(self, store, path, stored):
        store.set_raw(tuple(path), stored, keep_export=self.keep_export)

    def why(self, option, app, reason):
        self.refuse(option, '%s (dotenv dialect %s)' % (app, self.name), reason)


# --------------------------------------------------------------------------- python-dotenv

_PD = dict(
    whitespace=re.compile(r"\s*", re.UNICODE | re.MULTILINE),
    export=re.compile(r"(?:export[^\S\r\n]+)?", re.UNICODE),
    single_key=re.compile(r"'([^']+)'", re.UNICODE),
    key=re.compile(r"([^=\#\s]+)", re.UNICODE),
    blank=re.compile(r"[^\S\r\n]*", re.UNICODE),
    equal=re.compile(r"(=[^\S\r\n]*)", re.UNICODE),
    single=re.compile(r"'((?:\\.|[^'\\])*)'", re.UNICODE | re.DOTALL),
    double=re.compile(r'"((?:\\.|[^"\\])*)"', re.UNICODE | re.DOTALL),
    unquoted=re.compile(r"([^\r\n]*)", re.UNICODE),
    comment=re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?", re.UNICODE),
    end=re.compile(r"[^\S\r\n]*$", re.UNICODE),
    single_escapes=re.compile(r"\\[\\']", re.UNICODE),
    double_escapes=re.compile(r"\\[\\'\"abfnrtv]", re.UNICODE),
    variable=re.compile(r"\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}"),
)


def _unescape(regex, text):
    return regex.sub(lambda match: codecs.decode(match.group(0), 'unicode-escape'), text)


class PythonDotenvCodec(DotenvCodec):
    """python-dotenv (parser.py + variables.py): one line, as ``parse_binding`` reads it."""

    name = 'python-dotenv'

    def read_line(self, line):
        pos = _PD['whitespace'].match(line).end()
        pos = _PD['export'].match(line, pos).end()
        match = _PD['single_key'].match(line, pos) if line[pos:pos + 1] == "'" else _PD['key'].match(line, pos)
        if not match:
            return None
        pos = _PD['blank'].match(line, match.end()).end()
        if line[pos:pos + 1] != '=':
            return None                                   # "KEY" alone: no value
        equal = _PD['equal'].match(line, pos)
        pos = equal.end()
        char = line[pos:pos + 1]
        if len(equal.group(1)) > 1 and char == '#':
            value = ''
        elif char == "'" or char == '"':
            quoted = _PD['single' if char == "'" else 'double'].match(line, pos)
            if not quoted:
                return Computed(line)                     # the quote continues on the next lines
            value = _unescape(_PD['single_escapes' if char == "'" else 'double_escapes'], quoted.group(1))
            pos = quoted.end()
        elif char == '':
            value = ''
        else:
            part = _PD['unquoted'].match(line, pos).group(1)
            value = re.sub(r"\s+#.*", "", part, flags=re.UNICODE).rstrip()
            pos = len(line)
        pos = _PD['comment'].match(line, pos).end()
        if not _PD['end'].match(line, pos):
            return None                                   # python-dotenv drops a line it cannot parse
        if _PD['variable'].search(value):
            return Computed(value)
        return value

    def encode(self, value, option='value', app='this app'):
        if _PD['variable'].search(value):
            self.why(option, app, 'python-dotenv expands ${...} even inside quotes and has no escape for it')
        return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"


# --------------------------------------------------------------------------- django-environ

_DJ_LINE_BREAKS = re.compile(u'[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')
_DJ_ASSIGN = re.compile(r'\A(?:export )?([A-Za-z_0-9]+)=(.*)\Z')


class DjangoEnvironCodec(DotenvCodec):
    """django-environ 0.14: ``Env.read_env()`` (defaults: no comment parsing) then ``env.str(KEY)``."""

    name = 'django-environ'

    def read_line(self, line):
        line = _DJ_LINE_BREAKS.split(line)[0]             # str.splitlines() ends the line there
        match = _DJ_ASSIGN.match(line)
        if not match:
            return None
        value = match.group(2)
        single = re.match(r"\A'(.*)'\Z", value)
        if single:
            value = single.group(1)
        double = re.match(r'\A"(.*)"\Z', value)
        if double:
            value = re.sub(r'\\(.)', lambda m: '\\' + m.group(1) if m.group(1) in 'rnt' else m.group(1),
                           double.group(1))
        if value.startswith('$'):
            return Computed(value)                        # a proxy: the value of another variable
        return value

    def encode(self, value, option='value', app='this app'):
        if _DJ_LINE_BREAKS.search(value):
            self.why(option, app, 'django-environ splits lines at this Unicode line-break character')
        if value.startswith('$'):
            self.why(option, app, 'django-environ reads a value starting with $ as the name of another variable')
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            # '"x"' would be unquoted twice: write "..." with escapes that env.str() gives back.
            if re.search(r'\\[rnt]', value):
                self.why(option, app, 'django-environ keeps \\r, \\n and \\t escapes in a value that is '
                                      'quoted twice')
            return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
        return "'" + value + "'"


# --------------------------------------------------------------------------- Ruby dotenv 2.x

_RB_SPACE = '[ \\t\\r\\n\\f\\v]'
_RB_LINE = re.compile(
    r"\A" + _RB_SPACE + r"*(?:export" + _RB_SPACE + r"+)?([A-Za-z0-9_.]+)(?:" + _RB_SPACE + r"*=" + _RB_SPACE
    + r"*|:" + _RB_SPACE + r"+?)('[\s\S]*'|\"[\s\S]*\"|[^#\n]+)?" + _RB_SPACE + r"*(?:#.*)?\Z")
_RB_VARIABLE = re.compile(r"(\\)?(\$)(?!\()\{?([A-Za-z0-9_]+)?\}?")


class RubyDotenvCodec(DotenvCodec):
    """Ruby dotenv 2.x ``Dotenv::Parser``: LINE regex, quotes stripped, substitutions unless single-quoted."""

    name = 'ruby-dotenv'

    def read_line(self, line):
        match = _RB_LINE.match(line)
        if not match:
            return None
        value = (match.group(2) or '').strip(' \t\r\n\f\v\0')
        quoted = re.match(r"\A(['\"])(.*)\1\Z", value)
        if quoted:
            value = quoted.group(2)
            if quoted.group(1) == "'":
                return value
            value = value.replace('\\n', '\n').replace('\\r', '\r')
            value = re.sub(r'\\([^$])', r'\1', value)
        return self._substitute(value)

    @staticmethod
    def _substitute(value):
        out = []
        for match in _RB_VARIABLE.finditer(value):
            if match.group(3) and not match.group(1):
                return Computed(value)                    # $VAR / ${VAR}: read from ENV
        value = _RB_VARIABLE.sub(lambda m: m.group(0)[1:] if m.group(1) else m.group(0), value)
        index = 0
        while index < len(value):
            start = value.find('$(', index)
            if start < 0:
                break
            end = _balanced_end(value, start + 1)
            if end is None:
                index = start + 2
                continue
            if start > 0 and value[start - 1] == '\\':
                out.append((start - 1, start))            # escaped command: the backslash goes
            else:
                return Computed(value)                    # $(command) is run
            index = end + 1
        for begin, stop in reversed(out):
            value = value[:begin] + value[stop:]
        return value

    def encode(self, value, option='value', app='this app'):
        return "'" + value + "'"


def _balanced_end(text, open_index):
    """Index of the ``)`` closing the ``(`` at ``open_index`` (at least one character inside), else None."""
    depth = 0
    for index in range(open_index, len(text)):
        if text[index] == '(':
            depth += 1
        elif text[index] == ')':
            depth -= 1
            if depth == 0:
                return index if index > open_index + 1 else None
    return None


# --------------------------------------------------------------------------- Docker Compose (compose-go)

_GO_SPACE = u'\t\v\f\r \x85\xa0'   # compose-go isSpace()
_GO_IS_SPACE = (u'\t\n\v\f\r \x85\xa0\u1680' + u''.join(chr(code) for code in range(0x2000, 0x200b))
                + u'\u2028\u2029\u202f\u205f\u3000')   # Go unicode.IsSpace()
_COMPOSE_KEY = re.compile(r'[A-Za-z0-9_.\-\[\]]+')
_COMPOSE_ESCAPES = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-7]{0,3})')
_GO_CHAR_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '"': '"',
                    '\\': '\\'}


def _compose_escape(match):
    text = match.group(0)
    if text == '\\$':
        return '$$'
    if text.startswith('\\0'):
        digits = text[2:]
        # Go's UnquoteChar needs exactly three octal digits up to 0377; when it refuses them compose-go keeps the
        # backslash and the digits but not the 0 (docker-compose config: "\\0" -> "\\", "\\0777" -> "\\777")
        if len(digits) != 3 or int(digits, 8) > 0xFF:
            return '\\' + digits
        return chr(int(digits, 8))
    return _GO_CHAR_ESCAPES.get(text[1], text)


def _compose_expand(value):
    """compose-go's template expansion: ``$$`` is ``$``; any other ``$`` is a substitution (or an error)."""
    if '$' not in value.replace('$$', ''):
        return value.replace('$$', '$')
    return Computed(value)


class DockerComposeCodec(DotenvCodec):
    """Docker Compose v2 ``env_file:`` (compose-go ``dotenv/parser.go``)."""

    name = 'docker-compose'

    def read_line(self, line):
        text = line.lstrip(_GO_IS_SPACE)
        if not text or text.startswith('#'):
            return None
        if text.startswith('export'):
            text = text[len('export'):].lstrip(_GO_SPACE)
        match = _COMPOSE_KEY.match(text)
        if not match:
            return None
        rest = text[match.end():].lstrip(_GO_SPACE)
        if not rest or rest[0] not in '=:':
            return None
        rest = rest[1:].lstrip(_GO_SPACE)
        if not rest or rest[0] not in '\'"':
            return _compose_expand(rest.split(' #', 1)[0].rstrip(_GO_IS_SPACE))
        quote = rest[0]
        chars = []
        escaped = False
        for index in range(1, len(rest)):
            char = rest[index]
            if char != quote:
                if not escaped and char == '\\':
                    escaped = True
                    continue
                if escaped:
                    escaped = False
                    chars.append('\\')
                chars.append(char)
                continue
            if escaped:
                escaped = False
                chars.append(char)
                continue
            after = rest[index + 1:].lstrip(_GO_IS_SPACE)
            if after and not after.startswith('#'):
                return Computed(line)                     # another statement follows on the line
            value = ''.join(chars)
            if quote == '"':
                return _compose_expand(_COMPOSE_ESCAPES.sub(_compose_escape, value))
            return value
        return Computed(line)                             # the quote continues on the next lines

    def encode(self, value, option='value', app='this app'):
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"').replace('$', '\\$') + '"'


# --------------------------------------------------------------------------- systemd

_SD_WHITESPACE = ' \t\n\r'
_SD_CONTROL = re.compile(u'[\x00-\x1f\x7f]')


class SystemdCodec(DotenvCodec):
    """systemd's ``parse_env_file_internal`` (src/basic/env-file.c) state machine, one line."""

    name = 'systemd'
    keep_export = False

    def read_line(self, line):  # noqa: C901 -- a transcription of the state machine
        state, key, value, last_ws = 'pre_key', [], [], None
        for char in line + '\n':
            if state == 'pre_key':
                if char in '#;':
                    return None
                if char not in _SD_WHITESPACE:
                    state = 'key'
                    key.append(char)
            elif state == 'key':
                if char in '\n\r':
                    return None
                if char == '=':
                    state = 'pre_value'
                else:
                    key.append(char)
            elif state == 'pre_value':
                if char in '\n\r':
                    break
                if char == "'":
                    state = 'single'
                elif char == '"':
                    state = 'double'
                elif char == '\\':
                    state = 'value_escape'
                elif char not in _SD_WHITESPACE:
                    state = 'value'
                    value.append(char)
            elif state == 'value':
                if char in '\n\r':
                    if last_ws is not None:
                        del value[last_ws:]
                    break
                if char == '\\':
                    state = 'value_escape'
                    last_ws = None
                else:
                    if char not in _SD_WHITESPACE:
                        last_ws = None
                    elif last_ws is None:
                        last_ws = len(value)
                    value.append(char)
            elif state == 'value_escape':
                if char in '\n\r':
                    return Computed(line)                 # continued on the next line
                state = 'value'
                value.append(char)
            elif state == 'single':
                if char == "'":
                    state = 'pre_value'
                elif char == '\n':
                    return Computed(line)
                else:
                    value.append(char)
            elif state == 'double':
                if char == '"':
                    state = 'pre_value'
                elif char == '\\':
                    state = 'double_escape'
                elif char == '\n':
                    return Computed(line)
                else:
                    value.append(char)
            elif state == 'double_escape':
                state = 'double'
                if char in '"\\`$':
                    value.append(char)
                elif char == '\n':
                    return Computed(line)
                else:
                    value.extend(('\\', char))
        name = ''.join(key).rstrip(_SD_WHITESPACE)
        if not re.match(r'\A[A-Za-z_][A-Za-z0-9_]*\Z', name):
            return None
        result = ''.join(value)
        if '$' in result:
            return Computed(result)                       # environment.d expands it
        return result

    def encode(self, value, option='value', app='this app'):
        if '$' in value:
            self.why(option, app, 'systemd environment.d expands $ and EnvironmentFile= does not, so no '
                                  'spelling reads the same in both')
        if _SD_CONTROL.search(value):
            self.why(option, app, 'systemd environment files cannot carry control characters')
        if "'" not in value:
            return "'" + value + "'"
        return '"' + re.sub(r'(["\\`])', r'\\\1', value) + '"'


# --------------------------------------------------------------------------- POSIX shell

_SH_META = set('|&;()<>')
_SH_BLANK = ' \t'


class ShellCodec(DotenvCodec):
    """A POSIX shell (bash) sourcing ``KEY=value``: quotes, backslashes, expansions, the end of the word."""

    name = 'shell'

    def read_line(self, line):  # noqa: C901 -- a small shell word reader
        match = re.match(r'\A[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=', line)
        if not match:
            return None
        text = line[match.end():]
        out, index, computed = [], 0, False
        if text.startswith('('):
            return Computed(line)                         # an array assignment
        while index < len(text):
            char = text[index]
            if char in _SH_BLANK:
                rest = text[index:].lstrip(_SH_BLANK)
                if rest and not rest.startswith('#'):
                    return Computed(line)                 # KEY=value command: runs a command (or fails)
                break
            if char in _SH_META:
                return Computed(line)
            if char == '\\':
                if index + 1 >= len(text):
                    return Computed(line)                 # continued on the next line
                out.append(text[index + 1])
                index += 2
                continue
            if char == "'":
                end = text.find("'", index + 1)
                if end < 0:
                    return Computed(line)
                out.append(text[index + 1:end])
                index = end + 1
                continue
            if char == '"':
                index += 1
                while True:
                    if index >= len(text):
                        return Computed(line)
                    char = text[index]
                    if char == '"':
                        index += 1
                        break
                    if char == '\\' and index + 1 < len(text) and text[index + 1] in '$`"\\':
                        out.append(text[index + 1])
                        index += 2
                        continue
                    if char in '$`':
                        computed = True
                    out.append(char)
                    index += 1
                continue
            if char in '$`':
                computed = True
            elif char == '~' and (not out or out[-1] == ':'):
                computed = True                           # tilde expansion in an assignment
            out.append(char)
            index += 1
        value = ''.join(out)
        return Computed(value) if computed else value

    def encode(self, value, option='value', app='this app'):
        return "'" + value.replace("'", "'\\''") + "'"


CODECS = {
    'python-dotenv': PythonDotenvCodec(),
    'django-environ': DjangoEnvironCodec(),
    'ruby-dotenv': RubyDotenvCodec(),
    'docker-compose': DockerComposeCodec(),
    'systemd': SystemdCodec(),
    'shell': ShellCodec(),
}


class PortableCodec(DotenvCodec):
    """No ``dialect`` given: only text that python-dotenv, django-environ, Docker Compose and systemd read alike.

    A ``.env`` has many possible readers (a Django project may read it with python-dotenv in one place and
    django-environ in another, Docker Compose and systemd hand it to the process), so without a dialect the
    value is written in the first spelling of those four readers that all four read back as the value itself;
    when there is none, the value is refused naming the option and pointing at ``dialect``. Reading follows
    python-dotenv (the default reader before this codec; a file the four read alike reads the same anyway).
    """

    name = 'portable'
    readers = ('python-dotenv', 'django-environ', 'docker-compose', 'systemd')
    keep_export = False  # systemd ignores a line that starts with ``export``

    def read_line(self, line):
        return CODECS[DEFAULT_DIALECT].read_line(line)

    def encode(self, value, option='value', app='this app'):
        value = str(value)
        for name in self.readers:
            try:
                text = CODECS[name].encode(value, option, app)
            except SettingsError:
                continue
            line = 'KEY=%s' % text
            if all(CODECS[reader].decode(line) == value for reader in self.readers):
                return text
        self.refuse(option, app, 'python-dotenv, django-environ, Docker Compose and systemd read it differently in '
                    'a .env (quotes, backslashes, $ or # in it); set dialect to the reader the app uses (one of '
                    '%s), which writes it for that reader' % ', '.join(DIALECTS))


PORTABLE = PortableCodec()


def dialect_codec(dialect):
    """The codec of a dialect name (``DIALECTS``); without one, text every common reader reads alike."""
    return CODECS[dialect] if dialect else PORTABLE
