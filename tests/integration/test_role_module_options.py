"""Module options reach the module through the role (issue 24 item 4): dialect and validate, which the role could not
pass before. The role's module_defaults are generated from the modules' argument specs (scripts/gen_role_options.py,
tests/unit/scripts/test_role_options.py); here a real run shows the values arriving: two hosts with other dotenv
dialects get other bytes for the same password (and python-dotenv, the app's reader, reads its host's back), and a
host whose validate command refuses the file keeps its bytes, with the report saying why."""

import json
import os
import subprocess
import sys

from dotenv import dotenv_values

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = "apps@example.test"
PASSWORD = 'Quote"d pass 24'
ENV_FILE = "DEBUG=False\nEMAIL_HOST=old.example.test\n"

PLAYBOOK = """
- name: Apply
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
"""


def test_dialect_and_validate_reach_the_module_from_the_role(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER: PASSWORD})
    hosts = {}
    for name, extra in (("py", {}), ("compose", {"outgoing_server_dialect": "docker-compose"}),
                        ("refused", {"outgoing_server_validate": "false %s"})):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".env").write_text(ENV_FILE)
        hosts[name] = dict({
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "outgoing_server_path": str(tmp_path / name / ".env")}, **extra)
    common = {"outgoing_server_app": "dotenv", "outgoing_server_server": relay.server,
              "outgoing_server_username": USER,
              "outgoing_server_password": PASSWORD, "outgoing_server_from_email": USER,
              "outgoing_server_timeout": 5, "outgoing_server_deadline": 10,
              "outgoing_server_report_dir": str(tmp_path / "reports"), "outgoing_server_service_restart": False}
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"hosts": hosts, "vars": common}}))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_RETRY_FILES_ENABLED="false",
               SSL_CERT_FILE=relay.ca_bundle)  # a .env app has no CA setting: the relay's CA is in the trust store
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inventory.json"),
         str(tmp_path / "playbook.yml")],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=300, check=False)
    assert "refused" in proc.stdout and proc.returncode != 0, proc.stdout[-6000:]  # only the refused host fails

    python_dotenv = (tmp_path / "py" / ".env").read_text()
    compose = (tmp_path / "compose" / ".env").read_text()
    assert dotenv_values(str(tmp_path / "py" / ".env"))["EMAIL_HOST_PASSWORD"] == PASSWORD
    assert "EMAIL_HOST_PASSWORD='Quote\"d pass 24'\n" in python_dotenv  # python-dotenv: single quotes
    assert 'EMAIL_HOST_PASSWORD="Quote\\"d pass 24"\n' in compose  # Compose: double quotes, \" escape
    assert (tmp_path / "refused" / ".env").read_text() == ENV_FILE

    report = json.loads((tmp_path / "reports" / "outgoing-server-apply.json").read_text())
    rows = {row["host"]: row for row in report["hosts"]}
    assert rows["py"]["changed"] is True and rows["compose"]["changed"] is True
    assert rows["refused"]["status"] == "error" and rows["refused"]["changed"] is False
    assert "validate" in json.dumps(rows["refused"])
    assert PASSWORD not in proc.stdout
