"""The fleet example (examples/fleet/run.sh): an audit, then a serial apply that stops at the failing host.

What users rely on: both runs leave a JSON, a Markdown and an HTML report whose totals agree; the audit writes
nothing; the apply changes the first batches, stops before the batch after the failed host, and changes
nothing there; the SMTP password is nowhere in the reports or the console output.
"""

import base64
import filecmp
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "fleet")
PASSWORD = "Fleet-Relay-2026!"
HOSTS = ["grafana-1", "gitea-1", "mattermost-1", "nextcloud-1", "redmine-1", "django-1"]
CONFIGS = {
    "grafana-1": "grafana.ini",
    "gitea-1": "app.ini",
    "mattermost-1": "config.json",
    "nextcloud-1": "config/config.php",
    "redmine-1": "config/configuration.yml",
    "django-1": ".env",
}


def markdown_totals(text):
    """Status counts from the Markdown report's totals table."""
    section = text.split("## Totals", 1)[1].split("##", 1)[0]
    totals = dict(re.findall(r"^\| (\w+) \| (\d+) \|$", section, re.M))
    totals["all"] = re.search(r"^\| \*\*all\*\* \| \*\*(\d+)\*\* \|$", section, re.M).group(1)
    return {key: int(value) for key, value in totals.items()}


def html_totals(text):
    """Counts from the HTML report's stable ids (total-<status>, total-hosts, category-<category>)."""
    found = re.findall(r'id="(total|category)-([\w-]+)"[^>]*data-count="(\d+)"', text)
    return {"%s-%s" % (kind, name): int(count) for kind, name, count in found}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet-example")
    env = dict(os.environ, VENV=os.path.dirname(os.path.dirname(sys.executable)), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run([os.path.join(EXAMPLE, "run.sh"), str(out)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:]
    reports = {}
    for mode in ("audit", "apply"):
        base = os.path.join(str(out), "reports", "outgoing-server-%s" % mode)
        reports[mode] = {}
        for ext in ("json", "md", "html"):
            with open("%s.%s" % (base, ext), encoding="utf-8") as handle:
                reports[mode][ext] = handle.read()
    return {"out": str(out), "output": proc.stdout, "reports": reports}


def statuses(report):
    return {row["host"]: row["status"] for row in report["hosts"]}


@pytest.mark.parametrize("mode", ["audit", "apply"])
def test_three_reports_agree_on_the_totals(fleet, mode):
    files = fleet["reports"][mode]
    report = json.loads(files["json"])
    totals = report["totals"]
    assert report["mode"] == mode
    assert sorted(row["host"] for row in report["hosts"]) == sorted(HOSTS)
    # Failures first, then the inventory order within each status.
    order = ["test_failed", "error", "unreachable", "drifted", "not_run", "compliant"]
    ranks = [order.index(row["status"]) for row in report["hosts"]]
    assert ranks == sorted(ranks)
    for status in order:
        same = [row["host"] for row in report["hosts"] if row["status"] == status]
        assert same == [host for host in HOSTS if host in same]
    assert totals["hosts"] == len(HOSTS) == sum(totals["by_status"].values())
    assert markdown_totals(files["md"]) == dict(totals["by_status"], all=totals["hosts"])
    expected_html = {"total-hosts": totals["hosts"]}
    expected_html.update(("total-%s" % status, n) for status, n in totals["by_status"].items())
    expected_html.update(("category-%s" % category, n) for category, n in totals["by_category"].items())
    assert html_totals(files["html"]) == expected_html
    for row in report["hosts"]:
        assert 'data-host="%s" data-status="%s"' % (row["host"], row["status"]) in files["html"]


def test_audit_finds_the_drift_and_the_host_that_cannot_send(fleet):
    report = json.loads(fleet["reports"]["audit"]["json"])
    assert statuses(report) == {
        "grafana-1": "drifted", "gitea-1": "drifted", "mattermost-1": "test_failed",
        "nextcloud-1": "drifted", "redmine-1": "drifted", "django-1": "drifted",
    }
    assert report["totals"]["by_category"] == {"auth_failed": 1}
    failed = [row for row in report["hosts"] if row["host"] == "mattermost-1"][0]
    assert failed["diagnosis"]["stage"] == "auth"
    assert failed["diagnosis"]["smtp_code"] == 535
    assert "Microsoft 365" in failed["diagnosis"]["hint"]
    grafana = [row for row in report["hosts"] if row["host"] == "grafana-1"][0]
    assert "host" in grafana["drift"] and "username" in grafana["drift"]


def test_apply_stops_at_the_batch_of_the_failing_host(fleet):
    report = json.loads(fleet["reports"]["apply"]["json"])
    # serial [1, 2, 3]: grafana-1 | gitea-1, mattermost-1 (fails) | the last batch never starts.
    assert statuses(report) == {
        "grafana-1": "compliant", "gitea-1": "compliant", "mattermost-1": "test_failed",
        "nextcloud-1": "not_run", "redmine-1": "not_run", "django-1": "not_run",
    }
    assert report["totals"]["changed"] == 2
    assert [row["app"] for row in report["hosts"] if row["status"] == "not_run"] == ["nextcloud", "redmine", "dotenv"]
    assert report["totals"]["by_category"] == {"auth_failed": 1}
    assert "PLAY RECAP" in fleet["output"]
    assert re.search(r"mattermost-1\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1", fleet["output"])


def test_only_the_applied_hosts_changed(fleet):
    hosts_dir = os.path.join(fleet["out"], "hosts")
    for host in ("mattermost-1", "nextcloud-1", "redmine-1", "django-1"):
        original = os.path.join(EXAMPLE, "files", host, CONFIGS[host])
        assert filecmp.cmp(original, os.path.join(hosts_dir, host, CONFIGS[host]), shallow=False), host
    with open(os.path.join(hosts_dir, "grafana-1", "grafana.ini"), encoding="utf-8") as handle:
        grafana = handle.read().splitlines()
    state = json.loads(open(os.path.join(fleet["out"], "sandbox", "vars.json"), encoding="utf-8").read())
    relay = state["sandbox"]["relay"]
    assert "host = %s:%s" % (relay["host"], relay["port"]) in grafana
    assert "user = apps@example.test" in grafana
    assert "# Grafana configuration (excerpt)" in grafana
    # Backups end with "~"; nothing else is left beside the file (no lock file: the lock is on the directory).
    assert sorted(n for n in os.listdir(os.path.join(hosts_dir, "grafana-1")) if not n.endswith("~")) == \
        ["grafana.ini"]
    backups = [name for name in os.listdir(os.path.join(hosts_dir, "grafana-1")) if name.endswith("~")]
    assert len(backups) == 1  # outgoing_server_backup: true in apply.yml


def test_no_password_in_reports_or_console(fleet):
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    auth_plain = base64.b64encode(b"\0apps@example.test\0" + PASSWORD.encode()).decode()
    texts = [fleet["output"]] + [text for files in fleet["reports"].values() for text in files.values()]
    for text in texts:
        assert PASSWORD not in text
        assert encoded not in text
        assert auth_plain not in text
