# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Value helpers shared by the app profiles: booleans, ports, ``host:port`` and ``"Name" <addr>``."""

from __future__ import annotations

__metaclass__ = type

import re

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


def format_from(name, address):
    """RFC 5322 ``"Name" <addr>`` (or just ``addr``)."""
    if not name:
        return address
    if _PLAIN_NAME_RE.match(name):
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
