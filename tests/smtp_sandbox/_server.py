"""SmtpSandbox: a real SMTP server (aiosmtpd 1.4.6) on loopback, in its own thread and event loop.

Everything runs through one aiosmtpd ``SMTP`` subclass; the failure modes are small overrides of its
hooks (greeting, EHLO, AUTH, MAIL, RCPT, DATA), so TLS, recording and shutdown behave the same in every mode.
The listening socket is bound here (port 0 -> the kernel picks a free port), not by aiosmtpd's Controller.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import warnings

from aiosmtpd.smtp import ALLOWED_BEFORE_STARTTLS, MISSING, SMTP, AuthResult

from . import _oauth, _replies
from ._certs import server_context, write_cert_files
from ._config import SandboxConfig

OAUTH_LINE_LIMIT = 16384

# aiosmtpd logs every command line at INFO (AUTH included) and every failed TLS handshake with a traceback;
# for a test server whose job is to be connected to badly, that is noise. SMTP_SANDBOX_DEBUG=1 keeps it.
if not os.environ.get("SMTP_SANDBOX_DEBUG"):
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)

_queue_ids = itertools.count(1)


class _ListeningSocket(socket.socket):
    """A listening socket that remembers the connections it accepted, so stop() can cut them all,
    including those still in an implicit-TLS handshake (which no protocol object knows about yet)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accepted = []
        self.accepted_count = 0

    def accept(self):
        conn, addr = super().accept()
        if len(self.accepted) > 64:  # forget connections that are already closed
            self.accepted = [c for c in self.accepted if c.fileno() != -1]
        self.accepted.append(conn)
        self.accepted_count += 1
        # asyncio sets TCP_NODELAY only when sock.proto is IPPROTO_TCP; without it every multi-line reply
        # (one write per line) waits for the client's delayed ACK
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


class _SandboxHandler:
    """aiosmtpd handler hooks: envelope checks and message recording."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.config = sandbox.config

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.config.auth_offered:
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH")]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        cfg = self.config
        if cfg.scripted("mail"):
            return cfg.scripted("mail")
        if cfg.failure == "sender_not_owned":
            user = server.authenticated_as
            if user is not None and not cfg.may_send_as(user, address):
                return _replies.sender_not_owned(address, user)
            if user is None and cfg.owner_of(address) is not None:
                return _replies.sender_not_logged_in(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return _replies.MAIL_OK

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        failure = self.config.failure
        if self.config.scripted("rcpt"):
            return self.config.scripted("rcpt")
        if failure == "relay_denied":
            return _replies.relay_denied(address)
        if failure == "relay_denied_temp":
            return _replies.relay_denied_temp(address)
        if failure == "rcpt_temp_451":
            return _replies.RCPT_GREYLISTED
        if failure == "recipient_unknown":
            return _replies.recipient_unknown(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return _replies.RCPT_OK

    async def handle_DATA(self, server, session, envelope):
        cfg = self.config
        user = server.authenticated_as
        if cfg.scripted("message"):
            return cfg.scripted("message")
        if cfg.failure == "send_as_denied" and not cfg.may_send_as(user, envelope.mail_from):
            return _replies.SEND_AS_DENIED
        if cfg.failure == "message_rejected":
            return _replies.MESSAGE_REJECTED
        if cfg.failure == "unverified_sender" and (envelope.mail_from or "").lower() not in cfg.verified_identities():
            return _replies.unverified_sender(envelope.mail_from)
        message = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": bytes(envelope.original_content or envelope.content or b""),
            "authenticated_as": user,
            "session": server.record["id"],
        }
        server.record["message_accepted"] = True
        self.sandbox._add_message(message)
        return _replies.queued("SBX%06d" % next(_queue_ids))


class _SandboxSMTP(SMTP):
    """aiosmtpd's SMTP with the sandbox's recording and failure modes."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, sandbox, **kwargs):
        self.sandbox = sandbox
        self.config = sandbox.config
        self.record = None
        self._greeted = False
        self._ehlo_seen = False
        self._silent = False
        self._in_data = False
        self._finished = False
        with warnings.catch_warnings():
            # auth_required with auth_require_tls=False warns; the sandbox does that on purpose.
            warnings.simplefilter("ignore")
            super().__init__(_SandboxHandler(sandbox), **kwargs)
        # OAuth initial responses carry a JWT: longer than RFC 5321's 512 (Gmail and Microsoft 365 accept them).
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit, AUTH=OAUTH_LINE_LIMIT)
        if self.config.security == "starttls_required":
            for name, method in list(self._smtp_methods.items()):
                if name not in ALLOWED_BEFORE_STARTTLS:
                    self._smtp_methods[name] = self._guard_starttls(method)

    line_length_limit = OAUTH_LINE_LIMIT

    # -- SASL XOAUTH2 / OAUTHBEARER (see _oauth.py) ---------------------------------------------------------
    async def _oauth(self, mechanism, args, parse):
        cfg = self.config
        if cfg.scripted("auth"):
            return AuthResult(success=False, handled=False, message=cfg.scripted("auth"))
        if len(args) > 1:
            try:
                blob = _oauth.b64decode(args[1])
            except ValueError:
                return AuthResult(success=False, handled=False, message="501 5.5.2 Can't decode base64")
        else:
            blob = await self.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        try:
            mailbox, token = parse(blob)
        except (ValueError, UnicodeError):
            mailbox, token = None, None
        if not mailbox or not token:
            return AuthResult(success=False, handled=False, message="501 5.5.2 Malformed %s response" % mechanism)
        claims, reason = _oauth.verify(cfg.oauth, token, mailbox)
        if claims is not None:
            self.record["authenticated_as"] = mailbox
            self.record["auth_mechanism"] = mechanism
            self.record["oauth_claims"] = {k: claims.get(k) for k in ("sub", "aud", "iss", "client_id", "scope")}
            return AuthResult(success=True, message=_replies.AUTH_OK)
        self.record["oauth_refused"] = reason
        if await self.challenge_auth(_oauth.challenge(cfg.oauth)) is MISSING:   # the client's dummy answer
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=_oauth.OAUTH_INVALID % reason)

    async def auth_XOAUTH2(self, smtp, args):  # aiosmtpd passes the protocol again
        return await self._oauth("XOAUTH2", args, _oauth.parse_xoauth2)

    async def auth_OAUTHBEARER(self, smtp, args):
        return await self._oauth("OAUTHBEARER", args, _oauth.parse_oauthbearer)

    # -- state -------------------------------------------------------------------------------------------
    @property
    def authenticated_as(self):
        return self.record.get("authenticated_as") if self.record else None

    def _guard_starttls(self, method):
        @functools.wraps(method)
        async def guarded(arg):
            if self._tls_protocol is None:
                await self.push(_replies.STARTTLS_REQUIRED)
                return
            await method(arg)

        return guarded

    # -- connection life cycle ----------------------------------------------------------------------------
    def connection_made(self, transport):
        first = self.record is None
        super().connection_made(transport)
        if first:
            peer = transport.get_extra_info("peername")
            self.record = self.sandbox._new_session(peer[:2] if peer else None)
            if self.config.security == "tls":
                self._note_tls(transport)
        else:
            self._note_tls(transport)

    def _note_tls(self, transport):
        ssl_object = transport.get_extra_info("ssl_object")
        self.record["tls"] = True
        if ssl_object is not None:
            self.record["tls_version"] = ssl_object.version()

    def connection_lost(self, error):
        super().connection_lost(error)
        if not self._finished and self.record is not None:
            self._finished = True
            self.sandbox._session_closed(self.record)
        self.sandbox._protocols.discard(self)

    def _cb_client_connected(self, reader, writer):
        super()._cb_client_connected(reader, writer)
        readuntil = reader.readuntil

        # StreamReader.readline() calls self.readuntil(), so this sees command lines and AUTH responses alike
        async def recording_readuntil(separator=b"\n"):
            line = await readuntil(separator)
            self._note_line(line)
            return line

        reader.readuntil = recording_readuntil

    def _note_line(self, line):
        if self.record is not None and not self._in_data and line:
            self.record["commands"].append(line.rstrip(b"\r\n").decode("utf-8", "replace"))

    # -- replies --------------------------------------------------------------------------------------
    async def push(self, status):
        text = status if isinstance(status, str) else status.decode("utf-8", "replace")
        if not self._greeted:
            self._greeted = True
            failure = self.config.failure
            scripted = self.config.scripted("greeting")
            if scripted:
                self.record["replies"].extend(scripted.split("\r\n"))
                await super().push(scripted)
                if scripted[0] in "45":
                    self.transport.close()
                return
            if failure == "no_banner":
                self._silent = True
                return
            if failure == "greeting_421":
                self.record["replies"].append(_replies.GREETING_421)
                await super().push(_replies.GREETING_421)
                self.transport.close()
                return
            if failure == "drip_banner":
                self.record["replies"].append(text)
                for byte in (text + "\r\n").encode("ascii"):
                    if self.transport is None or self.transport.is_closing():
                        return
                    self._writer.write(bytes([byte]))
                    await self._writer.drain()
                    await asyncio.sleep(self.config.drip_interval)
                return
        if self._silent:
            return
        self.record["replies"].extend(text.split("\r\n"))
        await super().push(status)

    # -- commands -----------------------------------------------------------------------------------------
    async def smtp_EHLO(self, hostname):
        if self.config.scripted("ehlo") and hostname:
            await self.push(self.config.scripted("ehlo"))
            return
        first = not self._ehlo_seen
        await super().smtp_EHLO(hostname)
        if hostname:
            self._ehlo_seen = True
        if first and hostname:
            if self.config.failure == "disconnect_after_ehlo":
                self.transport.close()
            elif self.config.failure == "stall_after_ehlo":
                self._silent = True

    async def smtp_HELO(self, hostname):
        if self.config.scripted("ehlo") and hostname:
            await self.push(self.config.scripted("ehlo"))
            return
        await super().smtp_HELO(hostname)

    async def smtp_DATA(self, arg):
        if self.config.scripted("data") and self.session.host_name and self.envelope.rcpt_tos and not arg:
            await self.push(self.config.scripted("data"))
            return
        if (
            self.config.failure == "data_refused"
            and self.session.host_name
            and self.envelope.rcpt_tos
            and not arg
            and not (self._auth_required and not self.session.authenticated)
        ):
            await self.push(_replies.DATA_REFUSED)
            return
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False


def _authenticator(server, session, envelope, mechanism, auth_data):
    """AUTH PLAIN/LOGIN against the users table, or the provider-specific refusals."""
    cfg = server.config
    failure = cfg.failure
    if cfg.scripted("auth"):
        return AuthResult(success=False, handled=False, message=cfg.scripted("auth"))
    if failure == "auth_failed_gmail":
        return AuthResult(success=False, handled=False, message=_replies.AUTH_FAILED_GMAIL)
    if failure == "auth_failed_o365":
        return AuthResult(success=False, handled=False, message=_replies.AUTH_FAILED_O365)
    if failure == "basic_auth_disabled_o365":
        return AuthResult(success=False, handled=False, message=_replies.BASIC_AUTH_DISABLED_O365)
    if failure == "app_password_required":
        return AuthResult(success=False, handled=False, message=_replies.APP_PASSWORD_REQUIRED)
    login = auth_data.login.decode("utf-8", "replace")
    password = auth_data.password.decode("utf-8", "replace")
    if login in cfg.users and cfg.users[login] == password:
        server.record["authenticated_as"] = login
        server.record["auth_mechanism"] = mechanism
        return AuthResult(success=True, auth_data=auth_data, message=_replies.AUTH_OK)
    return AuthResult(success=False, handled=False, message=_replies.AUTH_INVALID)


def _format_host(host):
    return "[%s]" % host if ":" in host else host


class SmtpSandbox:
    """A started-on-demand SMTP server for tests.

    ``SmtpSandbox(cfg)`` or ``SmtpSandbox(security="tls", users={...})`` (keyword arguments build or
    override the config). Use as a context manager, or call start()/stop().

    After start(): ``host``, ``port``, ``ca_path`` (PEM of the test CA), ``ca_bundle`` (the host's CAs plus the
    test CA) and ``ca_env`` (``{"SSL_CERT_FILE": ca_bundle}``, how an app without a CA setting, and the module's
    test of it, are given the test CA), ``server`` (URL in the collection's
    syntax, e.g. ``tls://127.0.0.1:40123``), ``messages`` and ``sessions`` (lists of dicts, appended live).
    ``record_dir`` (optional) receives messages.jsonl and sessions.jsonl as things happen.
    """

    def __init__(self, config=None, record_dir=None, **overrides):
        if config is None:
            config = SandboxConfig(**overrides)
        elif overrides:
            config = config.replace(**overrides)
        self.config = config
        self.record_dir = record_dir
        self.host = config.host
        self.port = None
        self.ca_path = None
        self.ca_bundle = None
        self.cert_path = None
        self.messages = []
        self.sessions = []
        self._record_lock = threading.Lock()
        self._tempdir = None
        self._loop = None
        self._thread = None
        self._server = None
        self._listener = None
        self._protocols = set()
        self._accepted_count = 0

    # -- public ---------------------------------------------------------------------------------------------
    @property
    def security(self):
        return self.config.security

    @property
    def server(self):
        """The server in the collection's syntax: smtp:// (plain), tls:// (STARTTLS), ssl:// (implicit TLS)."""
        return "%s://%s:%s" % (self.config.scheme, _format_host(self.host), self.port)

    @property
    def connections_accepted(self):
        """TCP connections accepted so far, including those that never became a session
        (an implicit-TLS handshake the client gave up on, e.g. because it rejected the certificate)."""
        return self._accepted_count if self._listener is None else self._listener.accepted_count

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def state(self):
        """What the CLI writes into its state file for this instance."""
        return {"host": self.host, "port": self.port, "ca_path": self.ca_path, "ca_bundle": self.ca_bundle,
                "server": self.server}

    @property
    def ca_env(self):
        """The environment that gives the test CA to an app without a CA setting (and to the module's test)."""
        return {"SSL_CERT_FILE": self.ca_bundle}

    def start(self):
        if self._loop is not None:
            raise RuntimeError("sandbox already started")
        self._tempdir = tempfile.mkdtemp(prefix="smtp-sandbox-")
        try:
            paths = write_cert_files(self._tempdir, self.config.cert, self.config.hostname)
            self.ca_path = paths["ca"]
            self.ca_bundle = paths["bundle"]
            self.cert_path = paths["chain"]
            self._ssl_context = server_context(paths["chain"], paths["key"]) if self.config.tls_wanted else None
            if self.record_dir:
                os.makedirs(self.record_dir, exist_ok=True)
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._run_loop, name="smtp-sandbox-%s" % self.config.security, daemon=True
            )
            self._thread.start()
            asyncio.run_coroutine_threadsafe(self._astart(), self._loop).result(timeout=15)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        loop, self._loop = self._loop, None
        if loop is not None:
            if self._thread is not None and self._thread.is_alive():
                try:
                    asyncio.run_coroutine_threadsafe(self._astop(), loop).result(timeout=10)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
                    self._thread.join(timeout=10)
            if not loop.is_running():
                loop.close()
        self._thread = None
        if self._listener is not None:
            self._accepted_count = self._listener.accepted_count
            self._listener.close()
            self._listener = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, predicate, timeout=5.0):
        """Poll ``predicate(self)`` until true (server-side records trail the client by a moment)."""
        end = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.01)

    def wait_sessions_closed(self, count=1, timeout=5.0):
        """Wait until at least ``count`` sessions have ended; returns the ended sessions."""
        self.wait_for(lambda sb: len([s for s in sb.sessions if s["closed"]]) >= count, timeout)
        return [s for s in self.sessions if s["closed"]]

    # -- event loop side ----------------------------------------------------------------------------------
    def _run_loop(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _make_protocol(self):
        cfg = self.config
        starttls = cfg.security in ("starttls", "starttls_required")
        protocol = _SandboxSMTP(
            self,
            hostname=cfg.hostname,
            ident=_replies.GREETING_IDENT,
            tls_context=self._ssl_context if starttls else None,
            require_starttls=False,  # starttls_required is enforced with the RFC 3207 enhanced code instead
            auth_require_tls=starttls and not cfg.auth_before_tls,
            auth_required=cfg.auth_required,
            auth_exclude_mechanism=(() if cfg.auth_offered and (cfg.users or not cfg.oauth) else ("PLAIN", "LOGIN"))
            + (() if cfg.oauth else ("XOAUTH2", "OAUTHBEARER")),
            authenticator=_authenticator,
            enable_SMTPUTF8=True,
            timeout=cfg.idle_timeout,
            loop=self._loop,
        )
        self._protocols.add(protocol)
        return protocol

    async def _astart(self):
        cfg = self.config
        family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        listener = _ListeningSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listener = listener
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind((cfg.host, cfg.port))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        kwargs = {}
        if cfg.security == "tls":
            kwargs = {"ssl": self._ssl_context, "ssl_handshake_timeout": cfg.tls_handshake_timeout}
        self._server = await self._loop.create_server(self._make_protocol, sock=listener, **kwargs)

    async def _astop(self):
        if self._server is not None:
            self._server.close()
        for protocol in list(self._protocols):
            transport = protocol.transport
            if transport is not None:
                transport.abort()
            original = getattr(protocol, "_original_transport", None)
            if original is not None:
                original.abort()
        if self._listener is not None:
            for conn in self._listener.accepted:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        # let connection_lost() callbacks run so every session gets its closing record
        for _attempt in range(50):
            if all(p._finished or p.record is None for p in self._protocols):
                break
            await asyncio.sleep(0.005)
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        for protocol in list(self._protocols):
            if protocol.record is not None and not protocol._finished:
                protocol._finished = True
                self._session_closed(protocol.record)
        self._protocols.clear()
        if self._listener is not None:
            for conn in self._listener.accepted:
                conn.close()

    # -- records ----------------------------------------------------------------------------------------
    def _new_session(self, peer):
        record = {
            "id": len(self.sessions),
            "peer": tuple(peer) if peer else None,
            "commands": [],
            "replies": [],
            "authenticated_as": None,
            "auth_mechanism": None,
            "message_accepted": False,
            "tls": False,
            "tls_version": None,
            "closed": False,
        }
        self.sessions.append(record)
        return record

    def _session_closed(self, record):
        record["closed"] = True
        self._write_record("sessions.jsonl", dict(record, peer=list(record["peer"]) if record["peer"] else None))

    def _add_message(self, message):
        self.messages.append(message)
        self._write_record("messages.jsonl", dict(message, data=message["data"].decode("utf-8", "replace")))

    def _write_record(self, name, record):
        if not self.record_dir:
            return
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._record_lock:
            with open(os.path.join(self.record_dir, name), "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
