"""The fleet report as people see it: the HTML page rendered by a real headless browser (Debian chromium).

A real audit of four local hosts through the role (one compliant, one drifted, one whose SMTP test fails, one
unreachable) writes the report; chromium loads the HTML page, takes a screenshot (tests/output/) and dumps the
DOM it rendered, and the totals it shows must be the JSON report's totals.
"""

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(ROOT, "tests", "output")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Report-Relay 2026!"
USER = "apps@example.test"

PLAYBOOK = """
- name: Bring one host up to the standard first
  hosts: up-to-date
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: apply
        outgoing_server_report: false

- name: Audit the fleet
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: audit
"""

GITEA_INI = """APP_NAME = Gitea
[mailer]
ENABLED = true
PROTOCOL = smtp
SMTP_ADDR = exchange.example.test
SMTP_PORT = 25
"""

MATTERMOST_JSON = {"EmailSettings": {"SMTPServer": "", "SMTPPort": "25", "ConnectionSecurity": ""}}


def chromium(*args, timeout=90):
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                   "--user-data-dir=%s" % profile] + list(args)
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=timeout, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    from smtp_sandbox import SmtpSandbox

    relay = SmtpSandbox(security="starttls", users={USER: PASSWORD}).start()
    m365 = SmtpSandbox(security="starttls", failure="auth_failed_o365").start()
    try:
        work = tmp_path_factory.mktemp("fleet-report")
        for host, name, text in (
            ("up-to-date", "grafana.ini", "[smtp]\n;host = localhost:25\n"),
            ("drifted", "app.ini", GITEA_INI),
            ("cannot-send", "config.json", json.dumps(MATTERMOST_JSON, indent=4) + "\n"),
        ):
            (work / host).mkdir()
            (work / host / name).write_text(text)
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        inventory = {"all": {
            "vars": {
                "outgoing_server_server": relay.server, "outgoing_server_ca_path": relay.ca_path,
                "outgoing_server_username": USER, "outgoing_server_password": PASSWORD,
                "outgoing_server_from_email": USER, "outgoing_server_timeout": 5, "outgoing_server_deadline": 10,
                "outgoing_server_service_restart": False, "outgoing_server_report_dir": str(work / "reports"),
            },
            "hosts": {
                "up-to-date": dict(local, outgoing_server_app="grafana",
                                   outgoing_server_path=str(work / "up-to-date" / "grafana.ini")),
                "drifted": dict(local, outgoing_server_app="gitea",
                                outgoing_server_path=str(work / "drifted" / "app.ini")),
                "cannot-send": dict(local, outgoing_server_app="mattermost",
                                    outgoing_server_path=str(work / "cannot-send" / "config.json"),
                                    outgoing_server_server=m365.server, outgoing_server_ca_path=m365.ca_path),
                "gone": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
                         "ansible_python_interpreter": "/usr/bin/python3", "outgoing_server_app": "grafana",
                         "outgoing_server_path": "/etc/grafana/grafana.ini"},
            },
        }}
        (work / "inventory.yml").write_text(yaml.safe_dump(inventory))
        (work / "playbook.yml").write_text(PLAYBOOK)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
                   ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false",
                   ANSIBLE_TIMEOUT="5", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_LOCALHOST_WARNING="false")
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(work / "inventory.yml"),
             str(work / "playbook.yml")],
            cwd=str(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=300, check=False)
    finally:
        relay.stop()
        m365.stop()
    # 4: a host was unreachable; the audit itself fails no host.
    assert proc.returncode == 4, proc.stdout[-6000:]
    reports = work / "reports"
    report = json.loads((reports / "outgoing-server-audit.json").read_text())
    return {"report": report, "html": str(reports / "outgoing-server-audit.html"), "output": proc.stdout,
            "reports": reports}


def test_audit_report_statuses(audited):
    report = audited["report"]
    assert {row["host"]: row["status"] for row in report["hosts"]} == {
        "up-to-date": "compliant", "drifted": "drifted", "cannot-send": "test_failed", "gone": "unreachable",
    }
    assert report["totals"]["by_category"] == {"auth_failed": 1}
    gone = [row for row in report["hosts"] if row["host"] == "gone"][0]
    assert gone["app"] == "grafana" and gone["diagnosis"] == {} and gone["drift"] == []
    for path in audited["reports"].iterdir():
        text = path.read_text()
        assert PASSWORD not in text
        assert base64.b64encode(PASSWORD.encode()).decode() not in text
    assert PASSWORD not in audited["output"]


def test_browser_shows_the_json_totals(audited):
    os.makedirs(OUTPUT, exist_ok=True)
    screenshot = os.path.join(OUTPUT, "fleet-report.png")
    if os.path.exists(screenshot):
        os.unlink(screenshot)
    url = "file://" + audited["html"]
    shot = chromium("--window-size=1280,1000", "--screenshot=%s" % screenshot, url)
    assert shot.returncode == 0, shot.stderr[-3000:]
    with open(screenshot, "rb") as handle:
        png = handle.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 1000)
    assert len(png) > 20000  # a blank page compresses to a few kB

    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-3000:]
    rendered = dom.stdout
    shown = {"%s-%s" % (kind, name): int(count) for kind, name, count in
             re.findall(r'id="(total|category)-([\w-]+)"[^>]*data-count="(\d+)"[^>]*>(?:\d+)<', rendered)}
    shown_text = {"%s-%s" % (kind, name): int(text) for kind, name, text in
                  re.findall(r'id="(total|category)-([\w-]+)"[^>]*>(\d+)<', rendered)}
    totals = audited["report"]["totals"]
    expected = {"total-hosts": totals["hosts"]}
    expected.update(("total-%s" % status, n) for status, n in totals["by_status"].items())
    expected.update(("category-%s" % category, n) for category, n in totals["by_category"].items())
    assert shown == expected
    assert shown_text == expected  # the number people read is the number machines read
    rows = re.findall(r'<tr class="host" data-host="([^"]+)" data-status="(\w+)"', rendered)
    assert sorted(rows) == sorted((row["host"], row["status"]) for row in audited["report"]["hosts"])
    for external in ("<script", "<link", "src=", "href=", "url("):
        assert external not in rendered  # self-contained: nothing to fetch
