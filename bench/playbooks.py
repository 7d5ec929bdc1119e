"""The benchmark playbooks, written to bench/output/work/playbooks/ at run time.

They live here rather than as .yml files so that ansible-lint (make lint, run with the project .venv,
which has no community.general) does not try to resolve the baselines' modules.
"""

PLAYBOOKS = {}

PLAYBOOKS["fleet_ping.yml"] = """\
---
# Floor of a module run: ansible.builtin.ping on every host.
- name: Fleet floor (ping)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""

PLAYBOOKS["fleet_outgoing_server.yml"] = """\
---
# mailops.smtp: audit every host's grafana.ini against the standard, with an envelope-level SMTP test.
- name: Fleet audit with mailops.smtp.outgoing_server (check mode)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Compare the stored SMTP settings with the standard and test them
      mailops.smtp.outgoing_server:
        app: grafana
        path: "{{ cfg_path }}"
        server: "{{ smtp_server }}"
        ca_path: "{{ smtp_ca }}"
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        from_email: "{{ smtp_from }}"
        from_name: "{{ smtp_from_name }}"
        test: envelope
        timeout: "{{ smtp_timeout }}"
        deadline: "{{ smtp_deadline }}"
      check_mode: true
"""

PLAYBOOKS["fleet_template_mail.yml"] = """\
---
# What users do today: render the whole file from a template (check mode, to see drift),
# then prove the settings work by sending a test mail.
- name: Fleet audit with template + community.general.mail
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Render the whole grafana.ini (check mode)
      ansible.builtin.template:
        src: "{{ grafana_template }}"
        dest: "{{ cfg_path }}"
        mode: "0644"
      check_mode: true

    - name: Send a test mail with the same settings
      community.general.mail:
        host: "{{ smtp_host }}"
        port: "{{ smtp_port }}"
        secure: starttls
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        sender: "{{ smtp_from }}"
        to: "{{ smtp_from }}"
        subject: "SMTP test from {{ inventory_hostname }}"
        body: "Test mail from the fleet audit."
        timeout: "{{ smtp_timeout | int }}"
      check_mode: false
"""

PLAYBOOKS["large_outgoing_server.yml"] = """\
---
- name: Set the SMTP keys in a large INI file with mailops.smtp.outgoing_server
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the SMTP settings without an SMTP test (the store cost alone)
      mailops.smtp.outgoing_server:
        app: grafana
        path: "{{ large_path }}"
        server: "{{ smtp_server }}"
        ca_path: "{{ smtp_ca }}"
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        from_email: "{{ smtp_from }}"
        from_name: "{{ smtp_from_name }}"
        test: none
"""

PLAYBOOKS["large_ini_file.yml"] = """\
---
- name: Set the SMTP keys in a large INI file with community.general.ini_file
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write each SMTP key
      community.general.ini_file:
        path: "{{ large_path }}"
        section: smtp
        option: "{{ item.option }}"
        value: "{{ item.value }}"
        mode: "0644"
      loop: "{{ ini_items }}"
      loop_control:
        label: "{{ item.option }}"
      no_log: true
"""

PLAYBOOKS["memory.yml"] = """\
---
# One module run of each kind on one host. The host's interpreter is a wrapper that records the peak RSS
# of the module process (/usr/bin/time -f %M), keyed by the AnsiballZ file name.
- name: Peak memory of one module run on a host
  hosts: rss
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:

    - name: Outgoing_server, check mode with envelope test (grafana.ini)
      mailops.smtp.outgoing_server:
        app: grafana
        path: "{{ cfg_path }}"
        server: "{{ smtp_server }}"
        ca_path: "{{ smtp_ca }}"
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        from_email: "{{ smtp_from }}"
        from_name: "{{ smtp_from_name }}"
        test: envelope
        timeout: "{{ smtp_timeout }}"
        deadline: "{{ smtp_deadline }}"
      check_mode: true

    - name: Smtp_probe, envelope test
      mailops.smtp.smtp_probe:
        server: "{{ smtp_server }}"
        ca_path: "{{ smtp_ca }}"
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        test_sender: "{{ smtp_from }}"
        test: envelope
        timeout: "{{ smtp_timeout }}"
        deadline: "{{ smtp_deadline }}"

    - name: Template, check mode (grafana.ini)
      ansible.builtin.template:
        src: "{{ grafana_template }}"
        dest: "{{ cfg_path }}"
        mode: "0644"
      check_mode: true

    - name: Mail, a test message
      community.general.mail:
        host: "{{ smtp_host }}"
        port: "{{ smtp_port }}"
        secure: starttls
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        sender: "{{ smtp_from }}"
        to: "{{ smtp_from }}"
        subject: SMTP test
        body: Test mail.
        timeout: "{{ smtp_timeout | int }}"

    - name: Ini_file, one key in the 50,000-line file
      community.general.ini_file:
        path: "{{ large_path }}"
        section: smtp
        option: host
        value: "{{ smtp_host }}:{{ smtp_port }}"
        mode: "0644"

    - name: Outgoing_server, the 50,000-line file (no SMTP test)
      mailops.smtp.outgoing_server:
        app: grafana
        path: "{{ large_path }}"
        server: "{{ smtp_server }}"
        ca_path: "{{ smtp_ca }}"
        username: "{{ smtp_user }}"
        password: "{{ smtp_password }}"
        from_email: "{{ smtp_from }}"
        from_name: "{{ smtp_from_name }}"
        test: none
"""

PLAYBOOKS["role_audit.yml"] = """\
---
# The mailops.smtp.outgoing_server role in audit mode: every host checks its own path (TLS, certificate, no
# login), one host logs in for the whole fleet (one credential set), and the fleet report is written.
- name: Fleet audit with the mailops.smtp.outgoing_server role
  hosts: fleet
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: audit
        outgoing_server_app: grafana
        outgoing_server_path: "{{ cfg_path }}"
        outgoing_server_server: "{{ smtp_server }}"
        outgoing_server_ca_path: "{{ smtp_ca }}"
        outgoing_server_username: "{{ smtp_user }}"
        outgoing_server_password: "{{ smtp_password }}"
        outgoing_server_from_email: "{{ smtp_from }}"
        outgoing_server_from_name: "{{ smtp_from_name }}"
        outgoing_server_timeout: "{{ smtp_timeout }}"
        outgoing_server_deadline: "{{ smtp_deadline }}"
        outgoing_server_report_dir: "{{ role_report_dir }}"
"""

# The same role in apply mode, run with --check by the harness (so every run finds the same drift): the same
# host-local checks and one login, then the module's write step (planned, not written) on every host.
PLAYBOOKS["role_apply.yml"] = (
    PLAYBOOKS["role_audit.yml"]
    .replace("outgoing_server_mode: audit",
             "outgoing_server_mode: apply\n        outgoing_server_service_restart: false")
    .replace("in audit mode: every host checks", "in apply mode (--check): every host checks")
    .replace("Fleet audit with", "Fleet apply with"))

PLAYBOOKS["report_render.yml"] = """\
---
# The role's report tasks alone, on a large fleet whose hosts already hold a summary (set from a sample).
- name: Render the fleet report of a large fleet
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Give every host a summary, as the role leaves it
      ansible.builtin.set_fact:
        __outgoing_server_summary: "{{ report_samples[inventory_hostname[4:] | int % report_samples | length] }}"

    - name: Write the fleet report with the role's report tasks
      ansible.builtin.include_role:
        name: mailops.smtp.outgoing_server
        tasks_from: report.yml
      vars:
        outgoing_server_app: grafana
        outgoing_server_mode: audit
        outgoing_server_report_dir: "{{ role_report_dir }}"
"""
