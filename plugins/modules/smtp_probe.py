#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
module: smtp_probe
short_description: Test an SMTP server with a real SMTP dialogue and diagnose failures
version_added: 1.0.0
description:
  - Runs the SMTP test that M(mailops.smtp.outgoing_server) runs before it writes settings, for any server,
    without touching any application.
  - The dialogue goes as far as O(test) says (connect, TLS, AUTH, envelope, or a real test message).
  - A failure is classified into a fixed vocabulary of categories (RV(diagnosis.category)), with the stage
    where it showed up, the server reply, and a hint. When another port or security mode would likely work,
    RV(diagnosis.suggestion) names the first that does, found without sending credentials.
  - Credentials are sent once, with one AUTH mechanism chosen from those the server offers, and only over TLS
    unless O(security=none).
  - The password never appears in the result, the transcript, or logs, in clear or base64.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connection
  - mailops.smtp.smtp_test
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - The test runs in check mode too, but O(test=send) stops at V(envelope) and says so in a warning.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
    details:
      - The module never changes anything.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  server:
    required: true
  from_email:
    description:
      - The From address of a O(test=send) message (the application's forced sender, like the coreBOS
        C(Email From) setting). The envelope sender O(test_sender) becomes the C(Reply-To).
      - Also the default of O(test_sender).
    type: str
  from_name:
    description:
      - The display name of the From address of a O(test=send) message.
    type: str
  fail_on_error:
    description:
      - Fail the task when the test fails.
      - With V(false) the task succeeds and returns RV(ok=false) and the RV(diagnosis), for audits.
    type: bool
    default: true
  suggest:
    description:
      - On failures that another port or security mode would likely avoid, try the alternatives without
        credentials within what is left of O(deadline), and return the first that works in
        RV(diagnosis.suggestion).
    type: bool
    default: true
notes:
  - O(test=envelope) (the default) closes the connection after the server's 354 reply to DATA, so no message
    is delivered. Servers such as Exchange, Microsoft 365, Amazon SES and SendGrid check the sender only after
    the message; only O(test=send) is conclusive for them.
  - Uses only the Python standard library on the target.
seealso:
  - module: mailops.smtp.outgoing_server
  - module: mailops.smtp.outgoing_server_info
'''

EXAMPLES = r'''
- name: Check that the submission server works with these credentials (no message is sent)
  mailops.smtp.smtp_probe:
    server: tls://smtp.example.com:587
    username: crm@example.com
    password: "{{ vault_smtp_password }}"

- name: Send a real test message, as coreBOS does when the admin saves the outgoing server
  mailops.smtp.smtp_probe:
    server: ssl://smtp.example.com:465
    username: crm@example.com
    password: "{{ vault_smtp_password }}"
    from_email: noreply@example.com
    from_name: Example CRM
    test: send
    test_recipient: admin@example.com

- name: Log in to Microsoft 365 with OAuth 2.0 (client credentials of an Entra ID application)
  mailops.smtp.smtp_probe:
    server: tls://smtp.office365.com:587
    username: crm@example.com
    oauth2:
      provider: microsoft
      tenant: example.onmicrosoft.com
      client_id: "{{ entra_app_id }}"
      client_secret: "{{ vault_entra_client_secret }}"
    test: auth

- name: Audit which hosts can reach the relay on port 25 (never fails, reports the diagnosis)
  mailops.smtp.smtp_probe:
    server: relay.internal.example.com:25
    security: none
    test: tls
    timeout: 5
    deadline: 15
    fail_on_error: false
  register: relay

- name: Show the category and the hint of hosts that failed
  ansible.builtin.debug:
    msg: "{{ relay.diagnosis.category }}: {{ relay.diagnosis.hint }}"
  when: not relay.ok

- name: Private CA, an IDNA host name, and the whole transcript for the record
  mailops.smtp.smtp_probe:
    server: bücher.example
    port: 587
    security: starttls
    ca_path: /etc/pki/internal-ca.pem
    ehlo_name: app01.example.com
    test: tls
    transcript: always
'''

RETURN = r'''
ok:
  description: Whether the test passed (every server, when O(server) lists several).
  returned: always
  type: bool
  sample: false
msg:
  description: One line; on failure the stage, the server reply and the hint.
  returned: always
  type: str
  sample: "SMTP test failed at stage auth on tls://smtp.gmail.com:587 (auth_failed): 535 5.7.8 Username and
    Password not accepted. Gmail rejected the password. Accounts with 2-step verification need an App Password."
auth_method:
  description:
    - How the tested settings log in.
    - V(password) (a user name and password, Basic authentication), V(oauth2) (OAuth 2.0, O(oauth2)) or
      V(none).
  returned: always
  type: str
  sample: password
  version_added: 1.3.0
provider:
  description:
    - The mail provider when the main server (or a backup server) is one of its known endpoints, for example
      V(microsoft365) (C(smtp.office365.com), C(smtp-legacy.office365.com), and the connector relay
      C(*.mail.protection.outlook.com)), V(outlook_com), V(google) (C(smtp.gmail.com), C(smtp-relay.gmail.com)),
      V(yahoo), V(icloud), V(fastmail), V(zoho), V(amazon_ses), V(sendgrid), V(mailgun), V(postmark), V(brevo).
    - V(null) for any other server.
  returned: always
  type: str
  sample: microsoft365
  version_added: 1.3.0
advisories:
  description:
    - What will change for this login at the provider, each once. Empty when nothing applies.
    - V(basic_auth_retiring) for a password login to Microsoft 365's submission endpoints. Microsoft disables
      Basic authentication for SMTP AUTH by default for existing tenants at the end of December 2026 (the login
      then fails with C(550 5.7.30)); docs/m365.md gives each app's way out.
  returned: always
  type: list
  elements: dict
  version_added: 1.3.0
  contains:
    id:
      description:
        - The advisory, for scripts and the role's C(outgoing_server_audit_fail_on), for example
          V(basic_auth_retiring).
      type: str
      sample: basic_auth_retiring
    severity:
      description: V(info), V(warning) or V(critical).
      type: str
      sample: warning
    message:
      description: What happens, from when, and what to do, naming the server.
      type: str
    since:
      description: The date (ISO 8601) from which it applies.
      type: str
      sample: '2026-12-31'
probe:
  description:
    - The evidence collected during the test. For several servers, the evidence of the first that failed
      (else of the first), and RV(probe.servers).
    - With O(test=none) only RV(probe.level).
  returned: always
  type: dict
  contains:
    server:
      description: The server tested, in canonical form.
      type: str
      sample: tls://smtp.example.com:587
    host:
      description: Host name (Unicode form for IDNA names) or IP address.
      type: str
    port:
      description: TCP port.
      type: int
    security:
      description: V(none), V(starttls) or V(tls).
      type: str
    level:
      description: How far the test was meant to go (V(envelope) when check mode downgraded V(send)).
      type: str
    address:
      description: The IP address connected to.
      type: str
    ehlo_name:
      description: The name sent with EHLO.
      type: str
    banner:
      description: The server greeting (without the 220 code).
      type: str
    extensions:
      description: The EHLO extensions of the last EHLO (inside TLS when TLS is used).
      type: list
      elements: str
    starttls_offered:
      description: Whether the plaintext EHLO offered STARTTLS.
      type: bool
    auth_mechanisms:
      description: The AUTH mechanisms offered on the connection used for AUTH.
      type: list
      elements: str
    auth_mechanism:
      description: The one mechanism used for the single AUTH attempt.
      type: str
    auth_challenge:
      description:
        - With O(oauth2), the JSON error a server sent in its C(334) challenge after refusing the token
          (RFC 7628; for example C(status), C(schemes), C(scope)), decoded. Also quoted in
          RV(diagnosis.server_message).
      type: dict
      returned: when the server refused an OAuth 2.0 token with a challenge
    oauth2:
      description:
        - With O(oauth2), the grant (V(access_token), V(client_credentials), V(refresh_token),
          V(jwt_bearer)), the C(token_url), the C(expires_in) and C(scope) the token endpoint returned, its
          C(http_status) on failure, and the C(seconds) the grant took. Never the token.
      type: dict
      returned: when O(oauth2) is set and the test reached AUTH
    tls:
      description: TLS evidence; null without TLS. After a certificate failure, the certificate as fetched
        without verification (C(verified=false)).
      type: dict
      contains:
        version:
          description: Protocol version, for example C(TLSv1.3).
          type: str
        cipher:
          description: Cipher suite name.
          type: str
        verified:
          description: Whether the certificate chain and host name were verified.
          type: bool
        certificate:
          description: Subject, issuer, C(subject_alt_names), C(not_before), C(not_after) (ISO 8601, UTC) and
            C(days_left) of the server certificate. A warning is given when C(days_left) is under 14.
          type: dict
    stages:
      description: Per stage, its name, the seconds it took, the server reply and C(failed=true) on the stage
        that failed.
      type: list
      elements: dict
    test_sender:
      description: The envelope sender used (O(test=envelope) and O(test=send)).
      type: str
    test_recipient:
      description: The recipient used (O(test=envelope) and O(test=send)).
      type: str
    test_senders:
      description: The addresses of O(test_senders) that were tried besides RV(probe.test_sender).
      type: list
      elements: str
    message_id:
      description: The Message-ID of the test message (O(test=send)).
      type: str
    elapsed:
      description: Seconds the whole test took.
      type: float
    transcript:
      description:
        - The SMTP dialogue, per O(transcript). Markers C(===) information, C(***) error, C( ->) sent,
          C(<- ) received, C( ~>) and C(<~ ) the same inside TLS.
        - The AUTH exchange is replaced by C(********).
      type: list
      elements: str
    servers:
      description: With several servers, one summary per server (C(server), C(ok), C(category), C(stage)).
      type: list
      elements: dict
diagnosis:
  description: Why the test failed.
  returned: when the test failed
  type: dict
  contains:
    category:
      description:
        - One of V(dns_failure), V(connection_refused), V(connection_timeout), V(greeting_failure),
          V(client_blocked), V(tls_handshake_failure), V(tls_certificate_invalid), V(starttls_not_offered),
          V(tls_required), V(ehlo_rejected), V(auth_not_offered), V(auth_failed), V(auth_required),
          V(auth_method_disabled), V(sender_not_permitted), V(sender_domain_policy), V(relay_denied),
          V(recipient_rejected), V(message_rejected), V(temporary_failure), V(protocol_error), V(timeout).
        - V(client_blocked) the server refuses this client host (blocklist, no reverse DNS, not an allowed
          network); V(ehlo_rejected) it refuses the EHLO/HELO name (set O(ehlo_name)); V(sender_domain_policy)
          the sender's domain failed SPF, DKIM or DMARC on this path; V(auth_method_disabled) the server no
          longer accepts this kind of login (Microsoft 365 C(550 5.7.30 Basic authentication is not supported for
          Client Submission), SMTP AUTH disabled for the tenant or mailbox) - the fix is OAuth 2.0, a relay or an
          admin's re-enable, not a new password. docs/troubleshooting.md explains each.
        - A reply is read as a whole, in the light of the dialogue - the stage, whether AUTH succeeded, the codes,
          and what the text is about. Before a successful AUTH "authentication required" or "send AUTH first"
          means V(auth_required), but "authentication checks" naming SPF, DKIM or DMARC are
          V(sender_domain_policy), as is a sending domain the provider has not verified. A refusal of the
          client's IP address is V(client_blocked) at any stage. A relay refusal after a successful AUTH is
          V(relay_denied) unless the text names the sender (V(sender_not_permitted)). A sending quota is
          V(temporary_failure), even as a 5xx.
      type: str
      sample: auth_failed
    stage:
      description:
        - One of V(token), V(resolve), V(connect), V(greeting), V(ehlo), V(starttls), V(auth), V(mail), V(rcpt),
          V(data), V(message).
        - V(token) is the OAuth 2.0 grant of O(oauth2), before any SMTP; RV(diagnosis.server_message) then holds
          the token endpoint's own error, for example C(invalid_client) followed by Entra ID's C(AADSTS7000215)
          text.
      type: str
      sample: auth
    server:
      description: The server that failed, in canonical form.
      type: str
    smtp_code:
      description: The SMTP reply code, or null when the failure was not a reply.
      type: int
      sample: 535
    enhanced_status:
      description: The enhanced status code of the reply (RFC 3463), or null.
      type: str
      sample: 5.7.8
    server_message:
      description: The text of the server reply, or a description of the network or TLS error.
      type: str
    hint:
      description: One or two sentences on what to do.
      type: str
    only_send_conclusive:
      description: True when the failure can only show up after the message, that is in a O(test=send).
      type: bool
    sender:
      description: The envelope sender of the transaction that failed (O(test_sender) or one of
        O(test_senders)); null before MAIL FROM.
      type: str
      sample: ann@example.com
    suggestion:
      description:
        - A port and security mode that work where these settings failed, found without credentials
          (null when none was found or searched).
        - C(verified_stage) is V(ehlo) (connection, TLS with certificate check, EHLO) or V(auth) (also AUTH
          offered, when credentials are set; never attempted). C(secure=false) marks plaintext, the last resort.
      type: dict
      sample: {server: "ssl://smtp.example.com:465", security: tls, port: 465, verified_stage: auth, secure: true}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.module_utils._argspec import smtp_probe_spec
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError


def main():
    argument_spec = smtp_probe_spec()
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp
    from ansible_collections.mailops.smtp.plugins.module_utils._providers import audit_settings
    from ansible_collections.mailops.smtp.plugins.module_utils._settings import Settings, TestOptions
    try:
        settings = Settings.for_test(params)
        result = probe_smtp(settings, TestOptions.from_params(params, module.check_mode))
    except SettingsError as exc:
        module.fail_json(msg=str(exc), option=exc.option)

    for warning in result['warnings']:
        module.warn(warning)
    returned = dict(changed=False, ok=result['ok'], msg=result['msg'], probe=result['probe'])
    returned.update(audit_settings(settings, params.get('oauth2')))
    if result['diagnosis'] is not None:
        returned['diagnosis'] = result['diagnosis']
    if not result['ok'] and params['fail_on_error']:
        module.fail_json(**returned)
    module.exit_json(**returned)


if __name__ == '__main__':
    main()
