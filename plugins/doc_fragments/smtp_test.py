# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):

    # Options of plugins/module_utils/_argspec.py TEST_ARGS.
    DOCUMENTATION = r'''
options:
  test:
    description:
      - How far the SMTP test goes.
      - V(none) no test.
      - V(connect) TCP connection (and implicit TLS) and the server greeting.
      - V(tls) also EHLO, STARTTLS where configured, EHLO again, and the certificate check.
      - V(auth) also AUTH with the configured credentials (one attempt, one mechanism).
      - V(envelope) also MAIL FROM O(test_sender), RCPT TO O(test_recipient) and DATA up to the 354 reply;
        then the connection is closed, so no message is delivered.
      - V(send) delivers one clearly labelled test message to O(test_recipient). Some servers (Exchange,
        Microsoft 365, Amazon SES, SendGrid) refuse a sender only after the message; only V(send) can
        detect that.
      - In check mode V(send) stops at V(envelope), with a warning.
    type: str
    choices: [none, connect, tls, auth, envelope, send]
    default: envelope
  test_sender:
    description:
      - The envelope sender (MAIL FROM) of the test, and the From of a V(send) test.
      - Default the From address of the settings, else O(username) when it is an address.
      - Required for O(test=envelope) and O(test=send) when there is no default.
    type: str
  test_senders:
    description:
      - Addresses the application will send as, besides O(test_sender); for an application that sends each
        user's mail from the user's own address, these are the users' addresses.
      - With O(test=envelope) and O(test=send) each one is tried in the same session before O(test_sender)
        (MAIL FROM and RCPT TO, then RSET; one AUTH for all). A server that lets the account send only as
        itself refuses one of them, and the test fails with C(diagnosis.category=sender_not_permitted) and
        the refused address in C(diagnosis.sender).
      - Default none. With C(app=corebos) (module M(mailops.smtp.outgoing_server)) and no O(from_email),
        coreBOS sends each user's mail from the user's own address, so the default is the addresses
        (C(vtiger_users.email1)) of up to three active coreBOS users other than the account itself.
      - V([]) turns the check off.
      - Servers that decide "send as" only after the message (Exchange, Microsoft 365) accept these envelopes;
        only O(test=send) is conclusive for them, and the test says so in a warning.
    type: list
    elements: str
    version_added: 1.1.0
  test_recipient:
    description:
      - The recipient of the test (RCPT TO). Default O(test_sender).
    type: str
  ehlo_name:
    description:
      - The name sent with EHLO. Default the fully qualified name of the host running the test.
    type: str
  timeout:
    description:
      - Seconds each network operation (connect, TLS handshake, each reply) may take.
      - A finite number greater than 0 and at most 3600.
    type: float
    default: 10
  deadline:
    description:
      - Seconds the whole test may take, including the search for a working alternative in
        C(diagnosis.suggestion). A server that sends one byte a second cannot hold a host for longer.
      - A finite number greater than 0 and at most 86400.
    type: float
    default: 30
  transcript:
    description:
      - When to return the SMTP dialogue in C(probe.transcript).
      - Credentials and the whole AUTH exchange are replaced by C(********).
    type: str
    choices: [on_failure, always, never]
    default: on_failure
'''
