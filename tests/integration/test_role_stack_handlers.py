"""The role applies the stack profiles and fires each app's handler: alertmanager reload, gitlab-ctl reconfigure,
matrix-synapse restart; a second run changes nothing and fires nothing.

``gitlab-ctl`` is a stand-in on PATH that records its arguments (the handler runs the real command name). The
service handlers cannot restart services on this machine, so a play handler listening on the role's topic records
which service and state they would use (``outgoing_server_service_restart: false`` for those hosts).
"""

import json
import os
import shutil
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "integration", "fixtures")
USER = "stack@example.test"
PASSWORD = "Stack 'Handlers' #{x} 100%"

PLAYBOOK = """
- name: Point the stack at the relay
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
  handlers:
    - name: Record what the service handler would do
      ansible.builtin.lineinfile:
        path: "{{ marker }}"
        line: >-
          {{ outgoing_server_service_name }} {{ outgoing_server_service_state }}
          {{ outgoing_server_apply_command | join(' ') }}
        create: true
        mode: "0600"
      listen: outgoing_server settings changed
"""

FAKE_GITLAB_CTL = """#!/bin/sh
echo "gitlab-ctl $*" >> "{marker}"
"""


def run_role(tmp_path, inventory, path_dir, ssl_cert_file):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_RETRY_FILES_ENABLED="false", PATH=str(path_dir) + os.pathsep + os.environ.get("PATH", ""),
               SSL_CERT_FILE=ssl_cert_file)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
         str(tmp_path / "playbook.yml")],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def test_each_stack_app_gets_its_own_handler(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER: PASSWORD})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    hosts = {}
    for app, fixture in (("alertmanager", "alertmanager.yml"), ("gitlab", "gitlab.rb"),
                         ("synapse", "homeserver.yaml")):
        config = tmp_path / fixture
        shutil.copyfile(os.path.join(FIXTURES, app, fixture), str(config))
        hosts[app] = {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "outgoing_server_app": app, "outgoing_server_path": str(config), "marker": str(tmp_path / (app + ".log")),
            "outgoing_server_server": relay.server,
            "outgoing_server_username": USER, "outgoing_server_password": PASSWORD,
            "outgoing_server_from_email": USER, "outgoing_server_test": "auth",
            "outgoing_server_timeout": 5, "outgoing_server_deadline": 10,
            "outgoing_server_report_dir": str(tmp_path / "reports"),
            "outgoing_server_service_restart": app == "gitlab",
        }
        if app == "gitlab":   # GitLab stores a CA file (smtp_ca_file); Alertmanager and Synapse read SSL_CERT_FILE
            hosts[app]["outgoing_server_ca_path"] = relay.ca_path
    gitlab_ctl = bin_dir / "gitlab-ctl"
    gitlab_ctl.write_text(FAKE_GITLAB_CTL.format(marker=tmp_path / "gitlab-ctl.log"))
    gitlab_ctl.chmod(gitlab_ctl.stat().st_mode | stat.S_IXUSR)
    inventory = {"all": {"hosts": hosts}}

    output = run_role(tmp_path, inventory, bin_dir, relay.ca_bundle)
    assert (tmp_path / "alertmanager.log").read_text() == "prometheus-alertmanager reloaded \n"
    assert (tmp_path / "synapse.log").read_text() == "matrix-synapse restarted \n"
    assert (tmp_path / "gitlab.log").read_text() == " restarted gitlab-ctl reconfigure\n"
    assert (tmp_path / "gitlab-ctl.log").read_text() == "gitlab-ctl reconfigure\n"  # the role's own handler ran it
    report = json.loads((tmp_path / "reports" / "outgoing-server-apply.json").read_text())
    assert [(row["status"], row["changed"]) for row in report["hosts"]] == [("compliant", True)] * 3

    output += run_role(tmp_path, inventory, bin_dir, relay.ca_bundle)  # nothing changes: no handler fires again
    report = json.loads((tmp_path / "reports" / "outgoing-server-apply.json").read_text())
    assert [(row["status"], row["changed"]) for row in report["hosts"]] == [("compliant", False)] * 3
    assert (tmp_path / "gitlab-ctl.log").read_text() == "gitlab-ctl reconfigure\n"
    assert (tmp_path / "alertmanager.log").read_text() == "prometheus-alertmanager reloaded \n"
    assert PASSWORD not in output
