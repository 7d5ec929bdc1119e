"""What a person reads from the role (issue 24): one line per host, no red errors for expected outcomes, the
summary in words, warnings in every report format in the role's own terms, and no password at -vvv.

Real ansible-playbook runs of the role against the aiosmtpd sandbox (local connection), as in
test_role_fleet_scale.py.
"""

import base64
import re
import urllib.parse

from test_role_fleet_scale import GRAFANA_INI, PASSWORD_A, USER_A, rows, run_fleet

PASSWORD = "Out put 2026/+&%!"  # characters that URL and base64 encodings change


def _account(relay, password):
    """Group variables: the relay and its one account (Grafana has no CA setting: its CA is in the trust store)."""
    return {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle,
            "outgoing_server_username": USER_A, "outgoing_server_password": password,
            "outgoing_server_from_email": USER_A}


def _hosts(work, count):
    hosts = {"web%02d" % i: {} for i in range(1, count + 1)}
    hosts["web02"] = {"outgoing_server_path": str(work / "web02" / "missing.ini")}  # a missing file: an error
    return hosts


def _show_lines(stdout):
    """The lines of the "Show this host's result" task: one per host."""
    block = stdout.split("Show this host's result]", 1)[1].split("\nTASK [", 1)[0]
    return [line for line in block.splitlines()[1:] if line.strip()]


def test_a_20_host_audit_reads_as_one_line_per_host_and_a_summary_in_words(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A})
    refusing = smtp_sandbox(security="starttls", failure="auth_failed_o365")
    common = _account(relay, PASSWORD_A)
    hosts = _hosts(tmp_path, 20)
    hosts["web03"] = {"outgoing_server_server": refusing.server, "ssl_cert_file": refusing.ca_bundle}
    proc, report = run_fleet(tmp_path, hosts, common)
    assert proc.returncode == 0, proc.stdout[-6000:]
    out = proc.stdout
    by_host = rows(report)
    assert by_host["web02"]["status"] == "error" and by_host["web03"]["status"] == "test_failed"
    # Expected outcomes (a missing file, a failed test in audit mode) are not shown as errors.
    for word in ("fatal", "ignoring", "FAILED", "[ERROR]", "censored"):
        assert word not in out, (word, out)
    shown = _show_lines(out)
    assert len(shown) == 20, shown
    line = dict((re.match(r"ok: \[(web\d\d)\]", text).group(1), text) for text in shown)
    assert "=> (item=drifted: host, port, security, validate_certs, auth, username, password, from_email)" \
        in line["web01"]
    assert "(item=error: %s does not exist (use outgoing_server_create: true to create it)" % (
        tmp_path / "web02" / "missing.ini") in line["web02"]
    assert "(item=test failed: auth_failed at auth (credential set, tested by web03) - Microsoft 365 says" \
        in line["web03"]
    assert "20 hosts: 18 drifted, 1 test failed, 1 error. Fleet report: " in out
    assert "'drifted': 18" not in out and '"drift_detail"' not in out  # no Python dict, no full result
    # The whole run at default verbosity: each task of the role prints one line per host (Ansible's default
    # callback), the recap another 20; the results themselves take one line each.
    assert len(out.splitlines()) <= 230, len(out.splitlines())
    assert PASSWORD_A not in out


def test_the_full_result_is_shown_at_v(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A})
    common = _account(relay, PASSWORD_A)
    proc, report = run_fleet(tmp_path, _hosts(tmp_path, 3), common, options=["-v"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    shown = "\n".join(proc.stdout.split("Show this host's result]", 1)[1].split("\nTASK [", 1)[0].splitlines())
    for text in ('"drift_detail"', '"credential_set"', '"carrier": "web01"', '"status": "error"',
                 '"reply": "354'):
        assert text in shown, (text, shown)
    assert rows(report)["web03"]["status"] == "drifted"
    assert PASSWORD_A not in proc.stdout


def _forms(secret, user):
    return [secret, base64.b64encode(secret.encode()).decode(),
            base64.b64encode(("\0%s\0%s" % (user, secret)).encode()).decode(),  # AUTH PLAIN
            urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), urllib.parse.quote(secret)]


def test_apply_warnings_reach_every_report_format_in_role_terms_and_no_password_at_vvv(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD})
    common = _account(relay, PASSWORD)
    hosts = {"open": {}, "closed": {"outgoing_server_file_mode": "0600"}}
    for name in hosts:
        (tmp_path / name).mkdir()
        (tmp_path / name / "grafana.ini").write_text(GRAFANA_INI)
        (tmp_path / name / "grafana.ini").chmod(0o644)
    proc, report = run_fleet(tmp_path, hosts, common, mode="apply", options=["-vvv"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    by_host = rows(report)
    assert by_host["open"]["changed"] and by_host["closed"]["changed"]
    readable = [w for w in by_host["open"]["warnings"] if "every user on the host can read it" in w]
    assert readable == ["%s holds the SMTP password and every user on the host can read it; set "
                        "outgoing_server_file_mode: '0600' (or '0640' with the app's group)"
                        % (tmp_path / "open" / "grafana.ini")], by_host["open"]["warnings"]
    assert not [w for w in by_host["closed"]["warnings"] if "can read it" in w]
    assert report["totals"]["warnings"] == len(by_host["open"]["warnings"]) + len(by_host["closed"]["warnings"])
    markdown = (tmp_path / "reports" / "outgoing-server-apply.md").read_text()
    page = (tmp_path / "reports" / "outgoing-server-apply.html").read_text()
    assert "| open | %s |" % readable[0] in markdown
    assert '<tr class="warning" data-host="open"><td>open</td><td>%s</td></tr>' % (
        readable[0].replace("'", "&#x27;")) in page
    for text in (markdown, page):
        assert "set mode:" not in text  # (Ansible itself prints the module's own [WARNING] as the module says it)
    # the write's result is hidden (no_log) at -vvv; the password in no encoding anywhere
    texts = [proc.stdout] + [p.read_text() for p in (tmp_path / "reports").iterdir()]
    for form in _forms(PASSWORD, USER_A):
        for text in texts:
            assert form not in text, form
    # and under --diff (the module's masked diff is shown), at -vvv too
    (tmp_path / "open" / "grafana.ini").write_text(GRAFANA_INI)
    proc, report = run_fleet(tmp_path, {"open": {}}, common, mode="apply", options=["-vvv", "--diff"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "+password = ********" in proc.stdout
    for form in _forms(PASSWORD, USER_A):
        assert form not in proc.stdout, form
