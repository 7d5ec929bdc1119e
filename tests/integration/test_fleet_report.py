"""The fleet report as people see it: the HTML page rendered by a real headless browser (Debian chromium).

A real audit of four local hosts through the role (one compliant, one drifted, one whose SMTP test fails, one
unreachable) writes the report; chromium loads the HTML page, takes a screenshot (tests/output/) and dumps the
DOM it rendered, and the totals it shows must be the JSON report's totals.

A real apply on a small fleet (shared accounts, a refused login, a wrong port, backups, an unreachable host)
writes the report an infra lead decides from: chromium shows failures first, stored and desired server, drift
old -> new with the password masked, the server's reply, what changed and the backup file, and the host that
carried each credential set's full test. Its status filter is the page's own inline script, exercised by
chromium: ``?status=<status>`` clicks the filter button on load, and the DOM chromium dumps must show only the
rows of that status.
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
  environment:   # Grafana, Gitea and Mattermost have no CA setting: the relay's CA is in the trust store
    SSL_CERT_FILE: "{{ ssl_cert_file }}"
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: apply
        outgoing_server_report: false

- name: Audit the fleet
  hosts: all
  gather_facts: false
  environment:
    SSL_CERT_FILE: "{{ ssl_cert_file }}"
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


def fleet_vars(relay, work):
    """Group variables every host of these fleets shares: the relay, its account, the report directory."""
    return {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle,
            "outgoing_server_username": USER, "outgoing_server_password": PASSWORD,
            "outgoing_server_from_email": USER, "outgoing_server_timeout": 5, "outgoing_server_deadline": 10,
            "outgoing_server_service_restart": False, "outgoing_server_report_dir": str(work / "reports")}


def run_role(work, inventory, playbook):
    """Write the inventory and the playbook into ``work`` and run ansible-playbook there."""
    (work / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (work / "playbook.yml").write_text(playbook)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false",
               ANSIBLE_TIMEOUT="5", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_LOCALHOST_WARNING="false")
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(work / "inventory.yml"),
         str(work / "playbook.yml")],
        cwd=str(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        timeout=300, check=False)


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
            "vars": fleet_vars(relay, work),
            "hosts": {
                "up-to-date": dict(local, outgoing_server_app="grafana",
                                   outgoing_server_path=str(work / "up-to-date" / "grafana.ini")),
                "drifted": dict(local, outgoing_server_app="gitea",
                                outgoing_server_path=str(work / "drifted" / "app.ini")),
                "cannot-send": dict(local, outgoing_server_app="mattermost",
                                    outgoing_server_path=str(work / "cannot-send" / "config.json"),
                                    outgoing_server_server=m365.server, ssl_cert_file=m365.ca_bundle),
                "gone": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
                         "ansible_python_interpreter": "/usr/bin/python3", "outgoing_server_app": "grafana",
                         "outgoing_server_path": "/etc/grafana/grafana.ini"},
            },
        }}
        proc = run_role(work, inventory, PLAYBOOK)
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
    for external in ("<link", "src=", "href=", "url(", "@import"):
        assert external not in rendered  # self-contained: nothing to fetch
    assert rendered.count("<script>") == 1  # the page's own status filter, inline


APPLY_PLAYBOOK = """
- name: Roll out the new relay
  hosts: all
  gather_facts: false
  environment:   # the relay's CA in the trust store (the apps have no CA setting)
    SSL_CERT_FILE: "{{ ssl_cert_file }}"
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: apply
        outgoing_server_backup: true
"""

CRM_B_PASSWORD = "Outdated B pass"


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    from smtp_sandbox import SmtpSandbox

    relay = SmtpSandbox(security="starttls", users={USER: PASSWORD, "crm-b@example.test": "Current B pass"}).start()
    closed = SmtpSandbox(security="starttls").start()
    wrong_port = closed.port
    closed.stop()
    try:
        work = tmp_path_factory.mktemp("fleet-apply")
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        hosts = {}
        for name in ("grafana-eu-1", "grafana-eu-2", "grafana-us-1", "grafana-us-2", "grafana-ap-1"):
            (work / name).mkdir()
            (work / name / "grafana.ini").write_text("[smtp]\nenabled = true\nhost = exchange.example.test:25\n"
                                                     "user = old-relay\npassword = Old-Relay-Secret\n")
            hosts[name] = dict(local, outgoing_server_app="grafana",
                               outgoing_server_path=str(work / name / "grafana.ini"))
        hosts["grafana-ap-1"]["outgoing_server_port"] = wrong_port  # a typo in this host's inventory
        for name in ("forge-1", "forge-2"):
            (work / name).mkdir()
            (work / name / "app.ini").write_text(GITEA_INI)
            hosts[name] = dict(local, outgoing_server_app="gitea", outgoing_server_path=str(work / name / "app.ini"),
                               outgoing_server_username="crm-b@example.test",
                               outgoing_server_password=CRM_B_PASSWORD,
                               outgoing_server_from_email="crm-b@example.test")
        hosts["gone"] = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1,
                         "ansible_python_interpreter": "/usr/bin/python3", "outgoing_server_app": "grafana",
                         "outgoing_server_path": "/etc/grafana/grafana.ini"}
        inventory = {"all": {
            "vars": fleet_vars(relay, work),
            "hosts": hosts,
        }}
        proc = run_role(work, inventory, APPLY_PLAYBOOK)
        relay.wait_sessions_closed(6)
        logins = [s for s in relay.sessions if any(c.upper().startswith("AUTH") for c in s["commands"])]
    finally:
        relay.stop()
    assert proc.returncode in (2, 4), proc.stdout[-6000:]
    reports = work / "reports"
    report = json.loads((reports / "outgoing-server-apply.json").read_text())
    return {"report": report, "html": str(reports / "outgoing-server-apply.html"), "output": proc.stdout,
            "reports": reports, "logins": logins, "work": work}


def test_apply_report_has_what_an_infra_lead_decides_from(applied):
    report = applied["report"]
    by_host = {row["host"]: row for row in report["hosts"]}
    # Failures first.
    assert [row["status"] for row in report["hosts"]] == [
        "test_failed", "test_failed", "test_failed", "unreachable", "compliant", "compliant", "compliant",
        "compliant"]
    # Two accounts, two logins; the refused one blocks both forges, with the server's reply.
    assert len(applied["logins"]) == 2
    for name in ("forge-1", "forge-2"):
        row = by_host[name]
        assert (row["diagnosis"]["category"], row["diagnosis_source"]) == ("auth_failed", "credential_set")
        assert row["credential_set"]["carrier"] == "forge-1"
        assert row["reply"].startswith("535 5.7.8")
        assert (applied["work"] / name / "app.ini").read_text() == GITEA_INI
    assert (by_host["grafana-ap-1"]["diagnosis"]["category"], by_host["grafana-ap-1"]["diagnosis_source"]) == (
        "connection_refused", "host")
    eu = by_host["grafana-eu-1"]
    assert eu["changed"] and eu["stored_server"].startswith("tls://exchange.example.test:25")
    assert eu["server"] == by_host["grafana-eu-2"]["server"]
    assert eu["backup_file"] and os.path.exists(eu["backup_file"])
    drift = {d["setting"]: (d["before"], d["after"]) for d in eu["drift_detail"]}
    assert drift["username"] == ("old-relay", USER)
    assert drift["password"] == ("********", "********")
    assert eu["credential_set"]["carrier"] == "grafana-eu-1"
    assert eu["reply"].startswith("354")
    for path in applied["reports"].iterdir():
        text = path.read_text()
        for secret in (PASSWORD, CRM_B_PASSWORD, "Old-Relay-Secret"):
            assert secret not in text
            assert base64.b64encode(secret.encode()).decode() not in text


def _visible_rows(dom):
    rows = re.findall(r'<tr class="host" data-host="([^"]+)" data-status="(\w+)"[^>]*?( hidden(?:="")?)?>', dom)
    return [(host, status) for host, status, hidden in rows if not hidden]


def test_browser_shows_the_apply_report_and_filters_by_status(applied):
    os.makedirs(OUTPUT, exist_ok=True)
    url = "file://" + applied["html"]
    for name, query in (("fleet-report-apply.png", ""), ("fleet-report-apply-test_failed.png", "?status=test_failed")):
        screenshot = os.path.join(OUTPUT, name)
        if os.path.exists(screenshot):
            os.unlink(screenshot)
        shot = chromium("--window-size=1500,1250", "--screenshot=%s" % screenshot, url + query)
        assert shot.returncode == 0, shot.stderr[-3000:]
        with open(screenshot, "rb") as handle:
            png = handle.read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (1500, 1250)
        assert len(png) > 40000

    report = applied["report"]
    everything = chromium("--dump-dom", url)
    assert everything.returncode == 0, everything.stderr[-3000:]
    dom = everything.stdout
    assert _visible_rows(dom) == [(row["host"], row["status"]) for row in report["hosts"]]
    assert 'id="filter-state" data-shown="8"' in dom
    # What the page shows for a refused login and for a change: reply, carrier, drift old -> new, backup.
    assert "535 5.7.8" in dom and "carried by forge-1" in dom
    assert re.search(r"<code>username</code>: old-relay <span class=\"arrow\">\u2192</span> %s" % re.escape(USER), dom)
    assert re.search(r"<code>password</code>: \*{8} <span class=\"arrow\">\u2192</span> \*{8}", dom)
    eu = [row for row in report["hosts"] if row["host"] == "grafana-eu-1"][0]
    assert "backup: %s" % eu["backup_file"] in dom
    assert "354 End data with" in dom

    for status in ("test_failed", "compliant", "unreachable", "drifted"):
        filtered = chromium("--dump-dom", url + "?status=" + status)
        assert filtered.returncode == 0, filtered.stderr[-3000:]
        shown = _visible_rows(filtered.stdout)
        expected = [(row["host"], row["status"]) for row in report["hosts"] if row["status"] == status]
        assert shown == expected, status
        assert 'data-filter="%s"' % status in re.search(r"<body[^>]*>", filtered.stdout).group(0)
        assert re.search(r'data-filter="%s" id="filter-%s" aria-pressed="true"' % (status, status),
                         filtered.stdout)
        assert "Showing %d of %d hosts (%s)" % (len(expected), len(report["hosts"]), status) in filtered.stdout
