"""The diagnosis catalog: every row of reference/smtp-failures.md maps to its category, stage and hint."""

import errno
import re
import socket
import ssl

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import (
    CATALOG,
    CATEGORIES,
    STAGES,
    TOPICS,
    BadReply,
    ConnectionClosed,
    DeadlineExceeded,
    Failure,
    diagnose,
    exception_kind,
    late_sender_check,
)


def cert_error(code, message):
    exc = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + message)
    exc.reason = "CERTIFICATE_VERIFY_FAILED"
    exc.verify_code = code
    exc.verify_message = message
    return exc


def ssl_error(reason):
    exc = ssl.SSLError(1, "[SSL: %s] %s" % (reason, reason.lower().replace("_", " ")))
    exc.reason = reason
    return exc


def reply(stage, code, enhanced, text, **facts):
    return Failure(stage, code=code, enhanced=enhanced, text=text, facts=facts)


def error(stage, exc, condition=None, **facts):
    return Failure(stage, exc=exc, condition=condition, facts=facts)


NONE = dict(security="none", port=25, authenticated=False)
SUBMISSION = dict(security="starttls", port=587, authenticated=True)

# (id, failure, category, words the hint must contain, only_send_conclusive, suggest)
CASES = [
    # Gmail
    ("gmail-bad-credentials",
     reply("auth", 535, "5.7.8", "Username and Password not accepted. Learn more at "
           "https://support.google.com/mail/?p=BadCredentials x-gsmtp"),
     "auth_failed", ["App Password"], False, False),
    ("gmail-app-password", reply("auth", 534, "5.7.9", "Application-specific password required."),
     "auth_failed", ["app password"], False, False),
    ("starttls-first-at-mail", reply("mail", 530, "5.7.0", "Must issue a STARTTLS command first", **NONE),
     "tls_required", ["starttls"], False, False),
    ("starttls-first-at-auth", reply("auth", 530, "5.7.0", "Must issue a STARTTLS command first", **NONE),
     "tls_required", ["starttls"], False, False),
    ("aiosmtpd-starttls-first", reply("mail", 530, None, "Must issue a STARTTLS command first", **NONE),
     "tls_required", ["starttls"], False, False),
    ("encryption-required", reply("auth", 538, "5.7.11", "Encryption required for requested authentication mechanism"),
     "tls_required", ["TLS"], False, False),
    # Microsoft 365
    # ... the kind of login switched off: not a password problem, the fix is OAuth, a relay or the re-enable
    ("o365-tenant-disabled",
     reply("auth", 535, "5.7.139", "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."),
     "auth_method_disabled", ["oauth2", "relay", "re-enable", "not help"], False, False),
    ("o365-mailbox-disabled",
     reply("auth", 535, "5.7.139", "Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
           "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."),
     "auth_method_disabled", ["oauth2", "relay", "re-enable"], False, False),
    ("o365-basic-auth-disabled",
     reply("auth", 535, "5.7.139", "Authentication unsuccessful, basic authentication is disabled."),
     "auth_method_disabled", ["oauth2", "relay"], False, False),
    ("o365-basic-auth-retired",
     reply("auth", 550, "5.7.30", "Basic authentication is not supported for Client Submission."),
     "auth_method_disabled", ["oauth2", "relay", "re-enable"], False, False),
    ("o365-security-defaults",
     reply("auth", 535, "5.7.139", "Authentication unsuccessful, user is locked by your organization's security "
           "defaults policy. Contact your administrator."),
     "auth_method_disabled", ["security defaults", "oauth2", "relay"], False, False),
    # ... while a wrong password stays a password problem
    ("o365-credentials-incorrect",
     reply("auth", 535, "5.7.139", "Authentication unsuccessful, the user credentials were incorrect."),
     "auth_failed", [], False, False),
    ("o365-unsuccessful", reply("auth", 535, "5.7.3", "Authentication unsuccessful"),
     "auth_failed", ["user name", "password"], False, False),
    ("o365-not-authenticated", reply("mail", 530, "5.7.57", "Client not authenticated to send mail.", **NONE),
     "auth_required", ["username"], False, False),
    ("o365-send-as-at-mail",
     reply("mail", 550, "5.7.60", "SMTP; Client does not have permissions to send as this sender", **SUBMISSION),
     "sender_not_permitted", ["From"], False, False),
    ("o365-send-as-after-data",
     reply("message", 550, "5.7.60", "SMTP; Client does not have permissions to send as this sender", **SUBMISSION),
     "sender_not_permitted", ["From"], True, False),
    ("o365-send-as-denied",
     reply("message", 554, "5.2.0", "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"),
     "sender_not_permitted", ["Send As"], True, False),
    ("exchange-send-as",
     reply("message", 550, "5.7.1", "Client does not have permissions to send as this sender"),
     "sender_not_permitted", ["From"], True, False),
    # Amazon SES
    ("ses-auth-required", reply("mail", 530, None, "Authentication required", security="starttls",
                                authenticated=False),
     "auth_required", ["username"], False, False),
    ("ses-bad-credentials", reply("auth", 535, None, "Authentication Credentials Invalid"),
     "auth_failed", ["SMTP credentials", "region"], False, False),
    ("ses-unverified-sender",
     reply("message", 554, None, "Message rejected: Email address is not verified. The following identities failed "
           "the check in region EU-WEST-1: crm@example.com"),
     "sender_not_permitted", ["verify"], True, False),
    # SendGrid
    ("sendgrid-bad-login", reply("auth", 535, None, "Authentication failed: Bad username / password"),
     "auth_failed", ["apikey"], False, False),
    ("sendgrid-unverified-sender",
     reply("message", 550, None, "The from address does not match a verified Sender Identity. Mail cannot be sent"),
     "sender_not_permitted", ["verify"], True, False),
    # Postfix
    ("postfix-relay", reply("rcpt", 554, "5.7.1", "<bob@elsewhere.example>: Relay access denied"),
     "relay_denied", ["relay", "authenticate"], False, False),
    ("postfix-relay-454", reply("rcpt", 454, "4.7.1", "<bob@elsewhere.example>: Relay access denied"),
     "relay_denied", ["not a temporary"], False, False),
    ("postfix-sasl", reply("auth", 535, "5.7.8", "Error: authentication failed: authentication failure"),
     "auth_failed", ["password"], False, False),
    ("postfix-login-mismatch-at-rcpt",
     reply("rcpt", 553, "5.7.1", "<ceo@example.com>: Sender address rejected: not owned by user crm@example.com"),
     "sender_not_permitted", ["From"], False, False),
    ("postfix-login-mismatch-at-mail",
     reply("mail", 553, "5.7.1", "<ceo@example.com>: Sender address rejected: not owned by user crm@example.com"),
     "sender_not_permitted", ["From"], False, False),
    ("bad-sender-domain", reply("mail", 553, "5.1.8", "<x@nowhere.invalid>: Sender address rejected: Domain not found"),
     "sender_not_permitted", ["sender"], False, False),
    # TLS mode and certificates
    ("implicit-tls-on-starttls-port",
     error("connect", ssl_error("WRONG_VERSION_NUMBER"), "handshake", security="tls", port=587),
     "tls_handshake_failure", ["starttls"], False, True),
    ("plaintext-on-465-silence", error("greeting", socket.timeout("timed out"), security="starttls", port=465),
     "greeting_failure", ["465", "security=tls"], False, True),
    ("plaintext-on-465-deadline", error("greeting", DeadlineExceeded("deadline"), security="none", port=465),
     "greeting_failure", ["TLS"], False, True),
    ("self-signed", error("starttls", cert_error(18, "self-signed certificate"), "handshake"),
     "tls_certificate_invalid", ["self-signed", "ca_path"], False, False),
    ("self-signed-in-chain", error("starttls", cert_error(19, "self-signed certificate in certificate chain"),
                                   "handshake"),
     "tls_certificate_invalid", ["self-signed"], False, False),
    ("unknown-issuer", error("connect", cert_error(20, "unable to get local issuer certificate"), "handshake"),
     "tls_certificate_invalid", ["unknown CA", "ca_path"], False, False),
    ("expired", error("starttls", cert_error(10, "certificate has expired"), "handshake"),
     "tls_certificate_invalid", ["expired"], False, False),
    ("hostname-mismatch", error("starttls", cert_error(62, "Hostname mismatch, certificate is not valid"),
                                "handshake"),
     "tls_certificate_invalid", ["name"], False, False),
    ("old-tls-only", error("starttls", ssl_error("UNSUPPORTED_PROTOCOL"), "handshake"),
     "tls_handshake_failure", ["1.2"], False, False),
    ("starttls-handshake-eof", error("starttls", ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
                                     "handshake"),
     "tls_handshake_failure", ["STARTTLS"], False, False),
    ("implicit-tls-silence", error("connect", socket.timeout("timed out"), "handshake", security="tls", port=25),
     "tls_handshake_failure", ["starttls"], False, True),
    ("starttls-refused", Failure("starttls", code=454, enhanced="4.7.0", text="TLS not available",
                                 condition="starttls_refused"),
     "tls_handshake_failure", ["STARTTLS"], False, False),
    ("starttls-not-offered", error("starttls", None, "starttls_not_offered", security="starttls", port=25),
     "starttls_not_offered", ["implicit TLS"], False, True),
    # Network
    ("refused", error("connect", ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "tcp", port=2525),
     "connection_refused", ["port"], False, False),
    ("refused-on-25", error("connect", ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "tcp",
                            port=25),
     "connection_refused", ["587"], False, True),
    ("unreachable", error("connect", OSError(errno.ENETUNREACH, "Network is unreachable"), "tcp", port=587),
     "connection_refused", ["unreachable"], False, False),
    ("dns", error("resolve", socket.gaierror(-2, "Name or service not known"), "resolve"),
     "dns_failure", ["resolve"], False, False),
    ("dns-slow", error("resolve", DeadlineExceeded("slow"), "resolve_timeout"),
     "dns_failure", ["resolver"], False, False),
    ("port-25-blocked", error("connect", socket.timeout("timed out"), "tcp", port=25),
     "connection_timeout", ["587", "cloud"], False, True),
    ("filtered", error("connect", socket.timeout("timed out"), "tcp", port=587),
     "connection_timeout", ["firewall"], False, False),
    ("connect-deadline", error("connect", DeadlineExceeded("deadline"), "tcp", port=587),
     "connection_timeout", ["firewall"], False, False),
    # AUTH offer
    ("no-auth-offered", error("auth", None, "auth_not_offered", security="starttls", starttls_offered=True),
     "auth_not_offered", ["AUTH"], False, False),
    ("auth-only-after-starttls", error("auth", None, "auth_not_offered", security="none", starttls_offered=True),
     "auth_not_offered", ["security=starttls"], False, True),
    ("no-usable-mechanism", error("auth", None, "no_usable_mechanism"),
     "auth_not_offered", ["mechanism"], False, False),
    ("mechanism-refused", reply("auth", 504, "5.5.4", "Unrecognized authentication type"),
     "auth_not_offered", ["mechanism"], False, False),
    # Greeting, envelope, message
    ("greeting-421", reply("greeting", 421, "4.3.2", "Service not available, closing transmission channel"),
     "greeting_failure", ["refused"], False, False),
    ("greeting-554", reply("greeting", 554, None, "No SMTP service here"),
     "greeting_failure", ["refused"], False, False),
    ("greeting-garbage", error("greeting", BadReply("not an SMTP reply: 'SSH-2.0-OpenSSH'")),
     "greeting_failure", ["SMTP"], False, False),
    ("greeting-closed", error("greeting", ConnectionClosed("closed")),
     "greeting_failure", ["SMTP"], False, False),
    ("ehlo-name-rejected", reply("ehlo", 501, "5.5.4", "Invalid EHLO hostname"),
     "ehlo_rejected", ["ehlo_name"], False, False),
    # The dialogue decides: the same words before and after a successful AUTH (235)
    ("helo-name-rejected-at-rcpt",
     reply("rcpt", 504, "5.5.2", "<localhost>: Helo command rejected: need fully-qualified hostname", **NONE),
     "ehlo_rejected", ["ehlo_name"], False, False),
    ("not-logged-in-at-rcpt",
     reply("rcpt", 553, "5.7.1", "<crm@example.com>: Sender address rejected: not logged in", **NONE),
     "auth_required", ["username and password"], False, False),
    ("authentication-required-after-235",
     reply("message", 550, "5.7.1", "Unauthenticated email is not accepted from this domain", **SUBMISSION),
     "sender_domain_policy", ["SPF", "from_email"], False, False),
    ("relaying-disallowed-after-235", reply("message", 553, None, "Relaying disallowed as ceo@example.com",
                                            **SUBMISSION),
     "sender_not_permitted", ["Send As", "from_email"], True, False),
    ("relaying-denied-before-auth", reply("rcpt", 550, "5.7.1", "Relaying denied", **NONE),
     "relay_denied", ["username and password"], False, False),
    ("qmail-rcpthosts", reply("rcpt", 553, None, "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
                              **NONE),
     "relay_denied", ["relay"], False, False),
    ("dmarc", reply("message", 550, "5.7.26", "Unauthenticated email from example.com is not accepted due to "
                                              "domain's DMARC policy", **NONE),
     "sender_domain_policy", ["DKIM"], False, False),
    ("spamhaus-at-rcpt", reply("rcpt", 554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using "
                                                     "zen.spamhaus.org", **NONE),
     "client_blocked", ["delisted", "PTR"], False, False),
    ("blocklisted-at-greeting", reply("greeting", 554, None, "Bad DNS PTR resource record."),
     "client_blocked", ["PTR"], False, False),
    ("greeting-too-busy", reply("greeting", 421, None, "Too many concurrent SMTP connections; please try again later."),
     "greeting_failure", ["later"], False, False),
    ("unknown-5xx-at-rcpt-after-auth", reply("rcpt", 550, None, "Requested action not taken: mailbox unavailable",
                                             **SUBMISSION),
     "recipient_rejected", ["test_recipient", "policy"], False, False),
    ("recipient-unknown", reply("rcpt", 550, "5.1.1", "<nobody@example.com>: Recipient address rejected: "
                                                      "User unknown"),
     "recipient_rejected", ["test_recipient"], False, False),
    ("recipient-other", reply("rcpt", 550, None, "No such user here"),
     "recipient_rejected", ["test_recipient"], False, False),
    ("relay-enhanced-only", reply("rcpt", 550, "5.7.1", "Unable to deliver"),
     "relay_denied", ["relay"], False, False),
    ("o365-non-accepted-domain",
     reply("rcpt", 550, "5.7.54", "SMTP; Unable to relay recipient in non-accepted domain"),
     "relay_denied", ["relay"], False, False),
    ("greylisted", reply("rcpt", 451, "4.7.1", "Greylisted, please try again later"),
     "temporary_failure", ["later"], False, False),
    ("rate-limited", reply("mail", 450, "4.7.0", "Too many messages, slow down"),
     "temporary_failure", ["later"], False, False),
    ("temp-auth", reply("auth", 454, "4.7.0", "Temporary authentication failure"),
     "temporary_failure", ["later"], False, False),
    ("data-refused", reply("data", 554, "5.3.4", "Message too big for system"),
     "message_rejected", ["refused"], False, False),
    ("size", reply("message", 552, "5.3.4", "Message size exceeds fixed limit"),
     "message_rejected", ["large"], False, False),
    ("content", reply("message", 554, "5.6.0", "Message content rejected"),
     "message_rejected", ["content"], False, False),
    ("auth-required-generic", reply("rcpt", 530, "5.7.0", "Authentication required", security="starttls",
                                    authenticated=False),
     "auth_required", ["username"], False, False),
    # Timeouts and protocol errors after the greeting
    ("stall-after-ehlo", error("auth", socket.timeout("timed out")), "timeout", ["timeout"], False, False),
    ("deadline-mid-dialogue", error("rcpt", DeadlineExceeded("deadline")), "timeout", ["deadline"], False, False),
    ("closed-mid-dialogue", error("mail", ConnectionClosed("closed")), "protocol_error", ["closed"], False, False),
    ("reset-mid-dialogue", error("ehlo", ConnectionResetError(errno.ECONNRESET, "reset")), "protocol_error",
     ["closed"], False, False),
    ("garbage-mid-dialogue", error("ehlo", BadReply("not an SMTP reply")), "protocol_error", ["unexpected"],
     False, False),
    ("unexpected-reply", reply("mail", 354, None, "go ahead"), "protocol_error", ["unexpected"], False, False),
]


@pytest.mark.parametrize("failure,category,words,send_only,suggest", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_failure_maps_to_category_and_stage(failure, category, words, send_only, suggest):
    diagnosis = diagnose(failure, server="tls://smtp.example.com:587")
    assert diagnosis["category"] == category
    assert diagnosis["stage"] == failure.stage
    assert diagnosis["server"] == "tls://smtp.example.com:587"
    for word in words:
        assert word.lower() in diagnosis["hint"].lower(), diagnosis["hint"]
    assert diagnosis["only_send_conclusive"] is send_only
    assert diagnosis["suggest"] is suggest
    assert diagnosis["smtp_code"] == failure.code
    assert diagnosis["enhanced_status"] == failure.enhanced
    assert diagnosis["server_message"]


def test_every_category_is_produced_by_some_case():
    produced = {c[2] for c in CASES}
    assert produced == set(CATEGORIES)


def test_catalog_rows_are_well_formed():
    allowed = {"category", "hint", "stages", "condition", "exc", "ssl_reason", "verify", "codes", "enhanced",
               "text", "about", "not_about", "facts", "send_only", "send_only_if_stage", "suggest"}
    for row in CATALOG:
        assert set(row) <= allowed, row
        assert row["category"] in CATEGORIES
        assert set(row.get("stages", ())) <= set(STAGES)
        assert row["hint"].endswith(".")
        if "text" in row:
            re.compile(row["text"])
        assert set(row.get("about", ())) | set(row.get("not_about", ())) <= set(TOPICS), row
        for code in row.get("enhanced", ()):
            assert re.match(r"^[45x]\.[0-9]{1,3}\.[0-9]{1,3}$", code), code


def test_the_last_row_matches_anything():
    assert diagnose(Failure("data", exc=ValueError("strange")))["category"] == "protocol_error"


def test_structure_wins_over_text():
    # A greeting refusal stays a greeting failure whatever the text says (unless it names a blocklist).
    assert diagnose(reply("greeting", 554, None, "Relay access denied"))["category"] == "greeting_failure"
    # No row decides by a keyword alone: "relay" in a reply to AUTH is still an AUTH failure.
    assert diagnose(reply("auth", 535, None, "relay login failed"))["category"] == "auth_failed"
    # Same code, same enhanced status: only the text separates TLS from authentication.
    assert diagnose(reply("mail", 530, "5.7.0", "Must issue a STARTTLS command first"))["category"] == "tls_required"
    assert diagnose(reply("mail", 530, "5.7.0", "Authentication required",
                          authenticated=False))["category"] == "auth_required"


def test_server_message_describes_exceptions():
    diagnosis = diagnose(error("starttls", cert_error(18, "self-signed certificate"), "handshake"))
    assert "self-signed certificate" in diagnosis["server_message"]
    assert diagnosis["smtp_code"] is None


@pytest.mark.parametrize("exc,kind", [
    (socket.gaierror(-2, "x"), "dns"),
    (socket.timeout("x"), "timeout"),
    (ConnectionRefusedError(111, "x"), "refused"),
    (ConnectionClosed("x"), "closed"),
    (BrokenPipeError(32, "x"), "closed"),
    (ssl.SSLEOFError(8, "x"), "closed"),
    (DeadlineExceeded("x"), "deadline"),
    (BadReply("x"), "bad_reply"),
    (OSError(errno.EHOSTUNREACH, "x"), "unreachable"),
    (OSError(errno.EACCES, "x"), "os"),
    (None, None),
])
def test_exception_kinds(exc, kind):
    assert exception_kind(exc) == kind


@pytest.mark.parametrize("text,provider", [
    ("BN8PR12CA0012.outlook.office365.com Microsoft ESMTP MAIL Service ready", "Microsoft Exchange / 365"),
    ("email-smtp.amazonaws.com ESMTP SimpleEmailService", "Amazon SES"),
    ("smtp.sendgrid.net ESMTP service ready", "SendGrid"),
    ("mail.example.com ESMTP Postfix", None),
])
def test_late_sender_checkers_are_recognised(text, provider):
    assert late_sender_check(text) == provider


def test_no_row_decides_by_a_keyword_alone():
    # Every row that reads the text (a provider's wording, or what the text is about) also names the code (or
    # class) it applies to, and the stages unless the code itself is the demand for TLS. Token-endpoint rows
    # name the stage token and the condition token_refused instead: the reply is the provider's OAuth 2.0
    # error, which has no SMTP code.
    readers = [row for row in CATALOG if {"text", "about", "not_about"} & set(row)]
    assert len(readers) > 10
    for row in readers:
        if row.get("condition") == "token_refused":
            assert row["stages"] == ("token",), row
            continue
        assert "codes" in row, row
        assert "stages" in row or row["category"] == "tls_required", row
    for pattern in TOPICS.values():
        re.compile(pattern)
