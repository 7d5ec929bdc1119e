#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
module: outgoing_server
short_description: Configure a web application's outgoing SMTP server, only if the settings work
version_added: 1.0.0
description:
  # BEGIN generated: module_description (scripts/gen_app_lists.py from the app registry; do not edit)
  - Writes the outgoing-mail (SMTP) settings of an application (Apache Airflow, Prometheus Alertmanager, coreBOS,
    Discourse, Django and other .env apps, Gitea (Forgejo), GitLab Omnibus, Grafana, Mattermost, msmtp, NetBox,
    Nextcloud, Postfix (relay client), Redmine, Matrix Synapse, or any INI, JSON, YAML, env or PHP file) in the
    application's own spelling.
  # END generated: module_description
  - "Order of work: validate the input, read the stored settings, test the NEW settings with a real SMTP
    dialogue (see O(test)), write only when the stored values differ, return."
  - When the test fails, nothing is written and the module fails with RV(diagnosis), which says what went
    wrong, where, and what to do.
  - Edits are surgical. Keys the module does not own, comments, order and layout stay byte for byte in INI,
    env, PHP and YAML files, and JSON files stay semantically identical with their indentation. A commented
    sample line (C(;host =)) is replaced in place; a missing section is created.
  - Writes are atomic (temporary file in the same directory, then rename) and keep the file's mode, owner
    and SELinux context. A new file is created with mode C(0600) because it holds a password, also through
    a temporary file, so an interrupted run never leaves an empty file.
  - A symlinked O(path) is followed to the file the application reads (relative links and chains too); the
    link stays and its target is updated. A device node, FIFO, socket or directory is refused without being
    opened in a blocking way, in check mode too.
  - Concurrent runs on one file serialise on an advisory lock (C(flock)) on the directory of the real file,
    held from reading to writing, so no change is lost and no lock file is left beside the configuration; a
    run waits at most 300 seconds for it. Temporary files are named C(.<name>.mailops-<pid>-<random>.tmp);
    the next run removes those left by a killed run (and the C(.<name>.mailops.lock) file of older versions).
  - O(owner), O(group) and O(mode) (octal or symbolic) are checked before anything is written (an unknown user
    or group, or a mode like C(u+q), fails naming the option, the file untouched) and given to the temporary
    file before the rename. When the run cannot give the new file the owner or group the file has (not root,
    for example a C(root:mailgrp 0660) file edited by a member of C(mailgrp), or a C(root:root) file in a
    directory the user may write), the task fails before writing, naming O(owner) or O(group); with
    O(unsafe_writes=true) a file this user may write is rewritten in place instead, keeping owner, group, mode
    and inode.
  - Every file system error (no space left, read-only file system, immutable file, permission denied) fails
    the task with one line naming the file and the reason, and nothing is changed.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - mailops.smtp.connection
  - mailops.smtp.app_store
  - mailops.smtp.app_store.sender
  - mailops.smtp.smtp_test
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.files
attributes:
  check_mode:
    support: full
    details:
      - The SMTP test runs (a V(send) test stops at V(envelope)); nothing is written; RV(changed) predicts the write.
  diff_mode:
    support: full
    details:
      - C(before) and C(after) are the whole file with every password masked, the old one read from the file
        included.
  platform:
    platforms: posix
  safe_file_operations:
    description: Uses Ansible's strict file operation functions to ensure proper permissions and avoid data
      corruption.
    support: full
options:
  state:
    description:
      - V(present) writes the settings (after a successful test); O(server) is required then.
      - V(absent) removes the keys the profile owns from the file (no test).
    type: str
    choices: [present, absent]
    default: present
  create:
    description:
      - Create the file (mode C(0600) unless O(mode) says otherwise) when it does not exist.
      - Without it, a missing file is an error.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the file before changing it; its name is returned in RV(backup_file).
      - The copy is written atomically next to the real file (the symlink target) with mode C(0600) at most,
        whatever the file's own mode, because it holds the old password.
    type: bool
    default: false
  validate:
    description:
      - A command that checks the new file before it replaces O(path), as in M(ansible.builtin.template) and
        M(ansible.builtin.lineinfile), for example V(php -l %s) (Nextcloud), V(amtool check-config %s)
        (Alertmanager) or V(python3 -m json.tool %s) (Mattermost).
      - The candidate is written to a temporary file in the same directory; V(%s) in the command is replaced by
        that file's path and is required. The command runs on the managed host without a shell (split into
        arguments like a shell would; no pipes, redirections or variables).
      - When the command exits non-zero or cannot run, the module fails naming O(validate), with the end of the
        command's output; the file keeps its bytes, inode and mtime, no backup is made, and the temporary file is
        removed.
      - Runs only when the file is written, so not in check mode and not when nothing changes. File-backed apps
        only (not V(corebos)).
      - The candidate holds the new password, as the application will read it; the password is masked in the
        module's result, but the command itself must not publish the file.
    type: str
    version_added: 1.1.0
  update_password:
    description:
      - V(always) writes O(password) whenever it differs from the stored one.
      - V(on_create) keeps a stored password (and tests with it); O(password) is only written when none is
        stored. O(password) may then be omitted.
    type: str
    choices: [always, on_create]
    default: always
notes:
  - The application usually has to be restarted (Grafana, Gitea, Redmine, Mattermost) or rebuilt
    (Discourse) to use the new settings; use a handler.
  - Environment variables (C(GF_SMTP_*), C(GITEA__mailer__*), C(MM_EMAILSETTINGS_*)) override the file in
    those applications; this module cannot see them.
seealso:
  - module: mailops.smtp.outgoing_server_info
  - module: mailops.smtp.smtp_probe
'''

EXAMPLES = r'''
- name: Point Grafana at the company relay (tested before it is written)
  mailops.smtp.outgoing_server:
    app: grafana
    path: /etc/grafana/grafana.ini
    server: tls://smtp.example.com:587
    username: grafana@example.com
    password: "{{ vault_grafana_smtp_password }}"
    from_email: grafana@example.com
    from_name: Grafana
    test_recipient: ops@example.com
  notify: Restart grafana-server

- name: Nextcloud over implicit TLS, keeping the password already stored
  mailops.smtp.outgoing_server:
    app: nextcloud
    path: /var/www/nextcloud/config/config.php
    server: ssl://mail.example.com:465
    username: cloud@example.com
    password: "{{ vault_nextcloud_smtp_password }}"
    update_password: on_create
    from_email: cloud@example.com
    backup: true

- name: Nextcloud, checked with PHP's own parser before the file is replaced
  mailops.smtp.outgoing_server:
    app: nextcloud
    path: /var/www/nextcloud/config/config.php
    server: tls://smtp.example.com:587
    username: cloud@example.com
    password: "{{ vault_nextcloud_smtp_password }}"
    validate: php -l %s

- name: Any INI file, with its own key names and spellings
  mailops.smtp.outgoing_server:
    app: generic
    format: ini
    path: /etc/myapp/mail.ini
    create: true
    keys:
      host: mail.host
      port: mail.port
      security: mail.encryption
      username: mail.user
      password: mail.password
      from_email: mail.from
    values:
      security: {none: "", starttls: tls, tls: ssl}
    server: smtp.example.com:587
    username: myapp@example.com
    password: "{{ vault_myapp_smtp_password }}"
    from_email: myapp@example.com

- name: Audit without changing anything (would this change, and does the new server work?)
  mailops.smtp.outgoing_server:
    app: gitea
    path: /etc/gitea/app.ini
    server: tls://smtp.example.com:587
    username: gitea@example.com
    password: "{{ vault_gitea_smtp_password }}"
    test: auth
  check_mode: true
  diff: true
  register: gitea_mail
'''

RETURN = r'''
changed:
  description: Whether the stored settings (or the file attributes) were changed, or would be in check mode.
  returned: always
  type: bool
settings:
  description:
    - The settings now stored (after the change), in the model's terms, the password masked.
    - V(null) when nothing is stored.
  returned: always
  type: dict
  contains:
    server:
      description: V(scheme://host:port) of the stored main server.
      type: str
      sample: tls://smtp.example.com:587
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
diff:
  description: C(before) and C(after) file contents with every password masked (diff mode only).
  returned: when diff mode is on
  type: dict
auth_method:
  description:
    - How the settings stored after this run log in.
    - V(password) (a user name and password, Basic authentication), V(oauth2) (OAuth 2.0, O(oauth2)) or
      V(none).
  returned: always
  type: str
  sample: password
  version_added: 1.3.0
provider:
  description:
    - The mail provider when that server is one of its known endpoints, for example V(microsoft365)
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
    - What will change for that login at the provider, each once. Empty when nothing applies.
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
    - The evidence of the SMTP test (per-stage timings and replies, banner, EHLO extensions, AUTH mechanisms,
      TLS version and certificate, and the C(transcript) with credentials masked).
    - See M(mailops.smtp.smtp_probe) for its contents.
  returned: when a test ran
  type: dict
diagnosis:
  description:
    - Why the SMTP test failed; the file was not changed.
    - C(category) is one of a fixed vocabulary (C(auth_failed), C(tls_certificate_invalid), C(relay_denied),
      C(client_blocked), C(ehlo_rejected), C(auth_method_disabled), C(sender_not_permitted),
      C(sender_domain_policy)...; the list and their
      meaning are in M(mailops.smtp.smtp_probe)).
    - C(sender) names the refused address when the server would not send as one of O(test_senders).
  returned: when the test failed
  type: dict
  contains:
    category:
      description: Why it failed.
      type: str
      sample: auth_failed
    stage:
      description: Where it failed (C(token) for the OAuth 2.0 grant, C(resolve), C(connect), C(greeting), C(ehlo),
        C(starttls), C(auth), C(mail), C(rcpt), C(data), C(message)).
      type: str
    server:
      description: The server tested.
      type: str
    smtp_code:
      description: The SMTP reply code.
      type: int
    enhanced_status:
      description: The enhanced status code, such as C(5.7.8).
      type: str
    server_message:
      description: The server's reply text.
      type: str
    hint:
      description: What to do about it.
      type: str
    suggestion:
      description: A server, port and security mode that would likely work, when one was found.
      type: dict
    sender:
      description: The envelope sender of the transaction that failed (the test sender or one of
        O(test_senders)); null before MAIL FROM.
      type: str
backup_file:
  description: The backup copy made before the change.
  returned: when O(backup=true) and the file was changed
  type: str
  sample: /etc/grafana/grafana.ini.12345.2026-01-01@12:00:00~
map_backup_file:
  description:
    - For O(app=postfix), the backup copy of the SASL password map's source file made before the change
      (RV(backup_file) is the copy of C(main.cf)).
  returned: when O(app=postfix), O(backup=true) and the map file existed and was changed
  type: str
  sample: /etc/postfix/sasl_passwd.12345.2026-01-01@12:00:00~
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailops.smtp.plugins.module_utils._outgoing import (
    outgoing_server_spec,
    run_outgoing_server,
)


def main():
    module = AnsibleModule(
        argument_spec=outgoing_server_spec(),
        required_if=[('state', 'present', ['server'])],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    run_outgoing_server(module)


if __name__ == '__main__':
    main()
