"""The role in apply mode under --check: it tests, writes nothing, and the report names what would change."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = "apps@example.test"
PASSWORD = "Check-Mode-Relay 7"

PLAYBOOK = """
- name: Apply, in check mode
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
"""

GITEA_INI = """APP_NAME = Gitea
[mailer]
ENABLED = true
PROTOCOL = smtp
SMTP_ADDR = exchange.example.test
SMTP_PORT = 25
"""


def test_check_mode_apply_reports_the_drifted_settings_and_writes_nothing(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER: PASSWORD})
    config = tmp_path / "app.ini"
    config.write_text(GITEA_INI)
    before = os.stat(str(config))
    inventory = {"all": {"hosts": {"forge": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "outgoing_server_app": "gitea", "outgoing_server_path": str(config),
        "outgoing_server_server": relay.server,
        "outgoing_server_username": USER, "outgoing_server_password": PASSWORD, "outgoing_server_from_email": USER,
        "outgoing_server_timeout": 5, "outgoing_server_deadline": 10,
        "outgoing_server_report_dir": str(tmp_path / "reports"), "outgoing_server_service_restart": False,
    }}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_RETRY_FILES_ENABLED="false",
               SSL_CERT_FILE=relay.ca_bundle)  # Gitea has no CA setting: the relay's CA is in the trust store
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "--check", "-i",
         str(tmp_path / "inventory.json"), str(tmp_path / "playbook.yml")],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]

    after = os.stat(str(config))
    assert config.read_text() == GITEA_INI
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    report = json.loads((tmp_path / "reports" / "outgoing-server-apply.json").read_text())
    assert report["check_mode"] is True
    (row,) = report["hosts"]
    assert row["status"] == "drifted"
    assert row["changed"] is False
    assert {"host", "port", "security", "username", "password"} <= set(row["drift"])
    assert report["totals"]["by_status"]["drifted"] == 1
    relay.wait_sessions_closed(1)
    assert relay.messages == []  # the envelope test delivers nothing
    assert PASSWORD not in proc.stdout
    for path in (tmp_path / "reports").iterdir():
        assert PASSWORD not in path.read_text()
