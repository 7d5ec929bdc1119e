# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SMTP test (option ``test``, see docs/modules/smtp_probe.md), shared by every module: ``probe_smtp()``.

A small line-level SMTP client, written for this job rather than built on smtplib, because the test
needs things smtplib does not give: a deadline for the whole dialogue that a server dripping one byte a
second cannot stretch, one AUTH attempt with one chosen mechanism, SNI and certificate checks against
the configured name (``xn--`` form for IDNA names), a stage name for every failure, closing the
connection after the 354 reply to DATA, and a transcript redacted by protocol state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import tempfile
import threading
import time

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import (
    BadReply,
    ConnectionClosed,
    DeadlineExceeded,
    Failure,
    diagnose,
    exception_kind,
    find_row,
    late_sender_check,
)
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._printable import escape_controls
from ansible_collections.mailops.smtp.plugins.module_utils._server import ServerSpec, _idna_encode, parse_servers
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import scrub_data, secret_forms
from ansible_collections.mailops.smtp.plugins.module_utils._settings import (
    MULTILINE_OPTIONS,
    TEST_LEVELS,
    TRANSCRIPT_MODES,
    TestOptions,
    check_address,
    check_control_characters,
    check_durations,
    is_address,
)
from ansible_collections.mailops.smtp.plugins.module_utils._transcript import Transcript

CERT_WARNING_DAYS = 14
MAX_LINE = 4096
MAX_REPLY_LINES = 200

# Mechanisms we can use, in order of preference. Over TLS the simple ones are fine; in plaintext
# (security=none, with a warning) CRAM-MD5 at least does not send the password itself.
MECHANISMS_TLS = ('PLAIN', 'LOGIN', 'CRAM-MD5')
MECHANISMS_PLAINTEXT = ('CRAM-MD5', 'PLAIN', 'LOGIN')
# OAuth 2.0: XOAUTH2 first (what Microsoft 365 and Gmail document), then the standard OAUTHBEARER (RFC 7628).
MECHANISMS_OAUTH = ('XOAUTH2', 'OAUTHBEARER')

_REPLY_RE = re.compile(r'^([0-9]{3})([ -]|$)(.*)$')
_ENHANCED_RE = re.compile(r'^([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:\s+|$)')
_FORBIDDEN_RE = re.compile(r'[\r\n\x00]')
_EHLO_NAME_RE = re.compile(r'^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?)$')


class Clock:
    """The deadline of the whole test."""

    def __init__(self, deadline):
        self.start = time.monotonic()
        self.end = self.start + deadline

    def remaining(self):
        return self.end - time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.start

    def budget(self, timeout):
        """Seconds the next network operation may take; raises ``DeadlineExceeded`` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded('deadline exceeded')
        return max(0.001, min(timeout, left))


class StageFailed(Exception):
    def __init__(self, failure):
        super().__init__(failure.stage)
        self.failure = failure


def _bounded_call(func, args, limit):
    """Run ``func(*args)`` in a daemon thread; return (finished, result, exception) after at most ``limit``."""
    box = {}

    def runner():
        try:
            box['result'] = func(*args)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller
            box['exc'] = exc

    thread = threading.Thread(target=runner, name='mailops-smtp-resolve')
    thread.daemon = True
    thread.start()
    thread.join(max(0.0, limit))
    if thread.is_alive():
        return False, None, None
    return True, box.get('result'), box.get('exc')


def parse_reply(lines):
    """(code, enhanced, text) from the lines of one reply; the enhanced code is removed from the text."""
    code = int(lines[0][:3])
    enhanced = None
    texts = []
    for index, line in enumerate(lines):
        text = line[4:].strip()
        match = _ENHANCED_RE.match(text)
        if match and match.group(1)[0] == str(code)[0]:
            if index == 0:
                enhanced = match.group(1)
            if match.group(1) == enhanced:
                text = text[match.end():]
        texts.append(text)
    return code, enhanced, ' '.join(t for t in texts if t)


def _format_name(parts):
    items = []
    for rdn in parts or ():
        for key, value in rdn:
            items.append('%s=%s' % (key, value))
    return ', '.join(items)


def _decode_der(der):
    """Decode a DER certificate with the standard library (the decoder behind ``getpeercert()``)."""
    decoder = getattr(getattr(ssl, '_ssl', None), '_test_decode_cert', None)
    if decoder is None or not der:
        return None
    fd, path = tempfile.mkstemp(suffix='.pem')
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(ssl.DER_cert_to_PEM_cert(der))
        return decoder(path)
    except (ssl.SSLError, OSError, ValueError):
        return None
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def certificate_evidence(tls_sock):
    """Subject, issuer, SANs, expiry and days left of the server certificate (or None)."""
    cert = None
    try:
        cert = tls_sock.getpeercert()
        if not cert:
            cert = _decode_der(tls_sock.getpeercert(binary_form=True))
    except (ValueError, ssl.SSLError):
        cert = None
    if not cert:
        return None
    info = dict(
        subject=_format_name(cert.get('subject')),
        issuer=_format_name(cert.get('issuer')),
        subject_alt_names=['%s:%s' % (kind, value) for kind, value in cert.get('subjectAltName', ())],
        not_before=None,
        not_after=None,
        days_left=None,
    )
    for key, field in (('not_before', 'notBefore'), ('not_after', 'notAfter')):
        if cert.get(field):
            try:
                stamp = ssl.cert_time_to_seconds(cert[field])
            except ValueError:
                continue
            info[key] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(stamp))
            if key == 'not_after':
                info['days_left'] = int((stamp - time.time()) // 86400)
    return info


def make_ssl_context(validate_certs, ca_path, ca_alone=False):
    """TLS 1.2+; with ``validate_certs`` the system trust store (plus ``ca_path``) and a host name check.

    ``ca_alone``: trust ``ca_path`` only, as an app whose CA file replaces the system store does (msmtp, Postfix).
    """
    if validate_certs:
        try:
            if ca_path and ca_alone:
                context = ssl.create_default_context(cafile=ca_path)
            else:
                # The system trust store, plus the private CA (create_default_context(cafile=...) drops the former).
                context = ssl.create_default_context()
                if ca_path:
                    context.load_verify_locations(cafile=ca_path)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise SettingsError('ca_path', 'ca_path: cannot load CA certificates from %s: %s' % (ca_path, exc)) \
                from None
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class Session:
    """One SMTP dialogue with one server, stage by stage. Every failure raises ``StageFailed``."""

    def __init__(self, spec, clock, timeout, context, ehlo_name, transcript, facts=None):
        self.spec = spec
        self.clock = clock
        self.timeout = timeout
        self.context = context
        self.ehlo_name = ehlo_name
        self.transcript = transcript
        self.sock = None
        self.buf = b''
        self.stage = 'resolve'
        self.condition = None
        self.sender = None  # the envelope sender of the transaction under way (MAIL to the end of DATA)
        self.stage_start = clock.elapsed()
        self.extensions = {}
        self.evidence = dict(
            server=spec.url(), host=spec.host, port=spec.port, security=spec.security, address=None,
            ehlo_name=ehlo_name, banner=None, extensions=[], starttls_offered=None, auth_mechanisms=[],
            auth_mechanism=None, tls=None, stages=[],
        )
        self.facts = dict(security=spec.security, port=spec.port, authenticated=False, starttls_offered=None)
        self.oauth_mechanism = None
        self.mechanisms = None  # the app's AUTH mechanisms in its order (run_session sets them), else ours
        self.mechanism_order = 'app'  # or 'server': the first of self.mechanisms in the server's AUTH list
        self.offered_order = []
        if facts:
            self.facts.update(facts)

    # -- bookkeeping ---------------------------------------------------------------------------
    def begin(self, stage, condition=None):
        self.stage = stage
        self.condition = condition
        self.stage_start = self.clock.elapsed()

    def done(self, reply=None):
        entry = dict(stage=self.stage, seconds=round(self.clock.elapsed() - self.stage_start, 3))
        if reply is not None:
            entry['reply'] = ' '.join(str(p) for p in reply[:3] if p)
        self.evidence['stages'].append(entry)

    def fail(self, exc=None, reply=None, condition=None):
        if exc is not None and self.clock.remaining() <= 0 and exception_kind(exc) in (
                'timeout', 'closed', 'ssl', 'os'):
            exc = DeadlineExceeded('deadline exceeded')
        code = enhanced = text = None
        if reply is not None:
            code, enhanced, text = reply[:3]
        failure = Failure(self.stage, exc=exc, code=code, enhanced=enhanced, text=text,
                          condition=condition or self.condition, facts=self.facts)
        if self.stage in ('mail', 'rcpt', 'data', 'message'):
            failure.sender = self.sender
        self.transcript.error('%s failed: %s' % (self.stage, failure.describe()))
        entry = dict(stage=self.stage, seconds=round(self.clock.elapsed() - self.stage_start, 3), failed=True)
        if reply is not None:
            entry['reply'] = ' '.join(str(p) for p in reply[:3] if p)
        self.evidence['stages'].append(entry)
        self.close()
        raise StageFailed(failure)

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    # -- network primitives --------------------------------------------------------------------
    def _recv(self):
        self.sock.settimeout(self.clock.budget(self.timeout))
        data = self.sock.recv(4096)
        if not data:
            raise ConnectionClosed('the server closed the connection')
        return data

    def read_line(self):
        while b'\n' not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise BadReply('reply line longer than %d bytes' % MAX_LINE)
            self.buf += self._recv()
        line, self.buf = self.buf.split(b'\n', 1)
        # every control character of a reply becomes a visible escape here, once, so no result field, message,
        # transcript or report built from it can reset or rewrite the terminal that shows it
        return escape_controls(line.rstrip(b'\r').decode('utf-8', 'replace'))

    def read_reply(self):
        """Read one (possibly multi-line) reply: (code, enhanced, text, lines)."""
        lines = []
        while True:
            line = self.read_line()
            self.transcript.server(line)
            match = _REPLY_RE.match(line)
            if not match or (lines and match.group(1) != lines[0][:3]):
                raise BadReply('not an SMTP reply: %r' % line[:80])
            lines.append(line)
            if match.group(2) != '-':
                break
            if len(lines) > MAX_REPLY_LINES:
                raise BadReply('reply longer than %d lines' % MAX_REPLY_LINES)
        code, enhanced, text = parse_reply(lines)
        return code, enhanced, text, lines

    def send_line(self, line, record=None):
        if record is None:
            self.transcript.client(line)
        self.sock.settimeout(self.clock.budget(self.timeout))
        self.sock.sendall(line.encode('utf-8') + b'\r\n')

    def command(self, line):
        self.send_line(line)
        return self.read_reply()

    def _resolve(self):
        self.begin('resolve', condition='resolve')
        spec = self.spec
        limit = self.clock.budget(self.timeout)
        finished, result, exc = _bounded_call(socket.getaddrinfo, (spec.ascii_host, spec.port, 0,
                                                                   socket.SOCK_STREAM), limit)
        if not finished:
            self.fail(exc=DeadlineExceeded('name resolution did not finish in time'), condition='resolve_timeout')
        if exc is not None:
            self.fail(exc=exc)
        self.done()
        return result

    def _tls_handshake(self, raw):
        """Wrap ``raw`` in TLS, verify the certificate against the configured name, bounded by the deadline."""
        raw.settimeout(self.clock.budget(self.timeout))
        tls = self.context.wrap_socket(raw, server_hostname=self.spec.ascii_host, do_handshake_on_connect=False)

        def cut():
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        watchdog = threading.Timer(max(0.0, self.clock.remaining()) + 0.05, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            tls.do_handshake()
        finally:
            watchdog.cancel()
        self.sock = tls
        self.buf = b''
        self.transcript.tls = True
        cipher = tls.cipher()
        self.evidence['tls'] = dict(
            version=tls.version(),
            cipher=cipher[0] if cipher else None,
            verified=self.context.verify_mode == ssl.CERT_REQUIRED,
            certificate=certificate_evidence(tls),
        )
        self.transcript.info('TLS started: %s %s' % (self.evidence['tls']['version'],
                                                     self.evidence['tls']['cipher']))

    # -- stages --------------------------------------------------------------------------------
    def connect(self):
        addresses = self._resolve()
        self.begin('connect', condition='tcp')
        last_exc = None
        for family, socktype, proto, _name, sockaddr in addresses:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                sock.settimeout(self.clock.budget(self.timeout))
                self.transcript.info('Trying %s port %d (%s)' % (sockaddr[0], sockaddr[1], self.spec.url()))
                sock.connect(sockaddr)
            except (OSError, DeadlineExceeded) as exc:
                last_exc = exc
                if sock is not None:
                    sock.close()
                if isinstance(exc, DeadlineExceeded) or self.clock.remaining() <= 0:
                    break
                continue
            self.sock = sock
            self.evidence['address'] = sockaddr[0]
            self.transcript.info('Connected to %s' % sockaddr[0])
            break
        if self.sock is None:
            self.fail(exc=last_exc or OSError('no address to connect to'))
        if self.spec.security == 'tls':
            self.condition = 'handshake'
            try:
                self._tls_handshake(self.sock)
            except (OSError, DeadlineExceeded) as exc:
                self.fail(exc=exc)
        self.done()

    def greeting(self):
        self.begin('greeting')
        try:
            reply = self.read_reply()
        except (OSError, DeadlineExceeded, BadReply) as exc:
            self.fail(exc=exc)
        self.evidence['banner'] = ' '.join(line[4:] for line in reply[3])
        if reply[0] != 220:
            self.fail(reply=reply)
        self.done(reply)

    def ehlo(self):
        self.begin('ehlo')
        try:
            reply = self.command('EHLO %s' % self.ehlo_name)
            if 500 <= reply[0] <= 502:
                # Not an ESMTP server: HELO gives the plain SMTP service (no STARTTLS, no AUTH).
                helo = self.command('HELO %s' % self.ehlo_name)
                if helo[0] == 250:
                    reply = helo
                    reply_lines = []
                else:
                    self.fail(reply=reply)
            else:
                reply_lines = reply[3][1:]
        except (OSError, DeadlineExceeded, BadReply) as exc:
            self.fail(exc=exc)
        if reply[0] != 250:
            self.fail(reply=reply)
        extensions = {}
        raw = []
        for line in reply_lines:
            text = line[4:].strip()
            raw.append(text)
            keyword, _sep, params = text.partition(' ')
            if keyword.upper().startswith('AUTH='):
                params = keyword[5:] + ' ' + params
                keyword = 'AUTH'
            key = keyword.lower()
            extensions[key] = (extensions.get(key, '') + ' ' + params).strip() if key == 'auth' else params
        self.extensions = extensions
        self.evidence['extensions'] = raw
        self.offered_order = [m.upper() for m in extensions.get('auth', '').split()]
        self.evidence['auth_mechanisms'] = sorted(set(self.offered_order))
        if not self.transcript.tls:
            self.evidence['starttls_offered'] = 'starttls' in extensions
            self.facts['starttls_offered'] = 'starttls' in extensions
        self.done(reply)

    def starttls(self):
        self.begin('starttls')
        if 'starttls' not in self.extensions:
            self.fail(condition='starttls_not_offered')
        try:
            reply = self.command('STARTTLS')
        except (OSError, DeadlineExceeded, BadReply) as exc:
            self.fail(exc=exc)
        if reply[0] != 220:
            self.fail(reply=reply, condition='starttls_refused')
        self.condition = 'handshake'
        try:
            self._tls_handshake(self.sock)
        except (OSError, DeadlineExceeded) as exc:
            self.fail(exc=exc)
        self.done(reply)

    def choose_mechanism(self, oauth=None):
        """The one mechanism for the AUTH attempt: with ``oauth`` (a ``_oauth2.Token``) XOAUTH2 or OAUTHBEARER
        (``oauth_mechanism`` when set, else XOAUTH2 first), else PLAIN, LOGIN or CRAM-MD5."""
        offered = self.evidence['auth_mechanisms']
        if oauth is not None:
            preference = (self.oauth_mechanism.upper(),) if self.oauth_mechanism else MECHANISMS_OAUTH
        else:
            # the app's own mechanisms in its order (options.mechanisms), else ours
            preference = self.mechanisms or (MECHANISMS_TLS if self.transcript.tls else MECHANISMS_PLAINTEXT)
            if self.mechanisms and self.mechanism_order == 'server':  # the first the server lists that the app knows
                preference = [m for m in self.offered_order if m in self.mechanisms]
        for mechanism in preference:
            if mechanism in offered:
                return mechanism
        return None

    def _authenticate_oauth(self, mechanism, username, token):
        """One XOAUTH2 or OAUTHBEARER attempt. A refused token gets a 334 challenge (base64 JSON, RFC 7628
        §3.2.2): it is decoded into the evidence, answered with the mechanism's dummy response, and the final
        reply is the failure."""
        from ansible_collections.mailops.smtp.plugins.module_utils._oauth2 import (
            decode_challenge,
            oauthbearer_response,
            xoauth2_response,
        )
        if mechanism == 'XOAUTH2':
            initial, dummy = xoauth2_response(username, token.access_token), ''
        else:
            initial = oauthbearer_response(username, token.access_token, self.spec.ascii_host, self.spec.port)
            dummy = 'AQ=='   # base64 of %x01 (RFC 7628 §3.2.3)
        reply = self.command('AUTH %s %s' % (mechanism, initial))
        if reply[0] == 334:
            challenge = decode_challenge(reply[3][0][4:])
            self.evidence['auth_challenge'] = challenge
            reply = self.command(dummy)
            if challenge and reply[0] != 334:
                reply = (reply[0], reply[1], '%s (server challenge: %s)' % (
                    reply[2], ', '.join('%s=%s' % (k, challenge[k]) for k in sorted(challenge))), reply[3])
        return reply

    def _authenticate_password(self, mechanism, username, password):
        """One PLAIN, LOGIN or CRAM-MD5 exchange; returns the last reply."""
        user = username.encode('utf-8')
        secret = password.encode('utf-8')
        if mechanism == 'PLAIN':
            token = base64.b64encode(b'\0' + user + b'\0' + secret).decode('ascii')
            reply = self.command('AUTH PLAIN ' + token)
            if reply[0] == 334:
                reply = self.command(token)
        elif mechanism == 'LOGIN':
            reply = self.command('AUTH LOGIN')
            if reply[0] == 334:
                reply = self.command(base64.b64encode(user).decode('ascii'))
            if reply[0] == 334:
                reply = self.command(base64.b64encode(secret).decode('ascii'))
        else:
            reply = self.command('AUTH CRAM-MD5')
            if reply[0] == 334:
                challenge = base64.b64decode(reply[3][0][4:].strip() or '')
                digest = hmac.new(secret, challenge, hashlib.md5).hexdigest()
                reply = self.command(base64.b64encode(user + b' ' + digest.encode('ascii')).decode('ascii'))
        return reply

    def authenticate(self, username, password, oauth=None):
        """One AUTH attempt with one mechanism chosen from those offered."""
        self.begin('auth')
        if 'auth' not in self.extensions:
            self.fail(condition='auth_not_offered')
        mechanism = self.choose_mechanism(oauth)
        if mechanism is None:
            self.fail(condition='no_oauth_mechanism' if oauth is not None else 'no_usable_mechanism')
        self.evidence['auth_mechanism'] = mechanism
        try:
            if oauth is not None:
                reply = self._authenticate_oauth(mechanism, username, oauth)
            else:
                reply = self._authenticate_password(mechanism, username, password)
            if reply[0] == 334:
                # The server wants more than the mechanism defines: cancel, it is a protocol error.
                reply = self.command('*')
                self.transcript.in_auth = False
                self.fail(reply=reply)
        except (OSError, DeadlineExceeded, BadReply, ValueError) as exc:
            self.transcript.in_auth = False
            self.fail(exc=exc)
        self.transcript.in_auth = False
        if reply[0] != 235:
            self.fail(reply=reply)
        self.facts['authenticated'] = True
        self.done(reply)

    def _address(self, address, stage):
        local, _sep, domain = address.rpartition('@')
        try:
            domain.encode('ascii')
        except UnicodeError:
            domain = _idna_encode(domain)
        needs_utf8 = False
        try:
            local.encode('ascii')
        except UnicodeError:
            needs_utf8 = True
            if 'smtputf8' not in self.extensions:
                self.begin(stage)
                self.fail(condition='smtputf8_not_offered')
        return '%s@%s' % (local, domain), needs_utf8

    def envelope(self, sender, recipient, other_senders=()):
        """MAIL, RCPT (and RSET) for each of ``other_senders``, then MAIL, RCPT, DATA for ``sender``.

        One session and one AUTH for all: the other senders are the addresses the application will send as
        (``test_senders``); each transaction is reset before the next, and the last one stops at the 354.
        """
        for other in other_senders:
            self.transaction(other, recipient, last=False)
        self.transaction(sender, recipient, last=True)

    def transaction(self, sender, recipient, last):
        self.sender = sender
        sender_text, utf8 = self._address(sender, 'mail')
        recipient_text, _utf8 = self._address(recipient, 'rcpt')
        params = ' SMTPUTF8' if utf8 or _utf8 else ''
        steps = [('mail', 'MAIL FROM:<%s>%s' % (sender_text, params), (250,)),
                 ('rcpt', 'RCPT TO:<%s>' % recipient_text, (250, 251))]
        steps.append(('data', 'DATA', (354,)) if last else ('rcpt', 'RSET', (250,)))
        for stage, line, good in steps:
            self.begin(stage)
            try:
                reply = self.command(line)
            except (OSError, DeadlineExceeded, BadReply) as exc:
                self.fail(exc=exc)
            if reply[0] not in good:
                self.fail(reply=reply)
            if line != 'RSET':
                self.done(reply)

    def message(self, payload, summary):
        self.begin('message')
        try:
            self.transcript.client_data(summary)
            self.sock.settimeout(self.clock.budget(self.timeout))
            self.sock.sendall(payload)
            self.transcript.client('.')
            reply = self.read_reply()
        except (OSError, DeadlineExceeded, BadReply) as exc:
            self.fail(exc=exc)
        if reply[0] != 250:
            self.fail(reply=reply)
        self.done(reply)

    def quit(self):
        """Polite QUIT; its outcome does not matter."""
        if self.sock is None:
            return
        timeout = self.timeout
        self.timeout = min(timeout, 2.0)  # a server that ignores QUIT must not hold a passed test
        try:
            self.send_line('QUIT')
            self.read_reply()
        except (OSError, DeadlineExceeded, BadReply):
            pass
        finally:
            self.timeout = timeout
        self.close()


_HEADER_SAFE_RE = re.compile(r'^[\x20-\x7e]*$')
# The longest run without blanks the email package can put on a folded line of at most 78 columns (with the
# quotes and the "From: " or the folding space around it); longer names go as encoded words.
_LONGEST_FOLDABLE_WORD = 60


def _encoded_from(name, address):
    """The From value with ``name`` as RFC 2047 encoded words folded to 78 columns (RFC 5322), or None when
    the name is printable ASCII that the email package may quote and fold itself.

    Names with anything else (non-ASCII, U+2028 and other line separators, control characters), names that
    contain ``=?`` (a reader would decode a look-alike encoded word) and names with a run of more than 60
    characters without blanks (which no folding can split) are sent as base64 encoded words, each
    holding whole characters and at most 75 columns, so every character reaches the reader literally. (The
    ``email`` package's header objects would decode a look-alike, and ``email.header.Header`` turns line
    separators into spaces.)
    """
    if not name or (_HEADER_SAFE_RE.match(name) and '=?' not in name
                    and max(len(word) for word in name.split() or ['']) <= _LONGEST_FOLDABLE_WORD):
        return None   # (a longer run without blanks cannot be folded: one 10,000-octet line, limit 998)
    try:
        address.encode('ascii')
    except UnicodeError:
        return None   # an SMTPUTF8 address: leave the whole header to the email package
    words = []
    chunk = b''
    for char in name:
        data = char.encode('utf-8', 'surrogatepass')
        if chunk and len(chunk) + len(data) > 45:   # 45 bytes -> 60 base64 columns -> a 72-column word
            words.append(chunk)
            chunk = b''
        chunk += data
    words.append(chunk)
    encoded = ['=?utf-8?b?%s?=' % base64.b64encode(word).decode('ascii') for word in words]
    return '\r\n '.join(encoded + ['<%s>' % address])


def build_message(sender, recipient, from_email, from_name, ehlo_name, server_url):
    """The test message: (bytes ready for DATA with dot-stuffing and terminator, Message-ID)."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, formatdate, make_msgid

    domain = sender.rpartition('@')[2] or ehlo_name
    try:
        domain.encode('ascii')
    except UnicodeError:
        domain = _idna_encode(domain)
    author = from_email or sender
    msg = EmailMessage(policy=SMTP)
    encoded_from = _encoded_from(from_name, author)
    if encoded_from is not None:
        msg.set_raw('From', encoded_from)
    else:
        msg['From'] = formataddr((from_name, author)) if from_name else author
    if from_email and sender != from_email:
        msg['Reply-To'] = sender
    msg['To'] = recipient
    msg['Subject'] = 'mailops.smtp test message'
    msg['Date'] = formatdate(localtime=True)
    message_id = make_msgid(domain=domain)
    msg['Message-ID'] = message_id
    msg['Auto-Submitted'] = 'auto-generated'
    msg['X-Mailer'] = 'mailops.smtp (Ansible collection) SMTP test'
    msg.set_content(
        'This is a test message from the mailops.smtp Ansible collection.\n\n'
        'It was sent by %s\nthrough %s\nto check the outgoing mail settings.\n'
        'No action is needed; you may delete it.\n' % (ehlo_name, server_url))
    data = msg.as_bytes()
    lines = data.split(b'\r\n')
    stuffed = b'\r\n'.join((b'.' + line) if line.startswith(b'.') else line for line in lines)
    if not stuffed.endswith(b'\r\n'):
        stuffed += b'\r\n'
    return stuffed + b'.\r\n', message_id


def _check_text(option, value, secret=False):
    if value is None:
        return
    if not isinstance(value, str):
        raise SettingsError(option, '%s: expected a string' % option)
    if _FORBIDDEN_RE.search(value):
        if secret:
            raise SettingsError(option, '%s contains CR, LF or NUL' % option)
        raise SettingsError(option, '%s: %r contains CR, LF or NUL' % (option, value))


def _check_address(option, value):
    _check_text(option, value)
    check_address(value, option)


def default_ehlo_name(clock):
    """This host's fully qualified name (bounded in time: getfqdn() may wait for DNS)."""
    finished, name, _exc = _bounded_call(socket.getfqdn, (), min(1.0, max(0.0, clock.remaining() / 4)))
    if not finished or not name:
        name = socket.gethostname()
    try:
        name = name.encode('ascii').decode('ascii')
    except UnicodeError:
        name = 'localhost'
    if not _EHLO_NAME_RE.match(name):
        name = 'localhost'
    return name


PLAINTEXT_WARNING = 'security is none: the credentials were sent over an unencrypted connection.'


def run_session(spec, level, clock, timeout, context, ehlo_name, transcript, auth=False, username=None,
                password=None, sender=None, recipient=None, message=None, other_senders=(), oauth=None,
                oauth_mechanism=None, mechanisms=None, mechanism_order='app', auto_starttls=False):
    """Run one dialogue up to ``level``; ``oauth`` is a ``_oauth2.Token`` to log in with instead of the password.
    ``auto_starttls``: with ``security: none``, upgrade to STARTTLS when the server offers it, as an app whose
    mail library does so by itself (coreBOS: PHPMailer's SMTPAutoTLS) will. Returns (evidence, failure or None)."""
    session = Session(spec, clock, timeout, context, ehlo_name, transcript,
                      facts=dict(auth_method='oauth2') if oauth is not None else None)
    session.oauth_mechanism = oauth_mechanism
    session.mechanisms = tuple(mechanisms) if mechanisms else None
    session.mechanism_order = mechanism_order
    transcript.info('Testing %s up to %s' % (spec.url(), level))
    try:
        try:
            session.connect()
            session.greeting()
            if level == 'connect':
                session.quit()
                return session.evidence, None
            session.ehlo()
            upgrade = auto_starttls and spec.security == 'none' and 'starttls' in session.extensions
            if spec.security == 'starttls' or upgrade:
                if spec.security == 'none':
                    transcript.info('The server offers STARTTLS: upgrading, as the app does with security none')
                    session.evidence['auto_starttls'] = True
                session.starttls()
                session.ehlo()
            if level == 'tls':
                session.quit()
                return session.evidence, None
            if auth:
                session.authenticate(username, password, oauth)
            if level == 'auth':
                session.quit()
                return session.evidence, None
            session.envelope(sender, recipient, other_senders)
            if level == 'envelope':
                # After 354 anything we send (even RSET or QUIT) would become message text: just close.
                transcript.info('Closing the connection after 354 (test=envelope sends no message)')
                session.close()
                return session.evidence, None
            session.message(*message)
            session.quit()
            return session.evidence, None
        except DeadlineExceeded as exc:
            # Raised by Clock.budget() between operations.
            session.fail(exc=exc)
    except StageFailed as failed:
        session.close()
        return session.evidence, failed.failure
    finally:
        session.close()


def _candidates(spec):
    seen = set([(spec.port, spec.security)])
    order = [(spec.port, s) for s in ('tls', 'starttls', 'none')]
    order += [(587, 'starttls'), (465, 'tls'), (25, 'starttls'), (25, 'none')]
    for port, security in order:
        if (port, security) in seen:
            continue
        seen.add((port, security))
        yield spec._replace(port=port, security=security)


def find_suggestion(spec, clock, timeout, context, ehlo_name, need_auth):
    """Try other security modes and the standard ports without credentials; the first that works."""
    plaintext = None
    for candidate in _candidates(spec):
        if clock.remaining() <= 0.05:
            break
        evidence, failure = run_session(candidate, 'tls', clock, timeout, context, ehlo_name, Transcript())
        if failure is not None:
            continue
        if need_auth and not evidence.get('auth_mechanisms'):
            continue
        found = dict(server=candidate.url(), security=candidate.security, port=candidate.port,
                     verified_stage='auth' if need_auth else 'ehlo', secure=candidate.security != 'none')
        if found['secure']:
            return found
        if plaintext is None:
            plaintext = found
    return plaintext


def _servers(servers):
    if isinstance(servers, ServerSpec):
        return [servers]
    if isinstance(servers, str):
        return parse_servers(servers)
    servers = list(servers or [])
    if not servers:
        raise SettingsError('server', 'server: a server is required for the SMTP test')
    return servers


def _other_senders(test_senders, test_sender):
    """``test_senders`` checked, without duplicates and without ``test_sender`` (tried anyway)."""
    if test_senders is None:
        return []
    if isinstance(test_senders, str) or not isinstance(test_senders, (list, tuple)):
        raise SettingsError('test_senders', 'test_senders: expected a list of e-mail addresses')
    seen = set([test_sender.lower()]) if test_sender else set()
    result = []
    for address in test_senders:
        _check_address('test_senders', address)
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def oauth_secret_forms(oauth2, username=None, access_token=None, hosts=(), ports=()):
    """Every secret of ``oauth2`` and of the token, in each encoding the test sends (imported on use)."""
    from ansible_collections.mailops.smtp.plugins.module_utils._oauth2 import secret_forms as forms
    result = set()
    for host in hosts or [None]:
        result.update(forms(oauth2, username, access_token, host, ports))
    return result


def _failure_msg(spec, diagnosis):
    reply = diagnosis['server_message'] or ''
    if diagnosis['smtp_code'] is not None:
        reply = ' '.join(str(p) for p in (diagnosis['smtp_code'], diagnosis['enhanced_status'], reply) if p)
    reply = reply.strip()
    if reply and not reply.endswith(('.', '!', '?')):
        reply += '.'
    msg = 'SMTP test failed at stage %s on %s (%s): %s %s' % (
        diagnosis['stage'], spec.url(), diagnosis['category'], reply, diagnosis['hint'])
    if diagnosis.get('suggestion'):
        msg += ' Suggestion: %s works.' % diagnosis['suggestion']['server']
    return msg


def _check_oauth2(oauth2, username, password):
    """The ``oauth2`` settings without unset options (None when not given); SettingsError for bad input."""
    if not oauth2:
        return None
    if not isinstance(oauth2, dict):
        raise SettingsError('oauth2', 'oauth2: expected a dictionary')
    oauth2 = dict((k, v) for k, v in oauth2.items() if v is not None)
    if password is not None:
        raise SettingsError('oauth2', 'oauth2: oauth2 and password exclude each other (the token replaces the '
                            'password)')
    if not username:
        raise SettingsError('username', 'username: oauth2 needs username, the mailbox to log in as')
    if '\x01' in username or '\x01' in (oauth2.get('access_token') or ''):
        # ^A separates the fields of the XOAUTH2 and OAUTHBEARER responses
        raise SettingsError('oauth2', 'oauth2: the username and the access token cannot hold the ^A (0x01) '
                            'character')
    from ansible_collections.mailops.smtp.plugins.module_utils._oauth2 import (
        SECRET_OPTIONS,
        OAuthSettingsError,
        validate,
    )
    for option, value in oauth2.items():
        if 'oauth2.%s' % option in MULTILINE_OPTIONS:
            check_control_characters(value, 'oauth2.%s' % option)
        else:
            _check_text('oauth2.%s' % option, value, secret=option in SECRET_OPTIONS)
    try:
        validate(oauth2)
    except OAuthSettingsError as exc:
        raise SettingsError(exc.option, str(exc)) from None
    return oauth2


def fetch_token(oauth2, clock, timeout, context):
    """Stage ``token``: run the grant within the deadline. Returns (Token or None, Failure or None, evidence)."""
    from ansible_collections.mailops.smtp.plugins.module_utils._oauth2 import (
        OAuthSettingsError,
        TokenError,
        request_token,
        token_url,
        validate,
    )
    grant = validate(oauth2)
    evidence = dict(grant=grant, token_url=token_url(oauth2) if grant != 'access_token' else None)
    start = clock.elapsed()
    finished, token, exc = _bounded_call(request_token, (oauth2, clock.budget(timeout), context),
                                         max(0.0, clock.remaining()))
    evidence['seconds'] = round(clock.elapsed() - start, 3)
    if not finished:
        return None, Failure('token', exc=DeadlineExceeded('the token endpoint did not answer before the '
                                                           'deadline')), evidence
    if isinstance(exc, OAuthSettingsError):
        raise SettingsError(exc.option, str(exc)) from None
    if isinstance(exc, TokenError):
        evidence['http_status'] = exc.status
        if exc.exc is not None:
            return None, Failure('token', exc=exc.exc), evidence
        if exc.error:
            words = ': '.join(p for p in (exc.error, exc.description) if p)
            return None, Failure('token', text=words, condition='token_refused'), evidence
        return None, Failure('token', text=str(exc), condition='token_bad_reply'), evidence
    if exc is not None:
        return None, Failure('token', exc=exc), evidence
    evidence.update(token.evidence())
    return token, None, evidence


def _token_failed(spec, level, clock, failure, oauth_evidence, warnings):
    """The result of a test that ended at stage ``token`` (no SMTP connection was made)."""
    diagnosis = diagnose(failure, server=spec.url())
    diagnosis.pop('suggest')
    diagnosis['suggestion'] = None
    probe = dict(server=spec.url(), host=spec.host, port=spec.port, security=spec.security, level=level,
                 stages=[dict(stage='token', seconds=oauth_evidence.get('seconds'), failed=True)],
                 oauth2=oauth_evidence, elapsed=round(clock.elapsed(), 3))
    return dict(ok=False, probe=probe, diagnosis=diagnosis, warnings=warnings,
                msg=_one_line(_failure_msg(spec, diagnosis)))


def _one_line(text):
    return escape_controls(re.sub(r'\s+', ' ', text or '').strip())


def probe_smtp(settings, test_options=None):
    """Test ``settings`` (``_settings.Settings``: servers, TLS, login, sender) with a real dialogue, as far and
    as ``test_options`` (``_settings.TestOptions``) say.

    ``test_options.test_senders``: addresses the application will send as; with test=envelope or send each is
    tried (MAIL and RCPT, then RSET) in the same session before ``test_sender``, and a refusal names it.

    Returns dict(ok, probe, diagnosis, warnings, msg). ``probe`` is the evidence, ``diagnosis`` the
    classified failure (None on success), ``msg`` one line for the user. Raises ``SettingsError`` for
    bad input. No secret appears in the result, in clear or in any encoding the dialogue used.
    """
    options = test_options if test_options is not None else TestOptions()
    level, transcript, timeout, deadline = options.level, options.transcript, options.timeout, options.deadline
    test_sender, test_recipient, ehlo_name = options.test_sender, options.test_recipient, options.ehlo_name
    username, password, auth = settings.username, settings.password, settings.auth
    from_email, from_name = settings.from_email, settings.from_name
    if level not in TEST_LEVELS:
        raise SettingsError('test', 'test: %r is not one of %s' % (level, ', '.join(TEST_LEVELS)))
    if transcript not in TRANSCRIPT_MODES:
        raise SettingsError('transcript', 'transcript: %r is not one of %s'
                            % (transcript, ', '.join(TRANSCRIPT_MODES)))
    check_durations(dict(timeout=timeout, deadline=deadline))
    for option, value in (('username', username), ('from_name', from_name), ('ehlo_name', ehlo_name)):
        _check_text(option, value)
    _check_text('password', password, secret=True)
    warnings = []
    secrets = secret_forms(username, password)

    if level == 'none':
        return dict(ok=True, probe=dict(level='none'), diagnosis=None, warnings=warnings,
                    msg='SMTP test skipped (test=none)')
    specs = _servers(settings.servers)

    oauth2 = _check_oauth2(getattr(settings, 'oauth2', None), username, password)
    if oauth2:
        secrets = sorted(set(secrets) | set(oauth_secret_forms(oauth2)), key=len, reverse=True)
    if auth is None:
        auth = bool(username)
    if auth and not username:
        raise SettingsError('username', 'username: auth is true but no username is set')
    if auth and password is None and not oauth2:
        raise SettingsError('password', 'password: auth is true but no password is set')
    if from_email is not None:
        _check_address('from_email', from_email)
    if level in ('envelope', 'send'):
        if test_sender is None:
            if from_email:
                test_sender = from_email
            elif username and is_address(username):
                test_sender = username
        if not test_sender:
            raise SettingsError('test_sender', 'test_sender: test=%s needs a sender address; set test_sender '
                                '(or from_email, or an e-mail address as username)' % level)
        _check_address('test_sender', test_sender)
        if test_recipient is None:
            test_recipient = test_sender
        _check_address('test_recipient', test_recipient)
    other_senders = _other_senders(options.test_senders, test_sender if level in ('envelope', 'send') else None)
    if other_senders and level not in ('envelope', 'send'):
        warnings.append('test_senders are tried only by test=envelope and test=send.')
        other_senders = []
    if ehlo_name is not None and not _EHLO_NAME_RE.match(ehlo_name):
        raise SettingsError('ehlo_name', 'ehlo_name: %r is not a host name or address literal' % ehlo_name)

    if level == 'send' and options.check_mode:
        level = 'envelope'
        warnings.append('Check mode: the send test stopped at envelope (MAIL, RCPT, DATA); no message was sent.')
    validate_certs = settings.validate_certs is not False
    context = make_ssl_context(validate_certs, settings.ca_path, options.ca_alone)
    if not validate_certs:
        warnings.append('validate_certs is false: the server certificate was not verified.')
    if level == 'auth' and not auth:
        warnings.append('No credentials are configured: test=auth stopped after TLS and EHLO.')
    if auth and level in ('auth', 'envelope', 'send') and any(s.security == 'none' for s in specs) \
            and not options.auto_starttls:
        warnings.append(PLAINTEXT_WARNING)

    clock = Clock(float(deadline))
    if ehlo_name is None:
        ehlo_name = default_ehlo_name(clock)

    token = None
    if oauth2 and auth and level in ('auth', 'envelope', 'send'):
        token, failure, oauth_evidence = fetch_token(oauth2, clock, float(timeout), context)
        if failure is not None:
            return scrub_data(_token_failed(specs[0], level, clock, failure, oauth_evidence, warnings), secrets)
        secrets = sorted(set(secrets) | set(oauth_secret_forms(oauth2, username, token.access_token,
                                                               [s.ascii_host for s in specs],
                                                               [s.port for s in specs])), key=len, reverse=True)

    results = []
    for spec in specs:
        recorder = Transcript(secrets)
        message = None
        if level == 'send':
            payload, message_id = build_message(test_sender, test_recipient, from_email, from_name, ehlo_name,
                                                spec.url())
            message = (payload, '<test message, %d bytes, Message-ID %s>' % (len(payload), message_id))
        evidence, failure = run_session(spec, level, clock, float(timeout), context, ehlo_name, recorder,
                                        auth=auth, username=username, password=password, sender=test_sender,
                                        recipient=test_recipient, message=message, other_senders=other_senders,
                                        oauth=token, oauth_mechanism=(oauth2 or {}).get('mechanism'),
                                        mechanisms=options.mechanisms,
                                        mechanism_order=options.mechanism_order,
                                        auto_starttls=options.auto_starttls)
        evidence['level'] = level
        if token is not None:
            evidence['oauth2'] = dict(oauth_evidence)
        if level in ('envelope', 'send'):
            evidence['test_sender'] = test_sender
            evidence['test_recipient'] = test_recipient
            evidence['test_senders'] = list(other_senders)
        if message is not None:
            evidence['message_id'] = message_id if failure is None or failure.stage == 'message' else None
        diagnosis = None
        if failure is not None:
            diagnosis = diagnose(failure, server=spec.url())
            if failure.sender is not None and failure.sender in other_senders:
                diagnosis['hint'] = ('The server refused to send as %s (one of test_senders, the addresses the app '
                                     'sends as). %s' % (failure.sender, diagnosis['hint']))
            want = diagnosis.pop('suggest')
            diagnosis['suggestion'] = None
            if want and options.suggest and clock.remaining() > 0.05:
                recorder.info('Looking for a port and security mode that work (no credentials are sent)')
                diagnosis['suggestion'] = find_suggestion(spec, clock, float(timeout), context, ehlo_name, auth)
                if diagnosis['suggestion']:
                    recorder.info('%s works (%s)' % (diagnosis['suggestion']['server'],
                                                     'secure' if diagnosis['suggestion']['secure'] else 'PLAINTEXT'))
                else:
                    recorder.info('No working alternative found')
            if diagnosis['category'] == 'tls_certificate_invalid' and clock.remaining() > 0.05:
                # Show the certificate that failed: fetch it again without verification (no credentials).
                seen, _fail = run_session(spec, 'tls', clock, float(timeout), make_ssl_context(False, None),
                                          ehlo_name, Transcript())
                if seen.get('tls'):
                    evidence['tls'] = dict(seen['tls'], verified=False)
        if transcript == 'always' or (transcript == 'on_failure' and failure is not None):
            evidence['transcript'] = list(recorder.lines)
        results.append((spec, evidence, failure, diagnosis))

    for spec, evidence, failure, _diag in results:
        if spec.security == 'none' and options.auto_starttls and level not in ('connect',):
            if evidence.get('auto_starttls'):
                warnings.append('security is none, but %s offers STARTTLS and the app upgrades to it by itself '
                                '(its mail library does when offered): the test upgraded too and verified the '
                                'certificate as the app will.' % spec.url())
            elif auth and level in ('auth', 'envelope', 'send') and failure is None \
                    and PLAINTEXT_WARNING not in warnings:
                warnings.append(PLAINTEXT_WARNING)
        cert = (evidence.get('tls') or {}).get('certificate') or {}
        if failure is None and cert.get('days_left') is not None and cert['days_left'] < CERT_WARNING_DAYS:
            warnings.append('The certificate of %s expires in %d days (%s).'
                            % (spec.url(), cert['days_left'], cert.get('not_after')))
        if failure is None and level == 'envelope':
            provider = late_sender_check(' '.join([evidence.get('banner') or ''] + evidence.get('extensions', [])))
            if provider:
                warnings.append('%s checks the sender only after the message: only test=send is conclusive for '
                                '%s.' % (provider, spec.url()))

    failed = [r for r in results if r[2] is not None]
    chosen = failed[0] if failed else results[0]
    spec, evidence, failure, diagnosis = chosen
    probe = dict(evidence)
    probe['elapsed'] = round(clock.elapsed(), 3)
    if len(results) > 1:
        probe['servers'] = [dict(server=r[0].url(), ok=r[2] is None,
                                 category=r[3]['category'] if r[3] else None,
                                 stage=r[3]['stage'] if r[3] else None) for r in results]
    if diagnosis is None:
        msg = 'SMTP test passed (test=%s) on %s' % (level, ', '.join(r[0].url() for r in results))
    else:
        msg = _failure_msg(spec, diagnosis)
    result = dict(ok=not failed, probe=probe, diagnosis=diagnosis, warnings=warnings, msg=_one_line(msg))
    return scrub_data(result, secrets)


__all__ = ['probe_smtp', 'find_row']
