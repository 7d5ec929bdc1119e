"""A role audit lists the hosts that will break at Microsoft's Basic-authentication switch-off.

Three hosts store a password login to Microsoft 365 (Grafana, Gitea, Mattermost), one sends through the tenant's
connector relay (*.mail.protection.outlook.com, no login), one through another server. docs/m365.md's role audit,
run as written, writes the report; each of the three carries ``basic_auth_retiring`` in JSON,
Markdown and HTML, the header counts them, and ``outgoing_server_audit_fail_on: [basic_auth_retiring]`` fails exactly
those three hosts, after the report is written.
"""

import json
import os
import re
import sys

import pytest
from test_fleet_report import run_role

OLD_PASSWORD = "M365-Basic 2019!"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def doc_snippet(heading):
    """The YAML snippet of docs/m365.md whose text contains ``heading``, for the hosts of this test."""
    with open(os.path.join(ROOT, "docs", "m365.md"), encoding="utf-8") as handle:
        text = handle.read()
    snippet = next(m for m in re.findall(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
                   if heading in m)
    return snippet.replace("hosts: webapps", "hosts: all")


STORES = {
    "grafana-m365": ("grafana", "grafana.ini",
                     "[smtp]\nenabled = true\nhost = smtp.office365.com:587\nuser = grafana@contoso.example\n"
                     "password = %s\n" % OLD_PASSWORD),
    "gitea-m365": ("gitea", "app.ini",
                   "[mailer]\nENABLED = true\nPROTOCOL = smtp+starttls\nSMTP_ADDR = smtp.office365.com\n"
                   "SMTP_PORT = 587\nUSER = gitea@contoso.example\nPASSWD = %s\n" % OLD_PASSWORD),
    "mattermost-m365": ("mattermost", "config.json", json.dumps({"EmailSettings": {
        "SMTPServer": "smtp-legacy.office365.com", "SMTPPort": "587", "ConnectionSecurity": "STARTTLS",
        "EnableSMTPAuth": True, "SMTPUsername": "mm@contoso.example", "SMTPPassword": OLD_PASSWORD}}, indent=4)),
    "grafana-connector": ("grafana", "grafana.ini",
                          "[smtp]\nenabled = true\nhost = contoso-example.mail.protection.outlook.com:25\n"),
    "grafana-other": ("grafana", "grafana.ini",
                      "[smtp]\nenabled = true\nhost = mail.example.org:587\nuser = grafana@example.org\n"
                      "password = %s\n" % OLD_PASSWORD),
}
RETIRING = ["grafana-m365", "gitea-m365", "mattermost-m365"]


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    work = tmp_path_factory.mktemp("m365-audit")
    hosts = {}
    for host, (app, name, text) in STORES.items():
        (work / host).mkdir()
        (work / host / name).write_text(text)
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                       "outgoing_server_app": app, "outgoing_server_path": str(work / host / name)}
    group = {"outgoing_server_service_restart": False, "outgoing_server_report_dir": str(work / "reports")}
    # docs/m365.md's role audit, as written (only its host pattern is this test's)
    proc = run_role(work, {"all": {"vars": group, "hosts": hosts}}, doc_snippet("Audit the fleet against"))
    reports = work / "reports"
    return {"proc": proc, "json": json.loads((reports / "outgoing-server-audit.json").read_text()),
            "markdown": (reports / "outgoing-server-audit.md").read_text(),
            "html": (reports / "outgoing-server-audit.html").read_text()}


def test_each_password_login_to_microsoft_365_is_listed_and_counted(audit):
    report = audit["json"]
    rows = {row["host"]: row for row in report["hosts"]}
    assert sorted(rows) == sorted(STORES)
    for host in RETIRING:
        assert [a["id"] for a in rows[host]["advisories"]] == ["basic_auth_retiring"], rows[host]
        assert (rows[host]["auth_method"], rows[host]["provider"]) == ("password", "microsoft365")
        assert "December 2026" in rows[host]["advisories"][0]["message"]
        assert rows[host]["status"] == "drifted"  # the stored login differs from the standard (localhost:25)
    assert (rows["grafana-connector"]["provider"], rows["grafana-connector"]["advisories"]) == ("microsoft365", [])
    assert (rows["grafana-other"]["provider"], rows["grafana-other"]["advisories"]) == ("", [])
    assert report["totals"]["advisories"] == 3
    assert report["totals"]["by_advisory"] == {"basic_auth_retiring": 3}

    markdown = audit["markdown"]
    assert "Advisories: **3** (basic_auth_retiring: 3 hosts)." in markdown
    for host in RETIRING:
        assert "| %s | basic_auth_retiring | warning | 2026-12-31 |" % host in markdown
    html = audit["html"]
    assert 'id="advisories-total" data-count="3"' in html
    assert 'id="advisory-basic_auth_retiring" data-advisory="basic_auth_retiring" data-count="3"' in html
    for host in RETIRING:
        assert '<tr class="advisory" data-host="%s" data-advisory="basic_auth_retiring">' % host in html
    for text in (json.dumps(report), markdown, html, audit["proc"].stdout):
        assert OLD_PASSWORD not in text


def test_audit_fail_on_basic_auth_retiring_fails_exactly_those_hosts(audit):
    output = audit["proc"].stdout
    assert audit["proc"].returncode == 2, output[-6000:]
    recap = {}
    for line in output.splitlines():
        host = line.split(":", 1)[0].strip()
        if host in STORES and "ok=" in line:
            recap[host] = line
    for host in STORES:
        assert ("failed=1" in recap[host]) is (host in RETIRING), recap[host]
