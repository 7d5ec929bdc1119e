# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Value helpers shared by the app profiles: booleans, ports, ``host:port`` and ``"Name" <addr>``."""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError

_TRUE = ('true', 'yes', 'on', '1')


def text_bool(value, default=None):
    """A stored boolean (bool, int or string) as a Python bool; ``default`` when unset."""
    if value is None or value == '':
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in _TRUE


def php_truthy(value):
    """PHP's truthiness (the string 'false' is true, '0' and '' are false)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value not in ('', '0')
    return bool(value)


def is_ascii(text):
    try:
        text.encode('ascii')
    except UnicodeError:
        return False
    return True


def to_port(value):
    if value is None or value == '':
        return None
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def split_host_port(text):
    """``host:port`` / ``[v6]:port`` / ``host`` -> (host, port or None)."""
    if not text:
        return None, None
    text = str(text).strip()
    if text.startswith('['):
        end = text.find(']')
        if end > 0:
            host = text[1:end]
            rest = text[end + 1:]
            return host, to_port(rest[1:]) if rest.startswith(':') else None
    if text.count(':') == 1:
        host, port = text.split(':', 1)
        return host, to_port(port)
    return text, None


def join_host_port(host, port):
    if ':' in host:
        return '[%s]:%d' % (host, port)
    return '%s:%d' % (host, port)


_PLAIN_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

# An RFC 2047 encoded word as mail programs find one: ``=?charset?b?text?=`` or ``=?charset?q?text?=``. They are
# lenient: Python's ``email`` (``policy.default``) and Perl's ``Encode::MIME::Header`` decode one inside a quoted
# string too, the older readers (Python's ``decode_header``, Perl) even in the middle of a word, and blanks
# inside the text do not stop them.
_ENCODED_WORD_RE = re.compile(r'=\?[^?]*\?[bBqQ]\?.*?\?=', re.DOTALL)

_ENCODED_WORD_WHY = ('%s looks like an RFC 2047 encoded word (=?charset?q?text?= or =?charset?b?text?=), which '
                     'mail programs decode even inside quotes, so recipients would see other text than the name%s')


def looks_encoded(name):
    """True when mail programs would decode part of ``name`` as an RFC 2047 encoded word."""
    return bool(name) and _ENCODED_WORD_RE.search(name) is not None


def check_sender_name(name, app, given=True):
    """Refuse (SettingsError naming ``from_name``) a sender name that recipients would not see as written.

    Every app puts the name into the From header as text (at best a quoted string: Go's ``mail.Address.String``,
    the profiles' ``"Name" <addr>``), never as an encoded word of its own, so a name that looks like one is
    decoded by the recipient's mail program. ``given`` False: the name is the one already stored, kept because
    only ``from_email`` was given.
    """
    if not looks_encoded(name):
        return
    if given:
        why = _ENCODED_WORD_WHY % ('the sender name', ' given')
    else:
        why = _ENCODED_WORD_WHY % ('the sender name already stored (kept because from_name is not given)',
                                   '; give from_name')
    raise SettingsError('from_name', 'from_name: cannot be stored in %s because %s' % (app, why))


def format_from(name, address):
    """RFC 5322 ``"Name" <addr>`` (or just ``addr``).

    A name is left unquoted only when it is plain atext words without ``=?``: a bare ``=?utf-8?q?x?=`` is an
    encoded word that Go's ``net/mail`` and every mail program decode (inside quotes Go does not; see
    ``check_sender_name`` for the readers that still do).
    """
    if not name:
        return address
    if _PLAIN_NAME_RE.match(name) and '=?' not in name:
        return '%s <%s>' % (name, address)
    return '"%s" <%s>' % (name.replace('\\', '\\\\').replace('"', '\\"'), address)


_FROM_RE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^<>]+)>\s*$')


def parse_from(text):
    """``"Name" <addr>``, ``Name <addr>`` or ``addr`` -> (name or None, address or None)."""
    if not text:
        return None, None
    match = _FROM_RE.match(text)
    if not match:
        return None, text.strip() or None
    if match.group(1) is not None:
        name = re.sub(r'\\(.)', r'\1', match.group(1))
    else:
        name = match.group(2).strip()
    return name or None, match.group(3).strip()


_GO_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True', 'YES', 'yes', 'Yes', 'y', 'ON', 'on', 'On')
_GO_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False', 'NO', 'no', 'No', 'n', 'OFF', 'off', 'Off')


def go_bool(value, default=False):
    """go-ini ``Key.MustBool(default)`` / ``MapTo`` bool: its fixed spellings, anything else is ``default``."""
    if isinstance(value, bool):
        return value
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return default
