#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
module: outgoing_server_info
short_description: Read a web application's outgoing SMTP settings, test them, and report drift
version_added: 1.0.0
description:
  - Reads the outgoing-mail settings an application has stored (see O(app)) and returns them in the
    model's terms, the password masked.
  - With O(test), tests the STORED settings with a real SMTP dialogue and returns the result (the desired ones
    with O(test_settings=desired)).
  - With the desired settings (O(server) and the other settings), returns RV(drift), the list of settings
    whose stored value differs. Without O(server), no drift is computed.
  - Never changes anything.
  - A symlinked O(path) is read through; a device node, FIFO, socket or directory is refused without being
    opened in a blocking way. The file is read under a shared lock (see M(mailops.smtp.outgoing_server)), so
    it is never read while another run is between reading and writing it; no lock file is created.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connection
  - mailops.smtp.app_store
  - mailops.smtp.app_store.sender
  - mailops.smtp.smtp_test
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module never changes anything; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  validate_certs:
    description:
      - The desired certificate check (V(true) when O(server) is given and this is not).
    default: null
  test:
    description:
      - How far to test the stored settings. Default V(none) (no test).
    default: none
  create:
    description:
      - Whether M(mailops.smtp.outgoing_server) would create a missing file (its
        O(mailops.smtp.outgoing_server#module:create) option), so that this module predicts what applying the
        desired settings would say.
      - With V(false), as there by default, a missing file (or coreBOS table) is an error when the desired settings
        (O(server)) are given, exactly where M(mailops.smtp.outgoing_server) would fail.
      - With V(true), a missing file is read as nothing stored (RV(exists=false)) and every setting is drift.
      - Without O(server), a missing file is never an error; RV(exists) says whether it exists.
    type: bool
    default: false
    version_added: 1.1.0
  update_password:
    description:
      - With V(on_create), a stored password is never reported as drift.
    type: str
    choices: [always, on_create]
    default: always
  test_settings:
    description:
      - Which settings O(test) tests - V(stored), what the app uses now, or V(desired), the settings given
        (O(server) and the others), tested as M(mailops.smtp.outgoing_server) would before writing them.
      - With V(desired), one run reads the stored settings, computes RV(drift) and tests the desired settings
        from this host (the C(mailops.smtp.outgoing_server) role's host-local check); a failed test is
        returned in RV(test_ok), RV(test_msg) and RV(diagnosis), never as a task failure.
    type: str
    choices: [stored, desired]
    default: stored
    version_added: 1.3.0
seealso:
  - module: mailops.smtp.outgoing_server
  - module: mailops.smtp.smtp_probe
'''

EXAMPLES = r'''
- name: What is Grafana configured to use, and does it work?
  mailops.smtp.outgoing_server_info:
    app: grafana
    path: /etc/grafana/grafana.ini
    test: auth
  register: grafana_mail

- name: Fleet audit - which hosts drift from the standard?
  mailops.smtp.outgoing_server_info:
    app: nextcloud
    path: /var/www/nextcloud/config/config.php
    server: tls://smtp.example.com:587
    username: cloud@example.com
    password: "{{ vault_nextcloud_smtp_password }}"
    from_email: cloud@example.com
  register: audit

- name: Report the drift
  ansible.builtin.debug:
    msg: "{{ audit.drift | map(attribute='setting') | list }}"
  when: not audit.in_sync
'''

RETURN = r'''
exists:
  description: Whether the file exists.
  returned: always
  type: bool
configured:
  description: Whether an outgoing server is stored.
  returned: always
  type: bool
settings:
  description:
    - The stored settings in the model's terms (see M(mailops.smtp.outgoing_server)), the password
      masked (C(********)) with C(password_set). V(null) when nothing is stored.
  returned: always
  type: dict
  contains:
    server:
      description: V(scheme://host:port) of the stored main server.
      type: str
    host:
      description: The server host name (the C(xn--) form of an international name).
      type: str
    port:
      description: The port.
      type: int
    security:
      description: V(none), V(starttls) or V(tls).
      type: str
    validate_certs:
      description: Whether the application verifies the server certificate.
      type: bool
    auth:
      description: Whether the application authenticates.
      type: bool
    username:
      description: The SMTP user name.
      type: str
    password:
      description: C(********) when a password is stored, else V(null).
      type: str
    password_set:
      description: Whether a password is stored.
      type: bool
    from_email:
      description: The From address.
      type: str
    from_name:
      description: The sender name.
      type: str
  sample:
    server: tls://smtp.example.com:587
    host: smtp.example.com
    port: 587
    security: starttls
    validate_certs: true
    auth: true
    username: grafana@example.com
    password: "********"
    password_set: true
    from_email: grafana@example.com
    from_name: Grafana
drift:
  description:
    - The settings whose stored value differs from the desired one, in the model's terms.
    - Passwords are masked on both sides.
  returned: when O(server) is given
  type: list
  elements: dict
  contains:
    setting:
      description: The setting (V(host), V(port), V(security), V(validate_certs), V(auth), V(username),
        V(password), V(from_email), V(from_name)).
      type: str
    before:
      description: The stored value.
      type: raw
    after:
      description: The desired value.
      type: raw
  sample:
    - setting: port
      before: 25
      after: 587
    - setting: password
      before: "********"
      after: "********"
in_sync:
  description: Whether the stored settings match the desired ones (no drift).
  returned: when O(server) is given
  type: bool
test_ok:
  description: Whether the test of the stored settings (the desired ones with O(test_settings=desired)) passed.
  returned: when a test ran
  type: bool
test_settings:
  description: V(desired) when the test was of the desired settings.
  returned: when a test of the desired settings ran
  type: str
  version_added: 1.3.0
test_msg:
  description: One line saying why the test failed.
  returned: when a test ran and failed
  type: str
auth_method:
  description:
    - How the stored settings (what the app uses now) log in.
    - V(password) (a user name and password, Basic authentication), V(oauth2) (OAuth 2.0, O(oauth2)) or
      V(none).
  returned: always
  type: str
  sample: password
  version_added: 1.3.0
provider:
  description:
    - The mail provider when the stored server is one of its known endpoints, for example V(microsoft365)
      (C(smtp.office365.com), C(smtp-legacy.office365.com), and the connector relay C(*.mail.protection.outlook.com)),
      V(outlook_com), V(google) (C(smtp.gmail.com), C(smtp-relay.gmail.com)), V(yahoo), V(icloud), V(fastmail),
      V(zoho), V(amazon_ses), V(sendgrid), V(mailgun), V(postmark), V(brevo).
    - V(null) for any other server.
  returned: always
  type: str
  sample: microsoft365
  version_added: 1.3.0
advisories:
  description:
    - What will change for the stored login at the provider, each once. Empty when nothing applies.
    - V(basic_auth_retiring) for a password login to Microsoft 365's submission endpoints. Microsoft disables
      Basic authentication for SMTP AUTH by default for existing tenants at the end of December 2026 (the login
      then fails with C(550 5.7.30)); docs/m365.md gives each app's way out.
    - Judged by the stored settings, not the desired ones, so that an audit lists the hosts that will break.
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
  description: The evidence of the SMTP test (see M(mailops.smtp.smtp_probe)).
  returned: when a test ran
  type: dict
diagnosis:
  description: Why the test failed (see M(mailops.smtp.outgoing_server)).
  returned: when a test ran and failed
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.module_utils._outgoing import (
    outgoing_server_info_spec,
    run_outgoing_server_info,
)


def main():
    module = AnsibleModule(
        argument_spec=outgoing_server_info_spec(),
        supports_check_mode=True,
    )
    run_outgoing_server_info(module)


if __name__ == '__main__':
    main()
