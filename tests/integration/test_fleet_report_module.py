"""mailops.smtp.fleet_report through ansible-playbook: the role's report writer, one controller-side task.

Three local hosts: two hold a summary (one of them with its password echoed in a server reply), one has none
(a later batch: not_run). The task writes the files into a directory that does not exist yet, in check mode,
and the files are read back: every host, failures first, check mode said, the inventory password scrubbed
from every file and from the output, modes 0755/0644. A bad format is refused naming the option, and nothing
is written.
"""

import json
import os
import stat
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "Inventory-Only pw 7"

PLAYBOOK = """
- name: Write the fleet report with mailops.smtp.fleet_report
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Leave a summary on the hosts that have one
      ansible.builtin.set_fact:
        __outgoing_server_summary: "{{ summary }}"
      when: summary is defined

    - name: Write the report
      mailops.smtp.fleet_report:
        path: "{{ report_dir }}"
        name: outgoing-server-audit
        formats: "{{ formats }}"
        hosts: "{{ ansible_play_hosts_all }}"
        active_hosts: "{{ ansible_play_hosts }}"
        mode: audit
        check_mode: "{{ ansible_check_mode }}"
      register: written
      run_once: true

    - name: Show the totals
      ansible.builtin.debug:
        msg: "{{ written.totals.by_status }} {{ written.files | map('basename') | list }}"
      run_once: true
"""


def summary(status, reply=""):
    return {"app": "grafana", "server": "tls://smtp.example.test:587", "stored_server": "", "mode": "audit",
            "status": status, "changed": False, "drift": [], "drift_detail": [], "diagnosis": {},
            "diagnosis_source": "", "message": "", "reply": reply, "backup_file": "", "credential_set": {}}


def run(tmp_path, report_dir, formats, check=True):
    inventory = {"fleet": {"hosts": {
        "web1": {"summary": summary("compliant")},
        "web2": {"summary": summary("drifted", reply="535 bad password %s" % PASSWORD),
                 "outgoing_server_password": PASSWORD, "outgoing_server_app": "grafana"},
        "web3": {"outgoing_server_app": "gitea"},
    }, "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_LOCALHOST_WARNING="false")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
               "-e", json.dumps({"report_dir": str(report_dir), "formats": formats}), str(tmp_path / "playbook.yml")]
    if check:
        command.append("--check")
    return subprocess.run(command, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)


def test_writes_every_host_scrubbed_in_check_mode(tmp_path):
    report_dir = tmp_path / "new" / "reports"
    proc = run(tmp_path, report_dir, ["json", "markdown", "html"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    names = sorted(os.listdir(str(report_dir)))
    assert names == ["outgoing-server-audit.html", "outgoing-server-audit.json", "outgoing-server-audit.md"]
    report = json.loads((report_dir / "outgoing-server-audit.json").read_text())
    assert report["check_mode"] is True and report["mode"] == "audit"
    assert [(row["host"], row["status"], row["app"]) for row in report["hosts"]] == [
        ("web2", "drifted", "grafana"), ("web3", "not_run", "gitea"), ("web1", "compliant", "grafana")]
    assert report["hosts"][0]["reply"] == "535 bad password ********"
    for name in names:
        assert PASSWORD not in (report_dir / name).read_text()
    assert PASSWORD not in proc.stdout
    assert "'compliant': 1, 'drifted': 1" in proc.stdout
    for directory in (report_dir.parent, report_dir):
        assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o755
    for name in names:
        assert stat.S_IMODE(os.stat(str(report_dir / name)).st_mode) == 0o644
    assert not [n for n in os.listdir(str(report_dir)) if n.endswith(".tmp")]


def test_a_bad_format_names_the_option_and_writes_nothing(tmp_path):
    report_dir = tmp_path / "reports"
    proc = run(tmp_path, report_dir, ["json", "pdf"], check=False)
    assert proc.returncode == 2, proc.stdout[-4000:]
    assert "formats" in proc.stdout and "pdf" in proc.stdout
    assert "Traceback" not in proc.stdout
    assert not report_dir.exists()
