"""Every failure the SMTP sandbox can produce, and the diagnosis the probe must give it.

One table for the engine's unit tests (tests/unit/.../test_probe.py) and the module's integration test
(tests/integration/test_smtp_probe.py), so both check the same failure modes against the same expectations.
Probe options use the engine's names (``level``); ``security`` in the options means "connect to the sandbox's
host:port with this security mode", to provoke a wrong-TLS-mode failure.
"""


def sandbox_failure_matrix(user, password):
    """Rows of (id, sandbox config, probe options, category, stage) for a sandbox user with this password."""
    users = {user: password}

    def creds(**kwargs):
        return dict(username=user, password=password, **kwargs)

    return [
        # id, sandbox config, probe options, category, stage
        ("auth_failed", dict(security="starttls", users=users), dict(username=user, password="nope-nope"),
         "auth_failed", "auth"),
        ("auth_failed_gmail", dict(security="starttls", failure="auth_failed_gmail"), creds(),
         "auth_failed", "auth"),
        ("auth_failed_o365", dict(security="starttls", failure="auth_failed_o365"), creds(), "auth_failed", "auth"),
        ("basic_auth_disabled_o365", dict(security="starttls", failure="basic_auth_disabled_o365"), creds(),
         "auth_method_disabled", "auth"),
        ("app_password_required", dict(security="starttls", failure="app_password_required"), creds(),
         "auth_failed", "auth"),
        ("sender_not_owned", dict(security="starttls", users=users, failure="sender_not_owned"),
         creds(test_sender="ceo@example.test"), "sender_not_permitted", "mail"),
        ("send_as_denied", dict(security="starttls", users=users, failure="send_as_denied"),
         creds(level="send", test_sender="ceo@example.test"), "sender_not_permitted", "message"),
        ("unverified_sender", dict(security="starttls", users=users, failure="unverified_sender"),
         creds(level="send", test_sender="nobody@example.test"), "sender_not_permitted", "message"),
        ("relay_denied", dict(security="starttls", failure="relay_denied"), dict(test_sender="a@example.test"),
         "relay_denied", "rcpt"),
        ("relay_denied_temp", dict(security="starttls", failure="relay_denied_temp"),
         dict(test_sender="a@example.test"),
         "relay_denied", "rcpt"),
        ("rcpt_temp_451", dict(security="starttls", failure="rcpt_temp_451"), dict(test_sender="a@example.test"),
         "temporary_failure", "rcpt"),
        ("recipient_unknown", dict(security="starttls", failure="recipient_unknown"),
         dict(test_sender="a@example.test"),
         "recipient_rejected", "rcpt"),
        ("data_refused", dict(security="starttls", failure="data_refused"), dict(test_sender="a@example.test"),
         "message_rejected", "data"),
        ("message_rejected", dict(security="starttls", failure="message_rejected"),
         dict(level="send", test_sender="a@example.test"), "message_rejected", "message"),
        ("greeting_421", dict(security="starttls", failure="greeting_421"), dict(level="connect"),
         "greeting_failure", "greeting"),
        ("disconnect_after_ehlo", dict(security="starttls", failure="disconnect_after_ehlo"), dict(level="tls"),
         "protocol_error", "starttls"),
        ("stall_after_ehlo", dict(security="starttls", failure="stall_after_ehlo"), dict(level="tls", timeout=0.5),
         "timeout", "starttls"),
        ("no_banner", dict(security="plain", failure="no_banner"), dict(level="connect", timeout=0.5, suggest=False),
         "greeting_failure", "greeting"),
        ("no_banner_tls", dict(security="tls", failure="no_banner"), dict(level="connect", timeout=0.5),
         "greeting_failure", "greeting"),
        ("drip_banner", dict(security="plain", failure="drip_banner", drip_interval=0.3),
         dict(level="connect", timeout=1, deadline=1.5, suggest=False), "greeting_failure", "greeting"),
        ("auth_required", dict(security="starttls", auth_required=True, users=users), dict(test_sender=user),
         "auth_required", "mail"),
        ("tls_required", dict(security="starttls_required"), dict(security="none", test_sender="a@example.test"),
         "tls_required", "mail"),
        ("starttls_not_offered", dict(security="plain"), dict(security="starttls", level="tls"),
         "starttls_not_offered", "starttls"),
        ("implicit_tls_on_plain_port", dict(security="plain"), dict(security="tls", level="connect"),
         "tls_handshake_failure", "connect"),
        ("implicit_tls_on_starttls_port", dict(security="starttls"), dict(security="tls", level="connect"),
         "tls_handshake_failure", "connect"),
        ("plaintext_on_implicit_tls_port", dict(security="tls"),
         dict(security="starttls", level="connect", timeout=0.5),
         "greeting_failure", "greeting"),
        ("auth_not_offered", dict(security="starttls"), creds(level="auth"), "auth_not_offered", "auth"),
        ("auth_only_after_starttls", dict(security="starttls", users=users), creds(security="none", level="auth"),
         "auth_not_offered", "auth"),
        ("self_signed", dict(security="starttls", cert="self_signed"), dict(level="tls"),
         "tls_certificate_invalid", "starttls"),
        ("expired", dict(security="tls", cert="expired"), dict(level="tls"), "tls_certificate_invalid", "connect"),
        ("wrong_host", dict(security="starttls", cert="wrong_host"), dict(level="tls"),
         "tls_certificate_invalid", "starttls"),
        ("unknown_ca", dict(security="tls"), dict(level="tls", ca_path=None), "tls_certificate_invalid", "connect"),
    ]
