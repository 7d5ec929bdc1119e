# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Go's ``net/mail.ParseAddress`` for ``"Name" <addr>`` settings (Gitea's ``[mailer] FROM``).

``format_address`` writes the name as one RFC 5322 quoted-string, which Go reads back exactly (no RFC 2047
decoding, no folding of blanks) for any name made of printable characters, spaces and tabs.
``parse_address`` is a model of ``ParseAddress`` (Go 1.19 ``addrParser.parseSingleAddress``) for reading what
the app reads from a hand-written value: an addr-spec with an optional ``(comment)`` name, or a phrase (atoms,
RFC 2047 encoded-words in utf-8/iso-8859-1/us-ascii, quoted-strings) and ``<addr-spec>``. It returns None where
Go fails (Gitea then refuses to start).
"""

from __future__ import annotations

import base64
import binascii
import re


def _vchar(char):
    return '!' <= char <= '~' or ord(char) >= 0x80


def name_problem(name):
    """Why ``name`` cannot be a Go quoted-string (None when it can)."""
    for char in name:
        if not (_vchar(char) or char in ' \t'):
            return 'Go\'s net/mail accepts only printable characters, spaces and tabs in a sender name'
        if 0xD800 <= ord(char) <= 0xDFFF:
            return 'the sender name is not valid Unicode text'
    return None


def format_address(name, address):
    """``"Name" <address>`` (name always quoted: Go decodes RFC 2047 words only outside quotes), or ``address``."""
    if not name:
        return address
    return '"%s" <%s>' % (name.replace('\\', '\\\\').replace('"', '\\"'), address)


class _Fail(Exception):
    pass


def _atext(char, dot, permissive):
    if char == '.':
        return dot
    if char in '()[];@\\,':
        return permissive
    if char in '<>":':
        return False
    return _vchar(char)


class _Parser:
    def __init__(self, text):
        self.s = text

    def skip_space(self):
        self.s = self.s.lstrip(' \t')

    def consume(self, char):
        if self.s.startswith(char):
            self.s = self.s[1:]
            return True
        return False

    def atom(self, dot, permissive):
        index = 0
        while index < len(self.s) and _atext(self.s[index], dot, permissive):
            index += 1
        if index == 0:
            raise _Fail()
        atom, self.s = self.s[:index], self.s[index:]
        if not permissive and (atom.startswith('.') or '..' in atom or atom.endswith('.')):
            raise _Fail()
        return atom

    def quoted(self):
        out = []
        index = 1
        escaped = False
        while True:
            if index >= len(self.s):
                raise _Fail()
            char = self.s[index]
            if escaped:
                if not (_vchar(char) or char in ' \t'):
                    raise _Fail()
                out.append(char)
                escaped = False
            elif char == '"':
                break
            elif char == '\\':
                escaped = True
            elif _vchar(char) or char in ' \t':
                out.append(char)
            else:
                raise _Fail()
            index += 1
        self.s = self.s[index + 1:]
        return ''.join(out)

    def addr_spec(self):
        saved = self.s
        try:
            self.skip_space()
            if not self.s:
                raise _Fail()
            if self.s.startswith('"'):
                local = self.quoted()
                if not local:
                    raise _Fail()
            else:
                local = self.atom(True, False)
            if not self.consume('@'):
                raise _Fail()
            self.skip_space()
            if not self.s:
                raise _Fail()
            return local + '@' + self.atom(True, False)
        except _Fail:
            self.s = saved
            raise

    def comment(self):
        depth = 1
        out = []
        while self.s and depth:
            if self.s[0] == '\\' and len(self.s) > 1:
                self.s = self.s[1:]
            elif self.s[0] == '(':
                depth += 1
            elif self.s[0] == ')':
                depth -= 1
            if depth > 0:
                out.append(self.s[0])
            self.s = self.s[1:]
        if depth:
            raise _Fail()
        return ''.join(out)

    def skip_cfws(self):
        self.skip_space()
        while self.consume('('):
            self.comment()
            self.skip_space()

    def phrase(self):
        words = []
        previous_encoded = False
        while True:
            self.skip_space()
            if not self.s:
                break
            encoded = False
            try:
                if self.s.startswith('"'):
                    word = self.quoted()
                else:
                    word = self.atom(True, True)
                    word, encoded = decode_word(word)
            except _Fail:
                if not words:
                    raise
                break
            if previous_encoded and encoded:
                words[-1] += word
            else:
                words.append(word)
            previous_encoded = encoded
        return ' '.join(words)


_CHARSETS = {'utf-8': 'utf-8', 'iso-8859-1': 'latin-1', 'us-ascii': 'ascii'}


def decode_word(word):
    """Go's ``mime.WordDecoder.Decode`` as net/mail uses it: (text, True), or (word, False) when not encoded."""
    if len(word) < 8 or not word.startswith('=?') or not word.endswith('?=') or word.count('?') != 4:
        return word, False
    charset, encoding, text = word[2:-2].split('?')
    if len(encoding) != 1 or encoding not in 'bBqQ':
        return word, False
    try:
        if encoding in 'bB':
            data = base64.b64decode(text.encode('ascii'), validate=True)
        else:
            data = _q_decode(text)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return word, False
    codec = _CHARSETS.get(charset.lower())
    if codec is None:
        raise _Fail()  # net/mail: a charset it does not know fails the phrase
    return data.decode(codec, 'replace'), True


def _q_decode(text):
    out = bytearray()
    index = 0
    raw = text.encode('utf-8')
    while index < len(raw):
        byte = raw[index]
        if byte == ord('_'):
            out.append(0x20)
        elif byte == ord('='):
            if index + 2 >= len(raw):
                raise ValueError('short escape')
            pair = raw[index + 1:index + 3].decode('ascii')
            if not re.match(r'^[0-9A-Fa-f]{2}$', pair):
                raise ValueError('bad escape')
            out.append(int(pair, 16))
            index += 2
        elif 0x20 <= byte <= 0x7e or byte in (0x0a, 0x0d, 0x09):
            out.append(byte)
        else:
            raise ValueError('bad byte')
        index += 1
    return bytes(out)


def parse_address(text):
    """(name, address) as Go's ``mail.ParseAddress`` returns them, or None when Go refuses ``text``."""
    parser = _Parser(text)
    try:
        parser.skip_space()
        if not parser.s:
            return None
        try:
            spec = parser.addr_spec()
        except _Fail:
            spec = None
        if spec is not None:
            name = ''
            parser.skip_space()
            if parser.s.startswith('('):
                parser.consume('(')
                words = re.split(r'[ \t]+', parser.comment().strip(' \t'))
                name = ' '.join(decode_word(word)[0] for word in words if word)
        else:
            name = '' if parser.s.startswith('<') else parser.phrase()
            parser.skip_space()
            if parser.consume(':') or not parser.consume('<'):
                return None
            spec = parser.addr_spec()
            if not parser.consume('>'):
                return None
        parser.skip_cfws()
        if parser.s:
            return None
        return name, spec
    except _Fail:
        return None
