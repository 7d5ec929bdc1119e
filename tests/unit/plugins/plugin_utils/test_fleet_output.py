"""What the role prints per host and in its summary (issue 24): one line per host, the totals in words, the
modules' warnings and messages in the role's terms, a failure registered with failed_when: false still a failure."""

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import (
    build_report,
    host_line,
    host_summary,
    render,
    totals_in_words,
)
from ansible_collections.mailops.smtp.plugins.plugin_utils._role_terms import in_role_terms, role_variable

MISSING = {"changed": False, "failed": False, "failed_when_result": False, "exists": False,
           "msg": "/etc/grafana/grafana.ini does not exist (use create: true to create it), so outgoing_server "
                  "would fail here too"}
READABLE = ("/etc/grafana/grafana.ini holds the SMTP password and every user on the host can read it; set mode: "
            "'0600' (or '0640' with the app's group)")


def test_a_failure_registered_with_failed_when_false_is_still_an_error_in_role_terms():
    summary = host_summary(MISSING, mode="audit", app="grafana", server="smtp.example.com:587")
    assert summary["status"] == "error"
    assert summary["message"].startswith("/etc/grafana/grafana.ini does not exist (use outgoing_server_create: true")
    assert host_line(summary) == "error: " + summary["message"]
    ok = {"changed": False, "failed": False, "failed_when_result": False, "drift": [{"setting": "host"}]}
    assert host_summary(ok, mode="audit", server="smtp.example.com")["status"] == "drifted"


def test_one_line_per_status():
    drifted = host_summary({"drift": [{"setting": "host"}, {"setting": "password"}]}, mode="audit",
                           server="smtp.example.com")
    assert host_line(drifted) == "drifted: host, password"
    failed = host_summary({"drift": []}, mode="audit", server="smtp.example.com", probe={
        "ok": False, "msg": "SMTP test failed",
        "diagnosis": {"category": "tls_certificate_invalid", "stage": "starttls", "hint": "Trust the CA."}})
    assert host_line(failed) == "test failed: tls_certificate_invalid at starttls - Trust the CA."
    written = host_summary({"changed": True, "warnings": [READABLE]}, mode="apply", server="smtp.example.com",
                           info={"drift": [{"setting": "port"}]})
    assert host_line(written) == (
        "compliant, changed: port - warning: /etc/grafana/grafana.ini holds the SMTP password and every user on "
        "the host can read it; set outgoing_server_file_mode: '0600' (or '0640' with the app's group)")
    assert host_line({"status": "compliant"}) == "compliant"
    long = host_line({"status": "error", "message": "x" * 500 + "\n\x1b[31m"})
    assert len(long) == 200 and long.endswith("\u2026") and "\n" not in long


def test_warnings_reach_every_format_once_per_host_in_role_terms():
    summary = host_summary({"changed": True, "warnings": [READABLE]}, mode="apply", server="smtp.example.com",
                           info={"drift": [], "warnings": [READABLE]})
    assert summary["warnings"] == [in_role_terms(READABLE)]
    report = build_report({"web1": summary, "web2": None}, ["web1", "web2"], mode="apply")
    rows = dict((row["host"], row) for row in report["hosts"])
    assert report["totals"]["warnings"] == 1 and rows["web1"]["warnings"] == summary["warnings"]
    assert "| web1 | %s |" % summary["warnings"][0] in render(report, "markdown")
    assert '<tr class="warning" data-host="web1"><td>web1</td>' in render(report, "html")
    for fmt in ("json", "markdown", "html"):
        assert "set mode:" not in render(report, fmt)


def test_totals_in_words():
    totals = {"hosts": 6, "changed": 0, "warnings": 0,
              "by_status": {"compliant": 0, "drifted": 4, "test_failed": 1, "error": 1, "unreachable": 0,
                            "not_run": 0}}
    assert totals_in_words(totals) == "6 hosts: 4 drifted, 1 test failed, 1 error"
    totals.update(changed=3, warnings=1, hosts=1)
    assert totals_in_words(totals).endswith("; 3 changed, 1 warning")
    assert totals_in_words({"hosts": 0, "by_status": {}}) == "0 hosts"


def test_role_terms():
    assert role_variable("mode") == "outgoing_server_file_mode"
    assert role_variable("port") == "outgoing_server_port"
    assert in_role_terms("port: 99999 is out of range") == "outgoing_server_port: 99999 is out of range"
    assert in_role_terms("(use create: true)") == "(use outgoing_server_create: true)"
    assert in_role_terms("the server: it said no") == "the server: it said no"  # not an instruction
    assert in_role_terms("modes: x") == "modes: x"


def test_the_host_local_check_inside_the_info_run_decides_like_a_probe_run():
    from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import local_check

    refused = {"changed": False, "drift": [{"setting": "host"}], "test_settings": "desired", "test_ok": False,
               "test_msg": "SMTP test failed at starttls", "diagnosis": {
                   "category": "tls_certificate_invalid", "stage": "starttls", "hint": "Trust the CA."}}
    assert local_check(refused) == {"ok": False, "msg": "SMTP test failed at starttls",
                                    "diagnosis": refused["diagnosis"]}
    assert local_check(dict(refused, test_settings=None)) is None  # a test of the stored settings is not it
    assert local_check({"drift": []}) is None
    for mode, kwargs in (("audit", {}), ("apply", {"info": refused})):
        result = refused if mode == "audit" else {"skipped": True}
        summary = host_summary(result, mode=mode, server="smtp.example.com", **kwargs)
        assert (summary["status"], summary["diagnosis_source"]) == ("test_failed", "host"), mode
        assert summary["diagnosis"]["category"] == "tls_certificate_invalid"
    passed = dict(refused, test_ok=True, test_msg=None, diagnosis=None,
                  probe={"stages": [{"reply": "220 2.0.0 Ready to start TLS"}]})
    summary = host_summary(passed, mode="audit", server="smtp.example.com")
    assert summary["status"] == "drifted" and summary["reply"] == "220 2.0.0 Ready to start TLS"
