#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r'''
module: fleet_report
short_description: Write the fleet report of the outgoing_server role on the controller
version_added: 1.2.0
description:
  - Builds the fleet report of the
    R(mailops.smtp.outgoing_server role,ansible_collections.mailops.smtp.outgoing_server_role) and writes its
    files (JSON, Markdown, HTML) into a directory of the controller, in one task. The role runs it once per
    play (or per C(serial) batch), with C(run_once).
  - Each host's masked summary (made by P(mailops.smtp.fleet_host_summary#filter)) is read from its variable
    C(__outgoing_server_summary), where the role's task that shows it sets it (a registered result whose
    C(msg) is the summary is read too). The host's app (C(outgoing_server_app)) and
    passwords (C(outgoing_server_password), C(outgoing_server_login_password)) are read with it, in one
    C(hostvars) lookup per host. The report is the one P(mailops.smtp.fleet_report#filter) builds and
    P(mailops.smtp.fleet_report_render#filter) renders; its strings are scrubbed of every password.
  - Each file is written to a temporary file in O(path) and renamed over the old one, mode C(0644). O(path) and
    its missing parents are created with mode C(0755).
  - Runs on the controller only (an action plugin); the hosts are not contacted.
author:
  - mailops.smtp maintainers (@mailops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - The report is written in check mode too (it changes nothing on the hosts); it says that the play ran in
        check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  path:
    description: The directory of the controller the files are written to.
    type: path
    required: true
  name:
    description: The file name without extension (V(outgoing-server-audit) gives C(outgoing-server-audit.json), ...).
    type: str
    required: true
  formats:
    description: The files to write; C(json), C(md) and C(html) are the extensions.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  hosts:
    description: Every host of the play (C(ansible_play_hosts_all)), in inventory order.
    type: list
    elements: str
    required: true
  active_hosts:
    description:
      - The hosts still in the play (C(ansible_play_hosts)). A host without a summary is V(unreachable) when it
        is not one of them, else V(not_run) (a later C(serial) batch). Default O(hosts).
    type: list
    elements: str
  mode:
    description: The role's mode; a summary left in the other mode (an earlier play) counts as none.
    type: str
    choices: [apply, audit]
    default: apply
  check_mode:
    description: Whether the play runs in check mode (C(ansible_check_mode)), shown in the report.
    type: bool
  secrets:
    description:
      - Passwords to scrub from every string of the report, in clear text, base64, HTML and JSON escaping,
        besides those found in the hosts' variables. Set the task's C(no_log).
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Write the fleet report of the role's hosts
  mailops.smtp.fleet_report:
    path: "{{ playbook_dir }}/reports"
    name: outgoing-server-audit
    hosts: "{{ ansible_play_hosts_all }}"
    active_hosts: "{{ ansible_play_hosts }}"
    mode: audit
    check_mode: "{{ ansible_check_mode }}"
    secrets: ["{{ smtp_password }}"]
  register: fleet_report
  run_once: true
  no_log: true  # secrets
'''

RETURN = r'''
files:
  description: The files written.
  returned: success
  type: list
  elements: str
  sample: [/srv/play/reports/outgoing-server-audit.json]
totals:
  description: The report's totals (see the C(totals) of P(mailops.smtp.fleet_report#filter)).
  returned: success
  type: dict
  sample: {"hosts": 2, "changed": 0, "by_status": {"compliant": 1, "drifted": 1, "test_failed": 0, "error": 0,
           "unreachable": 0, "not_run": 0}, "by_category": {}, "credential_sets": 1, "full_tests": 1,
           "advisories": 1, "by_advisory": {"basic_auth_retiring": 1}, "warnings": 0}
summary:
  description: The hosts per status in words (statuses without a host left out), then the changed hosts and the
    warnings when there are any.
  returned: success
  type: str
  sample: "6 hosts: 4 drifted, 1 test failed, 1 error"
msg:
  description: The summary in words, and where the report is.
  returned: success
  type: str
  sample: "6 hosts: 4 drifted, 1 test failed, 1 error. Fleet report: /srv/reports/outgoing-server-audit.{json,md,html}"
'''
