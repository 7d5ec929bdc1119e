"""Fleet report: host summaries, totals, and the three renderings (what people and scripts read)."""

import base64
import datetime
import json

import pytest

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import (
    STATUSES,
    build_report,
    from_host_vars,
    host_summary,
    render,
)

SECRET = "s3cr3t-P@ss|<b>"
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
AUTH_FAILED = {
    "failed": True,
    "msg": "SMTP test failed at auth: 535 5.7.8 Authentication credentials invalid. Nothing was changed.",
    "diagnosis": {
        "category": "auth_failed", "stage": "auth", "server": "smtp.example.com:587", "smtp_code": 535,
        "enhanced_status": "5.7.8", "server_message": "Authentication credentials invalid",
        "hint": "Check the user name and password; Gmail needs an app password.",
    },
    "probe": {"transcript": ["C: AUTH PLAIN ********", "S: 535 5.7.8 Authentication credentials invalid"]},
}


def test_apply_failed_test_keeps_diagnosis_but_not_probe():
    summary = host_summary(AUTH_FAILED, mode="apply", app="grafana", server="smtp.example.com:587")
    assert summary["status"] == "test_failed"
    assert summary["diagnosis"]["category"] == "auth_failed"
    assert summary["diagnosis"]["stage"] == "auth"
    assert summary["diagnosis"]["hint"].startswith("Check the user name")
    assert "probe" not in summary and "transcript" not in json.dumps(summary)


def test_apply_failure_without_diagnosis_is_an_error():
    summary = host_summary({"failed": True, "msg": "unsupported setting from_name for app corebos\nmore"})
    assert summary["status"] == "error"
    assert summary["message"] == "unsupported setting from_name for app corebos"


@pytest.mark.parametrize(
    ("result", "check_mode", "status", "changed"),
    [
        ({"changed": False}, False, "compliant", False),
        ({"changed": True}, False, "compliant", True),
        ({"changed": True}, True, "drifted", False),
    ],
)
def test_apply_statuses(result, check_mode, status, changed):
    summary = host_summary(result, mode="apply", check_mode=check_mode)
    assert (summary["status"], summary["changed"]) == (status, changed)


def test_apply_check_mode_names_the_settings_that_would_change():
    info = {"drift": [{"setting": "host", "before": "old", "after": "new"}, {"setting": "password"}]}
    summary = host_summary({"changed": True}, check_mode=True, info=info)
    assert (summary["status"], summary["drift"], summary["changed"]) == ("drifted", ["host", "password"], False)
    # Outside check mode the drift found before the write is what was changed.
    applied = host_summary({"changed": True, "backup_file": "/etc/app.ini.1.bak~"}, check_mode=False, info=info)
    assert (applied["status"], applied["changed"], applied["drift"]) == ("compliant", True, ["host", "password"])
    assert applied["drift_detail"][0] == {"setting": "host", "before": "old", "after": "new"}
    assert applied["backup_file"] == "/etc/app.ini.1.bak~"
    # Nothing written: no drift to show.
    assert host_summary({"changed": False}, check_mode=False, info=info)["drift"] == []


def test_audit_drift_and_probe():
    info = {"settings": {"server": "old"}, "drift": [{"setting": "server", "before": "old", "after": "new"},
                                                     {"setting": "port", "before": 25, "after": 587}]}
    assert host_summary(info, mode="audit", probe={"ok": True})["status"] == "drifted"
    assert host_summary(info, mode="audit", probe={"ok": True})["drift"] == ["server", "port"]
    failed_probe = dict(AUTH_FAILED, failed=False, ok=False)
    summary = host_summary(info, mode="audit", probe=failed_probe)
    assert summary["status"] == "test_failed" and summary["drift"] == ["server", "port"]
    assert host_summary({"drift": []}, mode="audit", probe={"ok": True})["status"] == "compliant"
    assert host_summary({"failed": True, "msg": "cannot read"}, mode="audit")["status"] == "error"


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="mode"):
        host_summary({}, mode="fix")


def _fleet():
    summaries = {
        "web1": host_summary({"changed": True}, app="grafana", server="smtp.example.com:587"),
        "web2": host_summary(AUTH_FAILED, app="gitea", server="smtp.example.com:587"),
        "web3": host_summary({"changed": False}, app="nextcloud"),
        "gone": None,
        "later": None,
    }
    hosts = ["web1", "web2", "web3", "gone", "later"]
    return build_report(summaries, hosts, active_hosts=["web1", "web3", "later"], mode="apply",
                        secrets=[SECRET], apps={"gone": "redmine", "later": "discourse"}, now=NOW)


def test_totals_count_every_status_and_failed_categories():
    report = _fleet()
    totals = report["totals"]
    assert totals["hosts"] == 5
    assert totals["changed"] == 1
    assert totals["by_status"] == {"compliant": 2, "drifted": 0, "test_failed": 1, "error": 0,
                                   "unreachable": 1, "not_run": 1}
    assert list(totals["by_status"]) == list(STATUSES)
    assert totals["by_category"] == {"auth_failed": 1}
    # Failures first (test_failed, error, unreachable, drifted, not_run, compliant), inventory order within.
    assert [row["host"] for row in report["hosts"]] == ["web2", "gone", "later", "web1", "web3"]
    assert [row["status"] for row in report["hosts"]] == [
        "test_failed", "unreachable", "not_run", "compliant", "compliant"]
    assert [row["app"] for row in report["hosts"]] == ["gitea", "redmine", "discourse", "grafana", "nextcloud"]
    assert report["generated_at"] == "2026-01-02T03:04:05Z"


def test_secrets_are_scrubbed_in_clear_and_base64_and_every_rendering():
    leaky = dict(AUTH_FAILED)
    leaky["diagnosis"] = dict(AUTH_FAILED["diagnosis"], server_message="bad password %s or %s" % (
        SECRET, base64.b64encode(SECRET.encode()).decode()))
    report = build_report({"h": host_summary(leaky)}, ["h"], secrets=[SECRET], now=NOW)
    assert report["hosts"][0]["diagnosis"]["server_message"] == "bad password ******** or ********"
    for fmt in ("json", "markdown", "html"):
        text = render(report, fmt)
        assert SECRET not in text
        assert base64.b64encode(SECRET.encode()).decode() not in text
        assert "s3cr3t" not in text


def test_json_rendering_round_trips():
    report = _fleet()
    assert json.loads(render(report, "json")) == report


def test_markdown_has_totals_and_escapes_table_cells():
    report = build_report({"a|b": host_summary({"failed": True, "msg": "bad | value"})}, ["a|b"], now=NOW)
    text = render(report, "markdown")
    assert "| error | 1 |" in text
    assert "| a\\|b | " in text
    assert "bad \\| value" in text


def test_html_is_self_contained_escaped_and_exposes_totals():
    summaries = {"<script>": host_summary({"failed": True, "msg": "<img src=x onerror=alert(1)>"})}
    text = render(build_report(summaries, ["<script>"], now=NOW), "html")
    # The one script is the page's own filter, at the end; nothing from the data is markup.
    assert text.count("<script") == 1 and text.count("</script>") == 1
    assert text.index("<script>") > text.index('id="hosts"')
    assert "<img" not in text
    assert "&lt;script&gt;" in text
    for external in ("http://", "https://", "<link", "src=", "url(", "@import"):
        assert external not in text.replace("src=x", "")
    assert "default-src 'none'" in text
    text = render(_fleet(), "html")
    assert 'id="total-hosts" data-count="5"' in text
    assert 'id="total-compliant" data-status="compliant" data-count="2"' in text
    assert 'id="category-auth_failed" data-category="auth_failed" data-count="1"' in text


def test_render_rejects_unknown_format():
    with pytest.raises(ValueError, match="format"):
        render(_fleet(), "pdf")


def test_a_summary_from_an_earlier_play_in_the_other_mode_is_ignored():
    audit_summary = host_summary({"drift": []}, mode="audit", app="gitea", probe={"ok": True})
    report = build_report({"h": audit_summary}, ["h"], active_hosts=[], mode="apply", apps={"h": "gitea"}, now=NOW)
    assert report["hosts"][0]["status"] == "unreachable"
    assert report["hosts"][0]["app"] == "gitea"


def test_categories_follow_the_diagnosis_catalog_including_the_new_ones():
    from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATEGORIES

    names = ["sender_domain_policy", "client_blocked", "ehlo_rejected", "auth_failed", "not_in_catalog"]
    summaries = {}
    for i, category in enumerate(names):
        failed = dict(AUTH_FAILED, diagnosis=dict(AUTH_FAILED["diagnosis"], category=category))
        summaries["h%d" % i] = host_summary(failed)
    report = build_report(summaries, sorted(summaries), now=NOW)
    known = [c for c in CATEGORIES if c in names]
    assert list(report["totals"]["by_category"]) == known + ["not_in_catalog"]
    assert {"client_blocked", "ehlo_rejected", "sender_domain_policy"} <= set(known)
    html_text = render(report, "html")
    for category in names:
        assert 'id="category-%s" data-category="%s" data-count="1"' % (category, category) in html_text


def test_a_refused_login_of_the_credential_set_blocks_the_host_with_the_carrier_named():
    credential = {"shared": True, "key": "k", "server": "tls://smtp.example.com:587", "username": "u@example.com",
                  "level": "envelope"}
    verdict = {"verdict": "failed", "carrier": "web1", "level": "envelope", "reply": "535 5.7.8 invalid",
               "message": "SMTP test failed at stage auth", "diagnosis": dict(AUTH_FAILED["diagnosis"])}
    info = {"exists": True, "settings": {"server": "smtp://old.example.com:25"},
            "drift": [{"setting": "host", "before": "old.example.com", "after": "smtp.example.com"}]}
    summary = host_summary({"skipped": True}, mode="apply", server="tls://smtp.example.com:587", info=info,
                           local={"ok": True}, credential=credential, verdict=verdict)
    assert (summary["status"], summary["diagnosis_source"], summary["changed"]) == (
        "test_failed", "credential_set", False)
    assert summary["credential_set"]["carrier"] == "web1" and summary["reply"] == "535 5.7.8 invalid"
    assert "carried by web1" in summary["message"] and "nothing was changed" in summary["message"]
    assert summary["stored_server"] == "smtp://old.example.com:25"
    # The host's own failure wins: its path is what it must fix first.
    own = host_summary({"skipped": True}, mode="apply", info=info, credential=credential, verdict=verdict,
                       local={"ok": False, "diagnosis": {"category": "connection_refused", "stage": "connect"}})
    assert (own["diagnosis"]["category"], own["diagnosis_source"]) == ("connection_refused", "host")
    # A set that never got a carrier: the host is not written, and says why.
    untested = host_summary({"skipped": True}, mode="apply", info=info, credential=credential, verdict=None,
                            local={"ok": True})
    assert untested["status"] == "error" and "did not run" in untested["message"]


def test_host_variables_give_the_summary_registered_by_the_role_or_set_directly():
    """The role registers its "Show this host's result" task as __outgoing_server_summary (the summary is its
    msg); a summary set with set_fact is read as it is; a host without one, or whose task was skipped, has none."""
    summary = host_summary({"exists": True, "drift": []}, mode="audit", app="grafana")
    registered = {"msg": summary, "changed": False, "failed": False}
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    host_vars = [
        {"__outgoing_server_summary": registered, "outgoing_server_app": "grafana"},
        {"__outgoing_server_summary": summary, "outgoing_server_password": SECRET},
        {"outgoing_server_app": "gitea", "outgoing_server_login_password": "db-pw"},
        {"__outgoing_server_summary": skipped, "outgoing_server_oauth2": {
            "client_id": "app-id", "client_secret": "oauth-secret", "refresh_token": "oauth-refresh"}},
    ]
    summaries, apps, secrets = from_host_vars(["a", "b", "c", "d"], host_vars)
    assert summaries == {"a": summary, "b": summary, "c": None, "d": skipped}
    assert apps == {"a": "grafana", "b": "", "c": "gitea", "d": ""}
    # the OAuth secrets of outgoing_server_oauth2 are scrubbed like passwords; the client id is not a secret
    assert secrets == [SECRET, "db-pw", "oauth-secret", "oauth-refresh"]
    report = build_report(summaries, ["a", "b", "c", "d"], active_hosts=["a", "b", "c"], mode="audit", apps=apps,
                          now=NOW)
    assert [(row["host"], row["status"]) for row in report["hosts"]] == [
        ("d", "unreachable"), ("c", "not_run"), ("a", "compliant"), ("b", "compliant")]


RETIRING = {"id": "basic_auth_retiring", "severity": "warning", "since": "2026-12-31",
            "message": "smtp.office365.com takes a password login (Basic authentication) ... (docs/m365.md).",
            "extra": "not allowlisted"}


def test_advisories_are_listed_per_host_and_counted_in_every_rendering():
    stored_m365 = {"settings": {"server": "tls://smtp.office365.com:587"}, "drift": [], "auth_method": "password",
                   "provider": "microsoft365", "advisories": [RETIRING]}
    summaries = {
        "crm1": host_summary(stored_m365, mode="audit", probe={"ok": True}),
        "crm2": host_summary(stored_m365, mode="audit", probe=dict(AUTH_FAILED, failed=False, ok=False)),
        "relay": host_summary({"drift": [], "auth_method": "none", "advisories": []}, mode="audit",
                              probe={"ok": True}),
    }
    assert summaries["crm1"]["advisories"] == [{k: RETIRING[k] for k in ("id", "severity", "message", "since")}]
    assert (summaries["crm1"]["auth_method"], summaries["crm1"]["provider"]) == ("password", "microsoft365")
    # a failed test does not hide what will change at the provider
    assert summaries["crm2"]["status"] == "test_failed" and summaries["crm2"]["advisories"]
    report = build_report(summaries, ["crm1", "crm2", "relay"], mode="audit", now=NOW)
    assert report["totals"]["advisories"] == 2
    assert report["totals"]["by_advisory"] == {"basic_auth_retiring": 2}
    assert [row["host"] for row in report["hosts"] if row["advisories"]] == ["crm2", "crm1"]
    markdown = render(report, "markdown")
    assert "Advisories: **2** (basic_auth_retiring: 2 hosts)." in markdown
    assert markdown.count("| basic_auth_retiring | warning | 2026-12-31 |") == 2
    assert "advisory: basic_auth_retiring" in markdown
    html_text = render(report, "html")
    assert 'id="advisories-total" data-count="2"' in html_text
    assert 'id="advisory-basic_auth_retiring" data-advisory="basic_auth_retiring" data-count="2"' in html_text
    assert html_text.count('<tr class="advisory"') == 2
    assert ('data-host="crm1" data-status="compliant" data-category="" data-advisories="basic_auth_retiring"'
            in html_text)
    empty = build_report({"relay": summaries["relay"]}, ["relay"], mode="audit", now=NOW)
    assert empty["totals"]["advisories"] == 0 and "No advisory." in render(empty, "markdown")


def test_apply_takes_the_advisories_of_the_settings_it_wrote():
    before = {"settings": {"server": "tls://smtp.office365.com:587"}, "drift": [{"setting": "server"}],
              "auth_method": "password", "provider": "microsoft365", "advisories": [RETIRING]}
    moved = host_summary({"changed": True, "auth_method": "password", "provider": None, "advisories": []},
                         mode="apply", info=before)
    assert moved["advisories"] == [] and moved["provider"] == ""
    # the write did not run (skipped): the stored settings still log in the old way
    kept = host_summary({"skipped": True}, mode="apply", info=before)
    assert [a["id"] for a in kept["advisories"]] == ["basic_auth_retiring"]


HOSTILE = "\x1bc\x1b[2J\x1b]0;owned\x07\x9b31m\x85\u202egnp.exe"  # ESC c, CSI, OSC + BEL, C1 CSI, NEL, RLO


def test_control_characters_from_a_reply_are_escaped_in_every_rendering():
    """``cat report.md`` must not reset or rewrite the terminal: no raw C0 (but newline), DEL, C1 or bidi control
    reaches Markdown or HTML; JSON carries them as JSON escapes (its encoder's own)."""
    hostile = dict(AUTH_FAILED, msg="SMTP test failed: 554 %s" % HOSTILE)
    hostile["diagnosis"] = dict(AUTH_FAILED["diagnosis"], server_message=HOSTILE)
    report = build_report({"h": host_summary(hostile)}, ["h"], now=NOW)
    for fmt in ("json", "markdown", "html"):
        text = render(report, fmt)
        raw = [char for char in text if (ord(char) < 0x20 and char not in "\n\t") or 0x7f <= ord(char) <= 0x9f
               or char == "\u202e"]
        assert raw == [], (fmt, raw)
    assert json.loads(render(report, "json"))["hosts"][0]["diagnosis"]["server_message"] == HOSTILE
    assert "\\x1bc\\x1b[2J" in render(report, "markdown").replace("\\\\", "\\").replace("\\[", "[")
    html_text = render(report, "html")
    assert "\\x9b31m" in html_text and "\\u202egnp.exe" in html_text  # (NEL is a line break: one space)


def test_a_host_with_its_own_port_and_security_shows_its_own_server_spelled_as_the_stored_one():
    """Issue 24: the row shows the server the modules used for this host (outgoing_server_port/_security applied),
    in the modules' spelling, so stored and desired compare at a glance."""
    info = {"exists": True, "settings": {"server": "ssl://smtp.example.com:465"}, "drift": []}
    group = host_summary(info, mode="audit", app="grafana", server="smtp.example.com")
    own = host_summary(info, mode="audit", app="grafana", server="smtp.example.com", port=465, security="tls")
    assert group["server"] == "tls://smtp.example.com:587"  # the modules' spelling: tls:// is STARTTLS
    assert own["server"] == own["stored_server"] == "ssl://smtp.example.com:465"
    report = build_report({"a": group, "b": own}, ["a", "b"], mode="audit", now=NOW)
    markdown, page = render(report, "markdown"), render(report, "html")
    assert "tls://smtp.example.com:587" in markdown and "ssl://smtp.example.com:465" in markdown
    assert "tls://smtp.example.com:587" in page
    assert host_summary(info, mode="audit", server="not a server:x")["server"] == "not a server:x"


def test_apply_wording_a_set_counts_its_login_failures_and_changed_is_in_every_header():
    missing = {"failed": True, "exists": False,
               "msg": "/srv/app.ini does not exist (use create: true to create it), so outgoing_server would fail "
                      "here too"}
    applied = host_summary({"skipped": True}, mode="apply", info=missing)
    assert applied["status"] == "error"
    assert "would fail here too" not in applied["message"] and applied["message"].endswith("nothing was changed")
    audited = host_summary(missing, mode="audit")
    assert audited["message"].endswith("would fail here too")  # the audit predicts what apply would say

    credential = {"shared": True, "key": "k", "server": "tls://smtp.example.com:465", "username": "u@example.com",
                  "level": "envelope"}
    refused = {"verdict": "failed", "carrier": "web1", "level": "envelope", "reply": "535 5.7.8 invalid",
               "message": "SMTP test failed at stage auth", "diagnosis": dict(AUTH_FAILED["diagnosis"])}
    ok_info = {"exists": True, "settings": {"server": "tls://smtp.example.com:465"}, "drift": []}
    rows = {
        "web1": host_summary({"skipped": True}, mode="apply", info=ok_info, local={"ok": True},
                             credential=credential, verdict=refused),
        "web2": host_summary({"skipped": True}, mode="apply", info=missing, credential=credential,
                             verdict=refused),
    }
    report = build_report(rows, ["web1", "web2"], mode="apply", now=NOW)
    (entry,) = report["credential_sets"]
    assert (entry["hosts"], entry["failed_hosts"]) == (2, 1)  # web2 failed for its missing file, not the login

    written = host_summary({"changed": True, "advisories": []}, mode="apply", info=ok_info, local={"ok": True})
    report = build_report({"a": written, "b": rows["web2"]}, ["a", "b"], mode="apply", now=NOW)
    assert report["totals"]["changed"] == 1
    assert "Changed: **1** host(s)." in render(report, "markdown")
    assert 'id="changed-total" data-count="1"' in render(report, "html")
    assert json.loads(render(report, "json"))["totals"]["changed"] == 1
