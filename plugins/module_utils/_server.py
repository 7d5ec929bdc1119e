# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Server syntax: ``server``, ``port`` and ``security`` (the ``server`` option: docs/modules/outgoing_server.md).

``parse_servers()`` turns the user's ``server`` value (``host``, ``host:port``, ``[v6]:port``, a bare
IPv6 literal, or ``scheme://host:port``; several separated by ``;``) into a list of ``ServerSpec``.
Schemes: ``smtp`` (no TLS), ``tls``/``starttls`` (STARTTLS, the coreBOS/PHPMailer meaning of ``tls://``),
``ssl``/``smtps`` (implicit TLS). ``ServerSpec.url()`` gives the canonical form, which parses back to
the same spec.
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError

SECURITY_MODES = ('none', 'starttls', 'tls')

SCHEME_SECURITY = {
    'smtp': 'none',
    'tls': 'starttls',
    'starttls': 'starttls',
    'ssl': 'tls',
    'smtps': 'tls',
}

CANONICAL_SCHEME = {'none': 'smtp', 'starttls': 'tls', 'tls': 'ssl'}

DEFAULT_PORTS = {'none': 25, 'starttls': 587, 'tls': 465}

_SCHEME_RE = re.compile(r'^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$', re.DOTALL)
_FORBIDDEN_RE = re.compile(r'[\x00-\x20\x7f]')
_ASCII_LABEL_RE = re.compile(r'^[A-Za-z0-9_](?:[A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?$')
_PORT_RE = re.compile(r'^[0-9]{1,5}$')


class ServerSpec(namedtuple('ServerSpec', ['host', 'ascii_host', 'port', 'security', 'is_ip'])):
    """One SMTP server.

    ``host`` is the display form (Unicode for IDNA names, no brackets), ``ascii_host`` what goes to
    DNS, SNI and the certificate check (the ``xn--`` form, or the IP literal).
    """

    __slots__ = ()

    def url_host(self, ascii_form=False):
        host = self.ascii_host if ascii_form else self.host
        if self.is_ip and ':' in host:
            return '[%s]' % host
        return host

    def url(self):
        """Canonical ``smtp://host:25``, ``tls://host:587`` or ``ssl://host:465`` form."""
        return '%s://%s:%d' % (CANONICAL_SCHEME[self.security], self.url_host(), self.port)

    def __str__(self):
        return self.url()


def _describe(value):
    return repr(value)


def _invalid(option, entry, why):
    return SettingsError(option, '%s: %s is not a valid SMTP server: %s' % (option, _describe(entry), why))


# One IDNA rule, the same on every host (no optional package changes it): IDNA 2008 with UTS 46 non-transitional
# mapping, built from the standard library. Labels are mapped as nameprep maps them (case, compatibility forms),
# except the deviation characters, which IDNA 2003 would turn into other letters (straße -> strasse, a different
# domain) and IDNA 2008 keeps; characters that are not letters, marks or digits (symbols, which IDNA 2008
# disallows) and those IDNA 2008 allows only in context (ZWJ, ZWNJ, middle dots, Arabic-Indic digits...) are
# refused, as are characters newer than Unicode 3.2 (which nameprep cannot map): the name must then be given in
# its ASCII (xn--) form, which every host reads alike.
_IDNA_DEVIATIONS = ('\u00df', '\u03c2')
_IDNA_CATEGORIES = ('Ll', 'Lu', 'Lt', 'Lo', 'Lm', 'Mn', 'Mc', 'Nd')
_IDNA_CONTEXTUAL = frozenset('\u00b7\u0375\u05f3\u05f4\u30fb\u200c\u200d' + ''.join(
    chr(code) for code in list(range(0x660, 0x66a)) + list(range(0x6f0, 0x6fa))))
_IDNA_DOTS = re.compile('[\u3002\uff0e\uff61]')


def _idna_label(label):
    """One non-ASCII label to its A-label."""
    import unicodedata
    from encodings.idna import nameprep
    for char in label:
        if ord(char) >= 0x80 and (char in _IDNA_CONTEXTUAL or unicodedata.category(char) not in _IDNA_CATEGORIES):
            raise ValueError('U+%04X is not allowed in an international domain name as this module reads them '
                             '(IDNA 2008); give the ASCII (xn--) form' % ord(char))
    runs = re.split('([%s])' % ''.join(_IDNA_DEVIATIONS), label)
    try:
        mapped = ''.join(run if run in _IDNA_DEVIATIONS else nameprep(run) for run in runs)
    except UnicodeError as exc:
        raise ValueError('not a valid international domain name (%s); give the ASCII (xn--) form' % exc) from None
    mapped = unicodedata.normalize('NFC', mapped)
    if all(ord(char) < 0x80 for char in mapped):
        return mapped
    return 'xn--' + mapped.encode('punycode').decode('ascii')


def _idna_encode(host):
    """Host name to its ASCII (``xn--``) form by the one IDNA rule above."""
    labels = _IDNA_DOTS.sub('.', host).split('.')
    return '.'.join(label.lower() if all(ord(char) < 0x80 for char in label) else _idna_label(label)
                    for label in labels)


def _idna_decode(ascii_host):
    """ASCII host name to its Unicode display form (unchanged when it has no ``xn--`` label)."""
    if 'xn--' not in ascii_host:
        return ascii_host
    labels = []
    for label in ascii_host.split('.'):
        if label.startswith('xn--'):
            try:
                label = label[4:].encode('ascii').decode('punycode')
            except UnicodeError as exc:
                raise ValueError('not a valid international domain name (%s)' % exc) from None
        labels.append(label)
    return '.'.join(labels)


def _check_ascii_name(name):
    trimmed = name[:-1] if name.endswith('.') else name
    if not trimmed:
        raise ValueError('empty host name')
    if len(trimmed) > 253:
        raise ValueError('host name longer than 253 characters')
    labels = trimmed.split('.')
    for label in labels:
        if not label:
            raise ValueError('empty label in host name')
        if not _ASCII_LABEL_RE.match(label):
            raise ValueError('invalid character or label %r in host name' % label)
    if labels[-1].isdigit():
        raise ValueError('neither a host name nor a valid IPv4 address')


def _normalize_host(raw_host, bracketed):
    """Return (display host, ascii host, is_ip) or raise ValueError."""
    if bracketed:
        try:
            addr = ipaddress.IPv6Address(raw_host)
        except ValueError:
            raise ValueError('[%s] is not an IPv6 address' % raw_host) from None
        text = str(addr)
        return text, text, True
    if not raw_host:
        raise ValueError('empty host')
    try:
        addr = ipaddress.ip_address(raw_host)
    except ValueError:
        addr = None
    if addr is not None:
        text = str(addr)
        return text, text, True
    if ':' in raw_host:
        raise ValueError('%s is not an IPv6 address' % raw_host)
    try:
        raw_host.encode('ascii')
        is_ascii = True
    except UnicodeError:
        is_ascii = False
    if is_ascii:
        lowered = raw_host.lower()
        _check_ascii_name(lowered)
        if 'xn--' in lowered:
            display = _idna_decode(lowered)
            # Re-encode to make sure the label was a valid A-label.
            if _idna_encode(display) != lowered.rstrip('.'):
                raise ValueError('%s is not a valid A-label form' % raw_host)
            ascii_host = lowered
        else:
            display = lowered
            ascii_host = lowered
        return display, ascii_host, False
    ascii_host = _idna_encode(raw_host)
    _check_ascii_name(ascii_host)
    return _idna_decode(ascii_host), ascii_host, False


def _parse_port(option, entry, text):
    if not _PORT_RE.match(text):
        raise _invalid(option, entry, 'the port %r is not a number' % text)
    value = int(text)
    if not 1 <= value <= 65535:
        raise _invalid(option, entry, 'the port %d is out of range 1-65535' % value)
    return value


def _check_port_option(port):
    if port is None:
        return None
    if isinstance(port, bool):
        raise SettingsError('port', 'port: %r is not a port number' % (port,))
    if isinstance(port, str):
        if not _PORT_RE.match(port.strip()):
            raise SettingsError('port', 'port: %r is not a port number' % (port,))
        port = int(port.strip())
    if not isinstance(port, int):
        raise SettingsError('port', 'port: %r is not a port number' % (port,))
    if not 1 <= port <= 65535:
        raise SettingsError('port', 'port: %d is out of range 1-65535' % port)
    return port


def parse_server(entry, port=None, security=None, option='server'):
    """Parse one server entry (no ``;``). ``port``/``security`` are the already-checked option values."""
    if _FORBIDDEN_RE.search(entry):
        raise _invalid(option, entry, 'it contains a space, control character, CR, LF or NUL')
    scheme_security = None
    rest = entry
    match = _SCHEME_RE.match(entry)
    if match:
        scheme = match.group(1).lower()
        if scheme not in SCHEME_SECURITY:
            raise _invalid(option, entry, 'unknown scheme %r (use smtp://, tls:// or starttls://, ssl:// or smtps://)'
                           % match.group(1))
        scheme_security = SCHEME_SECURITY[scheme]
        rest = match.group(2)
    elif '://' in entry:
        raise _invalid(option, entry, 'malformed scheme')
    if rest.endswith('/'):
        rest = rest[:-1]
    if not rest:
        raise _invalid(option, entry, 'the host is empty')
    for bad in '/?#@\\':
        if bad in rest:
            raise _invalid(option, entry, 'the character %r is not allowed in a server' % bad)

    embedded_port = None
    bracketed = False
    if rest.startswith('['):
        end = rest.find(']')
        if end < 0:
            raise _invalid(option, entry, 'missing "]" after the IPv6 address')
        raw_host = rest[1:end]
        tail = rest[end + 1:]
        bracketed = True
        if tail:
            if not tail.startswith(':'):
                raise _invalid(option, entry, 'unexpected text %r after "]"' % tail)
            embedded_port = _parse_port(option, entry, tail[1:])
    elif rest.count(':') >= 2:
        raw_host = rest  # bare IPv6 literal, no port
    elif ':' in rest:
        raw_host, port_text = rest.split(':', 1)
        embedded_port = _parse_port(option, entry, port_text)
    else:
        raw_host = rest
    if '[' in raw_host or ']' in raw_host:
        raise _invalid(option, entry, 'misplaced "[" or "]"')
    try:
        host, ascii_host, is_ip = _normalize_host(raw_host, bracketed)
    except ValueError as exc:
        raise _invalid(option, entry, str(exc)) from None

    if scheme_security is not None and security is not None and scheme_security != security:
        raise SettingsError('security', 'security: %s contradicts the scheme of %s %r (which means %s)'
                            % (security, option, entry, scheme_security))
    effective_port = port if port is not None else embedded_port
    if scheme_security is not None:
        sec = scheme_security
    elif security is not None:
        sec = security
    elif effective_port == 465:
        sec = 'tls'
    else:
        sec = 'starttls'
    if effective_port is None:
        effective_port = DEFAULT_PORTS[sec]
    return ServerSpec(host=host, ascii_host=ascii_host, port=effective_port, security=sec, is_ip=is_ip)


def parse_servers(server, port=None, security=None, option='server'):
    """Parse ``server`` (one entry or several separated by ``;``) into a list of ``ServerSpec``.

    Raises ``SettingsError`` naming ``option`` (or ``port``/``security``) for anything invalid.
    """
    if security is not None:
        if security not in SECURITY_MODES:
            raise SettingsError('security', 'security: %r is not one of none, starttls, tls' % (security,))
    port = _check_port_option(port)
    if server is None or not isinstance(server, str):
        raise SettingsError(option, '%s: a server name is required' % option)
    if '\x00' in server or '\r' in server or '\n' in server:
        raise SettingsError(option, '%s: %r contains CR, LF or NUL' % (option, server))
    entries = [part.strip() for part in server.split(';')]
    if any(not part for part in entries[:-1]) or not any(entries):
        raise SettingsError(option, '%s: %r has an empty server entry' % (option, server))
    entries = [part for part in entries if part]
    return [parse_server(entry, port=port, security=security, option=option) for entry in entries]
