# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical editor for msmtp configuration files (``/etc/msmtprc``, ``~/.msmtprc``).

Text in, text out; no file I/O. ``path`` is ``(account, command)``. The format, as msmtp 1.8 reads it
(``read_conffile()`` in msmtp's ``conf.c``; the tests check it with the real ``msmtp --pretend`` and by sending
through a real server with the written password):

- one command per line: the first word is the command, the rest (blanks trimmed) its argument; an argument
  whose first and last characters are both ``"`` loses exactly those two quotes -- there are no escapes, so
  ``"a"b"`` is ``a"b``; blank lines and lines whose first non-blank character is ``#`` are comments (a ``#``
  later in a line is part of the argument); ``CRLF`` is accepted; a line has at most 499 characters;
- ``defaults`` starts a block of defaults for the accounts that FOLLOW it; ``account NAME`` starts an account
  that starts from the current defaults; ``account NAME : A, B`` then takes every setting that A and B set
  (their own or inherited); commands before the first ``account``/``defaults`` form the account ``default``;
- an account name cannot hold ``:`` or ``,``; an account is defined once per file.

``get`` returns the account's own setting (last line wins), ``effective`` what msmtp uses after defaults and
inheritance. ``set`` writes ``command value`` (quoted when the value is empty, has edge blanks or is
itself in double quotes) over every line of that command in the account, else after the account's last
command; an account that does not exist is appended as a new ``account NAME`` block. ``delete`` removes the
command's lines from the account. Untouched lines keep their bytes.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import Line, parse_lines

MAX_LINE = 499  # msmtp reads lines into a 501-byte buffer: 499 characters, the newline and the NUL
_BLANKS = " \t"
_COMMAND = re.compile(r"^([ \t]*)([^ \t]+)([ \t]*)(.*)$")
_IMPLICIT = "default"


def decode_argument(raw):
    """msmtp's ``trim_string()``: blanks trimmed, then one pair of enclosing double quotes removed."""
    text = raw.strip(_BLANKS)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def encode_argument(value):
    """The argument text msmtp reads back as exactly ``value``."""
    if not isinstance(value, str):
        raise StoreError("msmtp arguments are text")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise StoreError("msmtp arguments cannot contain line breaks or NUL characters")
    if (not value or value != value.strip(_BLANKS)
            or (len(value) >= 2 and value[0] == '"' and value[-1] == '"')):
        return '"' + value + '"'
    return value


def _kind(text):
    stripped = text.strip(_BLANKS)
    if not stripped or stripped.startswith("#"):
        return "comment"
    return "command"


class _Block:
    """``defaults`` or one account: its header line (None for the implicit account) and its command lines."""

    def __init__(self, kind, name, parents, header):
        self.kind = kind            # 'defaults' or 'account'
        self.name = name
        self.parents = parents
        self.header = header        # line index, or None
        self.commands = []          # [(line index, command, argument)]


def split_account_argument(argument):
    """``NAME`` or ``NAME : A, B`` -> (name, [parents])."""
    if ":" in argument:
        name, parents = argument.split(":", 1)
        return decode_argument(name), [decode_argument(parent) for parent in parents.split(",")]
    return argument, []


class MsmtprcStore(Store):
    """A parsed msmtp configuration file."""

    def __init__(self, lines, newline):
        self._lines = lines
        self._newline = newline

    @classmethod
    def parse(cls, text, **options):
        store = cls(*parse_lines(text, "msmtprc"))
        for lineno, line in enumerate(store._lines, 1):
            if len(line.text) + (1 if line.eol == "\r\n" else 0) > MAX_LINE:
                raise StoreError("line %d is longer than msmtp's %d characters" % (lineno, MAX_LINE))
        store._blocks()
        return store

    # -- structure
    def _blocks(self):
        blocks = []
        current = None
        seen = set()
        for index, line in enumerate(self._lines):
            if _kind(line.text) != "command":
                continue
            match = _COMMAND.match(line.text)
            command, argument = match.group(2), decode_argument(match.group(4))
            if command == "defaults":
                current = _Block("defaults", None, [], index)
                blocks.append(current)
                continue
            if command == "account":
                name, parents = split_account_argument(argument)
                if not name or "," in name:
                    raise StoreError("line %d: an account name is missing or holds a comma" % (index + 1))
                if name in seen:
                    raise StoreError("line %d: account %s is defined twice" % (index + 1, name))
                for parent in parents:
                    if parent not in seen:
                        raise StoreError("line %d: account %s inherits from an undefined account"
                                         % (index + 1, name))
                seen.add(name)
                current = _Block("account", name, parents, index)
                blocks.append(current)
                continue
            if command == "eval":
                raise StoreError("line %d: an eval command sets values only known when msmtp runs" % (index + 1))
            if current is None:
                current = _Block("account", _IMPLICIT, [], None)
                seen.add(_IMPLICIT)
                blocks.append(current)
            current.commands.append((index, command, argument))
        return blocks

    def accounts(self):
        return [block.name for block in self._blocks() if block.kind == "account"]

    def parents(self, account):
        """The accounts ``account`` inherits from (``account NAME : A, B``), [] when none or not defined."""
        block = self._account(self._blocks(), account)
        return list(block.parents) if block is not None else []

    def _account(self, blocks, name):
        for block in blocks:
            if block.kind == "account" and block.name == name:
                return block
        return None

    @staticmethod
    def _path(path):
        if (not isinstance(path, (tuple, list)) or len(path) != 2
                or not all(isinstance(part, str) and part for part in path)):
            raise StoreError("msmtprc paths are (account, command)")
        account, command = path
        if any(char in account for char in ":,\r\n\x00") or account != account.strip(_BLANKS):
            raise StoreError("an msmtp account name cannot hold ':' or ',' or edge blanks")
        if not re.match(r"^[a-z_]+$", command):
            raise StoreError("invalid msmtp command name")
        return account, command

    # -- reading
    def get(self, path):
        account, command = self._path(path)
        block = self._account(self._blocks(), account)
        if block is None:
            return None
        value = None
        for _index, name, argument in block.commands:
            if name == command:
                value = argument
        return value

    def effective(self, account):
        """The settings msmtp uses for ``account`` ({command: argument}), or None when it is not defined."""
        defaults = {}
        own = {}      # account -> what it sets itself or inherits from its parents (msmtp's mask)
        result = None
        for block in self._blocks():
            values = dict((name, argument) for _index, name, argument in block.commands)
            if block.kind == "defaults":
                defaults.update(values)
                continue
            masked = {}
            for parent in block.parents:
                masked.update(own.get(parent, {}))
            masked.update(values)
            own[block.name] = masked
            if block.name == account:
                result = dict(defaults)
                result.update(masked)
        return result

    # -- writing
    def _format(self, command, value, template=None):
        encoded = encode_argument(value)
        if template is not None:
            match = _COMMAND.match(template)
            text = match.group(1) + command + (match.group(3) or " ") + encoded
        else:
            text = command + " " + encoded
        if len(text) + (1 if self._newline == "\r\n" else 0) > MAX_LINE:
            raise StoreError("the %s line would be longer than msmtp's %d characters" % (command, MAX_LINE))
        return text

    def set(self, path, value):
        account, command = self._path(path)
        blocks = self._blocks()
        block = self._account(blocks, account)
        if block is None:
            self._append_account(account, [(command, value)])
            return
        hits = [index for index, name, _argument in block.commands if name == command]
        if hits:
            for index in hits:
                if decode_argument(_COMMAND.match(self._lines[index].text).group(4)) != value:
                    self._lines[index].text = self._format(command, value, self._lines[index].text)
            return
        anchor = block.commands[-1][0] if block.commands else block.header
        indent = ""
        if block.commands:
            indent = _COMMAND.match(self._lines[anchor].text).group(1)
        line = Line(indent + self._format(command, value), self._newline)
        if not self._lines[anchor].eol:
            self._lines[anchor].eol = self._newline
        self._lines.insert(anchor + 1, line)

    def _append_account(self, account, commands):
        if self._lines and not self._lines[-1].eol:
            self._lines[-1].eol = self._newline
        if self._lines and self._lines[-1].text.strip(_BLANKS):
            self._lines.append(Line("", self._newline))
        self._lines.append(Line(self._format("account", account), self._newline))
        for command, value in commands:
            self._lines.append(Line(self._format(command, value), self._newline))

    def delete(self, path):
        account, command = self._path(path)
        block = self._account(self._blocks(), account)
        if block is None:
            return
        for index in sorted((index for index, name, _arg in block.commands if name == command), reverse=True):
            del self._lines[index]

    def delete_account(self, account):
        """Remove an account block (its header and command lines; comments stay)."""
        block = self._account(self._blocks(), account)
        if block is None:
            return
        doomed = [index for index, _name, _argument in block.commands]
        if block.header is not None:
            doomed.append(block.header)
        for index in sorted(doomed, reverse=True):
            del self._lines[index]

    def render(self):
        return "".join(line.text + line.eol for line in self._lines)
