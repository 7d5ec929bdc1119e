# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet report for the outgoing_server role: per-host summaries, totals, and their JSON/Markdown/HTML renderings.

Runs on the controller only. A host summary is built from an allowlist of result fields (never the probe's
transcript, never a password), and every string of the report is scrubbed once more against the secrets the
caller passes in, in clear text and base64, before anything is rendered.
"""

from __future__ import annotations

import base64
import datetime
import html
import json

from ansible.errors import AnsibleError

from ansible_collections.mailops.smtp.plugins.module_utils._argspec import CONNECTION_ARGS
from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATEGORIES
from ansible_collections.mailops.smtp.plugins.module_utils._errors import APPLY_FAILS_TOO, SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._printable import escape_controls
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import scrub_data
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers
from ansible_collections.mailops.smtp.plugins.plugin_utils._role_terms import in_role_terms

STATUSES = ("compliant", "drifted", "test_failed", "error", "unreachable", "not_run")
STATUS_LABELS = {
    "compliant": "Compliant",
    "drifted": "Drifted",
    "test_failed": "SMTP test failed",
    "error": "Error",
    "unreachable": "Unreachable",
    "not_run": "Not run",
}
DIAGNOSIS_FIELDS = ("category", "stage", "server", "smtp_code", "enhanced_status", "server_message", "hint",
                    "sender")
SUGGESTION_FIELDS = ("server", "security", "port", "verified_stage", "secure")
ADVISORY_FIELDS = ("id", "severity", "message", "since")
# Failures first: the order of the host rows.
STATUS_ORDER = ("test_failed", "error", "unreachable", "drifted", "not_run", "compliant")
FAILED_STATUSES = ("test_failed", "error", "unreachable")
# The order of the filter buttons.
FILTER_ORDER = STATUS_ORDER
SCHEMA_VERSION = 2
REPLY_LIMIT = 300


def _plain(value):
    """Copy nested mappings/sequences of templating containers into plain dict/list/str values."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    return str(value)


def _pick(mapping, fields):
    mapping = mapping if isinstance(mapping, dict) else {}
    return dict((field, _plain(mapping[field])) for field in fields if mapping.get(field) not in (None, ""))


def allowlisted_diagnosis(result):
    """The diagnosis fields the report keeps (never the probe, never the transcript)."""
    diagnosis = _pick((result or {}).get("diagnosis"), DIAGNOSIS_FIELDS)
    suggestion = _pick(((result or {}).get("diagnosis") or {}).get("suggestion"), SUGGESTION_FIELDS)
    if suggestion:
        diagnosis["suggestion"] = suggestion
    return diagnosis


def server_reply(result):
    """The server's reply that decided a test: the refusal when it failed, else the last reply of the dialogue."""
    result = result if isinstance(result, dict) else {}
    diagnosis = result.get("diagnosis") or {}
    if isinstance(diagnosis, dict) and diagnosis:
        parts = [diagnosis.get(field) for field in ("smtp_code", "enhanced_status", "server_message")]
        text = " ".join(str(part) for part in parts if part not in (None, ""))
        if text and diagnosis.get("smtp_code") in (None, ""):
            text = "no reply: " + text  # a network or TLS error, not words from the server
    else:
        text = ""
        stages = ((result.get("probe") or {}).get("stages") or []) if isinstance(result.get("probe"), dict) else []
        for entry in reversed(stages):
            if isinstance(entry, dict) and entry.get("reply"):
                text = str(entry["reply"])
                break
    text = " ".join(text.split())
    return text[:REPLY_LIMIT - 1] + "\u2026" if len(text) > REPLY_LIMIT else text


def _drift_settings(drift):
    names = []
    for item in drift or []:
        name = item.get("setting") if isinstance(item, dict) else item
        if name is not None and str(name) not in names:
            names.append(str(name))
    return names


def _drift_detail(drift):
    """``[{setting, before, after}]`` from a drift list (values as the module returned them: masked)."""
    detail = []
    for item in drift or []:
        if isinstance(item, dict) and item.get("setting") is not None:
            detail.append({"setting": str(item["setting"]), "before": _plain(item.get("before")),
                           "after": _plain(item.get("after"))})
    return detail


def login_audit(result):
    """``(auth_method, provider, advisories)`` a module returned (``advisories`` allowlisted), or empty values."""
    result = result if isinstance(result, dict) else {}
    advisories = []
    for advisory in result.get("advisories") or []:
        picked = _pick(advisory, ADVISORY_FIELDS)
        if picked.get("id"):
            advisories.append(picked)
    return str(result.get("auth_method") or ""), str(result.get("provider") or ""), advisories


def _failed(result):
    """Whether a module run failed; the role's module tasks register with ``failed_when: false`` (an expected
    outcome is reported, not shown as a fatal error), which keeps the module's ``msg`` but sets ``failed`` false."""
    if not result:
        return False
    if result.get("failed") or result.get("ok") is False:
        return True
    return result.get("failed_when_result") is False and bool(result.get("msg"))


def _ran(result):
    return isinstance(result, dict) and bool(result) and not result.get("skipped")


def _message(result):
    msg = (result or {}).get("msg")
    return in_role_terms(str(msg).splitlines()[0]) if msg else ""


def _warnings(*results):
    """The warnings of the host's module runs, in role terms (``outgoing_server_file_mode``, not ``mode``), once
    each, in order."""
    found = []
    for result in results:
        if not isinstance(result, dict):
            continue
        for warning in result.get("warnings") or []:
            text = " ".join(in_role_terms(str(warning)).split())
            if text and text not in found:
                found.append(text)
    return found


def local_check(info):
    """The host-local check inside an ``outgoing_server_info`` result run with ``test_settings: desired`` (the
    role's one module run per host), shaped as an ``smtp_probe`` result (``ok``, ``msg``, ``diagnosis``,
    ``probe``); None when that result holds no such test."""
    if not isinstance(info, dict) or info.get("test_settings") != "desired" or "test_ok" not in info:
        return None
    check = {"ok": bool(info.get("test_ok"))}
    if info.get("test_msg"):
        check["msg"] = info["test_msg"]
    for key in ("diagnosis", "probe"):
        if info.get(key) is not None:
            check[key] = info[key]
    return check


def _stored_server(info):
    settings = (info or {}).get("settings") if isinstance(info, dict) else None
    return str(settings.get("server") or "") if isinstance(settings, dict) else ""


def desired_server(server, port=None, security=None):
    """The desired server as the modules spell the stored one (``scheme://host:port``, several joined by ``; ``),
    with the host's own port and security applied as the modules apply them; the text as given when it does not
    parse (the module says why)."""
    if server in (None, ""):
        return ""
    try:
        return "; ".join(spec.url() for spec in parse_servers(server, port=port, security=security))
    except (SettingsError, TypeError, ValueError):
        return str(server)


def _test_failure(summary, result, source):
    """Record a failed test (``source``: host or credential_set) on the summary."""
    summary["diagnosis"] = allowlisted_diagnosis(result)
    summary["diagnosis_source"] = source
    summary["status"] = "test_failed" if summary["diagnosis"].get("category") else "error"
    summary["message"] = _message(result)
    summary["reply"] = server_reply(result)


def _credential_summary(credential, verdict):
    if not isinstance(credential, dict) or not credential.get("shared"):
        return {}
    verdict = verdict if isinstance(verdict, dict) else {}
    return {"server": str(credential.get("server") or ""), "username": str(credential.get("username") or ""),
            "level": str(verdict.get("level") or credential.get("level") or ""),
            "carrier": str(verdict.get("carrier") or ""), "verdict": str(verdict.get("verdict") or "untested"),
            "reply": str(verdict.get("reply") or "")}


def host_summary(result, mode="apply", app="", server="", probe=None, check_mode=False, info=None,
                 credential=None, verdict=None, local=None, port=None, security=None):
    """Summarise one host's role results for the fleet report.

    ``mode: apply``: ``result`` is the registered ``outgoing_server`` result (skipped when the role did not
    write), ``info`` the ``outgoing_server_info`` result read before (stored settings and drift) and ``local``
    the host-local ``smtp_probe`` result.
    ``mode: audit``: ``result`` is the ``outgoing_server_info`` result and ``probe`` the host-local
    ``smtp_probe`` result.
    ``credential`` (from ``fleet_credential_set``) and ``verdict`` (the full test of the host's credential set,
    from ``fleet_carriers``) say whether the host's settings log in with a set tested once for many hosts.
    """
    if mode not in ("apply", "audit"):
        raise ValueError("mode must be 'apply' or 'audit', got %r" % (mode,))
    result = result if isinstance(result, dict) else {}
    if mode == "audit":
        info, local = result, (probe if probe is not None else local)
    info = info if isinstance(info, dict) else None
    local = local if _ran(local) else local_check(info)
    summary = {"app": str(app or ""), "server": desired_server(server, port, security),
               "stored_server": _stored_server(info),
               "mode": mode, "status": None, "changed": False, "drift": [], "drift_detail": [],
               "diagnosis": {}, "diagnosis_source": "", "message": "", "reply": "", "backup_file": "",
               "credential_set": _credential_summary(credential, verdict),
               "warnings": _warnings(info, local, result if mode == "apply" else None)}
    # How the app logs in and what will change at its provider: in audit mode the stored settings (what breaks
    # next), in apply mode the settings the write left (the module's result; the stored ones when it did not run).
    audited = result if mode == "apply" and "advisories" in result else info
    summary["auth_method"], summary["provider"], summary["advisories"] = login_audit(audited)
    shared = bool(summary["credential_set"])
    verdict = verdict if isinstance(verdict, dict) else {}
    if info is not None and not _failed(info):
        summary["drift"] = _drift_settings(info.get("drift"))
        summary["drift_detail"] = _drift_detail(info.get("drift"))
    if _failed(info):  # the store is missing (without create), unreadable or malformed: apply fails there too
        summary["status"] = "error"
        summary["message"] = _message(info)
        if mode == "apply":  # the prediction is the outcome here: say what happened
            summary["message"] = summary["message"].replace(APPLY_FAILS_TOO, "") + "; nothing was changed"
        return summary
    if local is not None and _failed(local):
        _test_failure(summary, local, "host")
        return summary
    if shared and verdict.get("verdict") != "passed":
        if verdict.get("verdict") in ("failed", "inconclusive") and verdict.get("diagnosis"):
            summary["diagnosis"] = dict(verdict["diagnosis"])
            summary["diagnosis_source"] = "credential_set"
            summary["status"] = "test_failed" if summary["diagnosis"].get("category") else "error"
            summary["reply"] = str(verdict.get("reply") or "")
            summary["message"] = "%s (full test of this credential set, carried by %s)%s" % (
                verdict.get("message") or "the full test failed", verdict.get("carrier") or "?",
                "" if mode == "audit" else "; nothing was changed")
        else:
            summary["status"] = "error"
            summary["message"] = "the full test of this host's credential set did not run%s%s" % (
                ": %s" % verdict["message"] if verdict.get("message") else "",
                "" if mode == "audit" else "; nothing was changed")
        return summary
    summary["reply"] = str(verdict.get("reply") or "") if shared else server_reply(local)
    if mode == "audit":
        summary["status"] = "drifted" if summary["drift"] else "compliant"
        return summary
    if _failed(result):
        _test_failure(summary, result, "host")
        return summary
    summary["backup_file"] = str(result.get("backup_file") or "")
    if result.get("changed"):
        # drift/drift_detail: what differed before this run, so what was (or, in check mode, would be) changed.
        summary["changed"] = not check_mode
        summary["status"] = "drifted" if check_mode else "compliant"
        if check_mode and not summary["drift"]:
            summary["drift"] = ["(settings differ)"]
    else:
        summary["status"] = "compliant"
        summary["drift"], summary["drift_detail"] = [], []
    return summary


def _secret_forms(secrets):
    forms = set()
    for secret in secrets or []:
        if secret is None or not str(secret):
            continue
        text = str(secret)
        forms.add(text)
        raw = text.encode("utf-8")
        forms.add(base64.b64encode(raw).decode("ascii"))
        forms.add(html.escape(text))
        forms.add(json.dumps(text)[1:-1])
    # Longest first, so that a secret containing another is replaced whole.
    return sorted(forms, key=len, reverse=True)


def _empty_row(app, mode, status):
    return {"app": str(app or ""), "server": "", "stored_server": "", "mode": mode, "status": status,
            "changed": False, "drift": [], "drift_detail": [], "diagnosis": {}, "diagnosis_source": "",
            "message": "", "reply": "", "backup_file": "", "credential_set": {}, "auth_method": "",
            "provider": "", "advisories": [], "warnings": []}


def _category_order(found):
    """Categories in the diagnosis catalog's order (unknown ones after, sorted)."""
    known = [category for category in CATEGORIES if category in found]
    return known + sorted(category for category in found if category not in CATEGORIES)


def _credential_sets(rows):
    """One entry per credential set seen in the rows, failed full tests first."""
    sets = {}
    for row in rows:
        credential = row.get("credential_set") or {}
        if not credential:
            continue
        ident = (credential.get("server"), credential.get("username"), credential.get("level"),
                 credential.get("carrier"))
        entry = sets.get(ident)
        if entry is None:
            entry = sets[ident] = {"server": credential.get("server", ""), "username": credential.get("username", ""),
                                   "level": credential.get("level", ""), "carrier": credential.get("carrier", ""),
                                   "verdict": credential.get("verdict", "untested"),
                                   "reply": credential.get("reply", ""), "category": "", "hosts": 0,
                                   "failed_hosts": 0}
        entry["hosts"] += 1
        if row["status"] in FAILED_STATUSES and row.get("diagnosis_source") == "credential_set":
            entry["failed_hosts"] += 1  # the set's failures are its login failures, not a host's missing file
        if row.get("diagnosis_source") == "credential_set" and not entry["category"]:
            entry["category"] = (row.get("diagnosis") or {}).get("category", "")
    rank = {"failed": 0, "inconclusive": 1, "untested": 2, "passed": 3}
    return sorted(sets.values(), key=lambda e: rank.get(e["verdict"], 2))


SUMMARY_VAR = "__outgoing_server_summary"
APP_VAR = "outgoing_server_app"
SECRET_VARS = ("outgoing_server_password", "outgoing_server_login_password")
# outgoing_server_oauth2: its secret suboptions (no_log in the modules' argument spec) are scrubbed like passwords.
OAUTH2_VAR = "outgoing_server_oauth2"
OAUTH2_SECRETS = tuple(name for name, spec in CONNECTION_ARGS["oauth2"]["options"].items() if spec.get("no_log"))


def host_var(host_vars, name):
    """One variable of a host's variables (``hostvars[host]``), or None; only that variable is templated."""
    try:
        return host_vars.get(name) if host_vars is not None else None
    except AnsibleError:  # an undefined or failing template in one host's variables must not sink the report
        return None


def _summary_of(value):
    """The summary in ``__outgoing_server_summary``: the role registers its "Show this host's result" task there
    (the summary is that result's ``msg``); a summary set directly (``set_fact``) is taken as it is."""
    if isinstance(value, dict) and "status" not in value and isinstance(value.get("msg"), dict):
        return value["msg"]
    return value


def from_host_vars(hosts, host_vars):
    """``(summaries, apps, secrets)`` read from each host's variables (one ``hostvars`` lookup per host)."""
    summaries, apps, secrets = {}, {}, []
    for host, variables in zip(_plain(hosts or []), host_vars or []):
        summaries[host] = _summary_of(host_var(variables, SUMMARY_VAR))
        apps[host] = host_var(variables, APP_VAR) or ""
        secrets.extend(host_var(variables, name) for name in SECRET_VARS)
        oauth2 = host_var(variables, OAUTH2_VAR)
        if isinstance(oauth2, dict):
            secrets.extend(oauth2.get(name) for name in OAUTH2_SECRETS)
    return summaries, apps, [str(secret) for secret in secrets if secret]


def build_report(summaries, hosts, active_hosts=None, mode="apply", check_mode=False, secrets=None, apps=None,
                 now=None):
    """Aggregate per-host summaries into the report (a JSON-ready dict), failures first.

    ``summaries`` maps host name to its summary, or to ``None`` when the host never got one; such a host is
    ``unreachable`` when it has left the play (``ansible_play_hosts``), else ``not_run`` (a later ``serial``
    batch that the play did not reach). ``apps`` (host to app, from the inventory) names their app.
    """
    summaries = _plain(summaries or {})
    apps = _plain(apps or {})
    active = set(_plain(active_hosts)) if active_hosts is not None else set(hosts or [])
    rows = []
    for host in _plain(hosts or []):
        summary = summaries.get(host)
        # A summary left by an earlier play in the other mode (audit, then apply) is not this play's result.
        if isinstance(summary, dict) and summary.get("status") in STATUSES and summary.get("mode") == mode:
            row = _empty_row("", mode, summary["status"])
            row.update(summary)
        else:
            row = _empty_row(apps.get(host), mode, "not_run" if host in active else "unreachable")
        rows.append(dict([("host", host)] + [(k, v) for k, v in row.items() if k != "host"]))
    rows.sort(key=lambda row: STATUS_ORDER.index(row["status"]))
    by_status = dict((status, 0) for status in STATUSES)
    by_category = {}
    for row in rows:
        by_status[row["status"]] += 1
        category = row["diagnosis"].get("category") if row["status"] == "test_failed" else None
        if category:
            by_category[category] = by_category.get(category, 0) + 1
    credential_sets = _credential_sets(rows)
    by_advisory = {}
    for row in rows:
        for advisory_id in sorted(set(a.get("id") for a in row.get("advisories") or [])):
            by_advisory[advisory_id] = by_advisory.get(advisory_id, 0) + 1
    now = now or datetime.datetime.now(datetime.timezone.utc)
    report = {
        "schema_version": SCHEMA_VERSION,
        "generator": "mailops.smtp.outgoing_server",
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": mode,
        "check_mode": bool(check_mode),
        "totals": {
            "hosts": len(rows),
            "changed": sum(1 for row in rows if row.get("changed")),
            "by_status": by_status,
            "by_category": dict((c, by_category[c]) for c in _category_order(by_category)),
            "credential_sets": len(credential_sets),
            "full_tests": sum(1 for entry in credential_sets if entry["carrier"]),
            "advisories": sum(len(row.get("advisories") or []) for row in rows),
            "warnings": sum(len(row.get("warnings") or []) for row in rows),
            "by_advisory": dict((key, by_advisory[key]) for key in sorted(by_advisory)),
        },
        "credential_sets": credential_sets,
        "hosts": rows,
    }
    return scrub_data(report, _secret_forms(_plain(secrets or [])))


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def _md(text):
    text = escape_controls(str(text if text is not None else ""))
    for char in ("\\", "|", "`", "*", "[", "]", "<", ">"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _value(value):
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _drift_lines(row):
    """``setting: old -> new`` for each drifted setting (values as stored in the report: masked)."""
    detail = row.get("drift_detail") or []
    if detail:
        return ["%s: %s \u2192 %s" % (d["setting"], _value(d.get("before")), _value(d.get("after"))) for d in detail]
    return list(row.get("drift") or [])


def _servers(row):
    stored, desired = row.get("stored_server") or "", row.get("server") or ""
    if stored and desired and stored != desired:
        return "%s \u2192 %s" % (stored, desired)
    return desired or stored


def _advisory_counts(totals):
    """``basic_auth_retiring: 3 hosts`` for each advisory of the report (empty when there is none)."""
    return ", ".join("%s: %d host%s" % (key, count, "" if count == 1 else "s")
                     for key, count in (totals.get("by_advisory") or {}).items())


def _advisory_rows(report):
    """``(host, advisory)`` for every advisory of every host, in the order of the host rows."""
    return [(row["host"], advisory) for row in report["hosts"] for advisory in row.get("advisories") or []]


def _detail(row):
    """One line of human-readable detail for a host row (with its advisories), shared by Markdown and HTML."""
    detail = _status_detail(row)
    ids = [a.get("id") for a in row.get("advisories") or [] if a.get("id")]
    return "%s - advisory: %s" % (detail, ", ".join(ids)) if ids else detail


def _status_detail(row):
    status = row["status"]
    diagnosis = row.get("diagnosis") or {}
    credential = row.get("credential_set") or {}
    if status == "test_failed":
        parts = ["%s at %s" % (diagnosis.get("category", "?"), diagnosis.get("stage", "?"))]
        if row.get("diagnosis_source") == "credential_set":
            parts.append("full test of the credential set, carried by %s" % (credential.get("carrier") or "?"))
        elif row.get("diagnosis_source") == "host":
            parts.append("from this host")
        if diagnosis.get("hint"):
            parts.append(diagnosis["hint"])
        if (diagnosis.get("suggestion") or {}).get("server"):
            parts.append("suggested: %s" % diagnosis["suggestion"]["server"])
        if row.get("mode") == "apply":
            parts.append("nothing was changed")
        return " - ".join(str(p) for p in parts)
    if status == "error":
        return row.get("message") or "failed"
    if status == "unreachable":
        return "host dropped out before reporting (unreachable or failed before the role's test)"
    if status == "not_run":
        return "not reached (the play stopped before this host's batch)"
    parts = []
    if status == "drifted":
        parts.append("would change: %s" % ", ".join(row.get("drift") or ["(settings differ)"])
                     if row.get("mode") == "apply" else "drift: %s" % ", ".join(row.get("drift") or []))
    elif row.get("changed"):
        parts.append("changed: %s" % (", ".join(row.get("drift") or []) or "file attributes"))
    else:
        parts.append("no change needed")
    if row.get("backup_file"):
        parts.append("backup: %s" % row["backup_file"])
    if credential.get("carrier"):
        parts.append("credentials tested once, by %s" % credential["carrier"])
    return " - ".join(parts)


STATUS_WORDS = {"compliant": "compliant", "drifted": "drifted", "test_failed": "test failed", "error": "error",
                "unreachable": "unreachable", "not_run": "not run"}
# The order of the summary in words: the bulk first, then what needs a look.
WORDS_ORDER = ("compliant", "drifted", "test_failed", "error", "unreachable", "not_run")
LINE_LIMIT = 200


def totals_in_words(totals):
    """``6 hosts: 4 drifted, 1 test failed, 1 error`` (statuses with no host left out; changed and warnings
    counted when there are any)."""
    hosts = totals.get("hosts", 0)
    counts = totals.get("by_status") or {}
    parts = ["%d %s" % (counts[status], STATUS_WORDS[status]) for status in WORDS_ORDER if counts.get(status)]
    text = "%d host%s" % (hosts, "" if hosts == 1 else "s")
    if parts:
        text += ": " + ", ".join(parts)
    extra = []
    if totals.get("changed"):
        extra.append("%d changed" % totals["changed"])
    if totals.get("warnings"):
        extra.append("%d warning%s" % (totals["warnings"], "" if totals["warnings"] == 1 else "s"))
    return text + ("; " + ", ".join(extra) if extra else "")


def host_line(summary):
    """One line saying a host's result: its status, what drifted (or changed), the diagnosis category and hint,
    and its warnings (the full summary is shown at -v)."""
    row = _empty_row("", "", "not_run")
    row.update(_plain(summary or {}))
    status = row["status"]
    diagnosis = row.get("diagnosis") or {}
    if status == "test_failed":
        text = "test failed: %s at %s" % (diagnosis.get("category", "?"), diagnosis.get("stage", "?"))
        if row.get("diagnosis_source") == "credential_set":
            text += " (credential set, tested by %s)" % ((row.get("credential_set") or {}).get("carrier") or "?")
        if diagnosis.get("hint"):
            text += " - %s" % diagnosis["hint"]
        if row.get("mode") == "apply":
            text += " - nothing was changed"
    elif status == "error":
        text = "error: %s" % (row.get("message") or "failed")
    elif status == "drifted":
        text = "drifted: %s" % ", ".join(row.get("drift") or ["(settings differ)"])
    elif row.get("changed"):
        text = "compliant, changed: %s" % (", ".join(row.get("drift") or []) or "file attributes")
    else:
        text = STATUS_WORDS.get(status, status)
    ids = [a.get("id") for a in row.get("advisories") or [] if a.get("id")]
    if ids:
        text += " - advisory: %s" % ", ".join(ids)
    for warning in row.get("warnings") or []:
        text += " - warning: %s" % warning
    text = " ".join(escape_controls(text).split())
    return text[:LINE_LIMIT - 1] + "\u2026" if len(text) > LINE_LIMIT else text


def _warning_rows(report):
    """``(host, warning)`` for every warning of every host, in the order of the host rows."""
    return [(row["host"], warning) for row in report["hosts"] for warning in row.get("warnings") or []]


def render_markdown(report):
    totals = report["totals"]
    lines = [
        "# Outgoing SMTP fleet report",
        "",
        "Mode: **%s**%s. Generated %s by %s." % (
            report["mode"], " (check mode)" if report["check_mode"] else "", report["generated_at"],
            report["generator"]),
        "",
        "Advisories: **%d**%s." % (totals.get("advisories", 0),
                                   " (%s)" % _advisory_counts(totals) if totals.get("by_advisory") else ""),
        "",
        "## Totals",
        "",
        "| status | hosts |",
        "|---|---:|",
    ]
    for status in STATUSES:
        lines.append("| %s | %d |" % (status, totals["by_status"][status]))
    lines.append("| **all** | **%d** |" % totals["hosts"])
    check_note = " (check mode: nothing is changed, the drifted hosts would be)" if report["check_mode"] else ""
    lines += ["", "Changed: **%d** host(s)%s." % (totals.get("changed", 0), check_note)]
    lines += ["", "## Failed SMTP tests by diagnosis category", ""]
    if totals["by_category"]:
        lines += ["| category | hosts |", "|---|---:|"]
        lines += ["| %s | %d |" % (_md(c), n) for c, n in totals["by_category"].items()]
    else:
        lines.append("No failed SMTP test.")
    lines += ["", "## Advisories (what will change at the provider)", ""]
    if _advisory_rows(report):
        lines += ["| host | advisory | severity | since | message |", "|---|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s | %s |" % (_md(host), _md(a.get("id")), _md(a.get("severity")),
                                                  _md(a.get("since")), _md(a.get("message")))
                  for host, a in _advisory_rows(report)]
    else:
        lines.append("No advisory.")
    lines += ["", "## Warnings", ""]
    if _warning_rows(report):
        lines += ["| host | warning |", "|---|---|"]
        lines += ["| %s | %s |" % (_md(host), _md(warning)) for host, warning in _warning_rows(report)]
    else:
        lines.append("No warning.")
    lines += ["", "## Credential sets (one full test each)", ""]
    if report.get("credential_sets"):
        lines += ["| server | user | test | carried by | result | hosts | failed hosts | server reply |",
                  "|---|---|---|---|---|---:|---:|---|"]
        for entry in report["credential_sets"]:
            lines.append("| %s | %s | %s | %s | %s | %d | %d | %s |" % (
                _md(entry["server"]), _md(entry["username"]), _md(entry["level"]), _md(entry["carrier"] or "-"),
                _md(entry["verdict"] + (" (%s)" % entry["category"] if entry.get("category") else "")),
                entry["hosts"], entry["failed_hosts"], _md(entry["reply"])))
    else:
        lines.append("No host logs in with shared credentials (no full test was shared).")
    lines += ["", "## Hosts (failures first)", "",
              "| host | status | app | server (stored \u2192 desired) | drift (old \u2192 new) | server reply "
              "| detail |",
              "|---|---|---|---|---|---|---|"]
    for row in report["hosts"]:
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            _md(row["host"]), row["status"], _md(row.get("app")), _md(_servers(row)),
            "<br>".join(_md(line) for line in _drift_lines(row)), _md(row.get("reply")), _md(_detail(row))))
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2330;background:#f7f8fa}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#5b6475;margin:0 0 1.5rem}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{background:#fff;border:1px solid #d9dde5;border-left-width:6px;border-radius:6px;
padding:.6rem 1rem;min-width:8rem;text-align:left;font:inherit;color:inherit;cursor:pointer}
.card[aria-pressed=true]{outline:3px solid #3b4a66;background:#eef0f4}
.card .n{font-size:1.8rem;font-weight:700;display:block}.card .l{color:#5b6475;font-size:.85rem}
.s-all{border-left-color:#3b4a66}.s-compliant{border-left-color:#1f8a4c}.s-drifted{border-left-color:#c98a00}
.s-test_failed{border-left-color:#c0392b}.s-error{border-left-color:#8e44ad}.s-unreachable{border-left-color:#555}
.s-not_run{border-left-color:#aab}
#filter-state{color:#5b6475;margin:.75rem 0 0}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.85rem}
th,td{border:1px solid #d9dde5;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef0f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
td ul{margin:0;padding-left:1rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;color:#fff;font-size:.8rem;white-space:nowrap}
.b-compliant,.v-passed{background:#1f8a4c}.b-drifted{background:#c98a00}.b-test_failed,.v-failed{background:#c0392b}
.b-error,.v-inconclusive{background:#8e44ad}.b-unreachable{background:#555}.b-not_run,.v-untested{background:#8890a0}
.arrow{color:#5b6475}code{font-size:.8rem}.reply{font-family:ui-monospace,monospace;font-size:.8rem}
"""

# Filter by status: the cards are buttons; ?status=<status> in the URL selects one on load (a shareable link).
_SCRIPT = """
(function () {
  var rows = document.querySelectorAll("tr.host");
  var buttons = document.querySelectorAll("button[data-filter]");
  var state = document.getElementById("filter-state");
  function show(status) {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var on = status === "all" || rows[i].getAttribute("data-status") === status;
      rows[i].hidden = !on;
      if (on) { shown++; }
    }
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].setAttribute("aria-pressed", String(buttons[j].getAttribute("data-filter") === status));
    }
    document.body.setAttribute("data-filter", status);
    state.setAttribute("data-shown", String(shown));
    state.textContent = "Showing " + shown + " of " + rows.length + " hosts"
      + (status === "all" ? "" : " (" + status + ")");
  }
  for (var k = 0; k < buttons.length; k++) {
    buttons[k].addEventListener("click", function (event) { show(event.currentTarget.getAttribute("data-filter")); });
  }
  var match = /[?&]status=([a-z_]+)/.exec(window.location.search);
  var chosen = match && document.querySelector('button[data-filter="' + match[1] + '"]');
  if (chosen) { chosen.click(); } else { show("all"); }
}());
"""

# Nothing may be fetched: the page works from a file, a mail attachment or an air-gapped share.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'none'"


def _h(text):
    return html.escape(escape_controls(str(text if text is not None else "")), quote=True)


def _html_drift(row):
    lines = _drift_lines(row)
    if not lines:
        return ""
    items = []
    for line in lines:
        setting, sep, change = line.partition(": ")
        if sep and "\u2192" in change:
            old, _arrow, new = change.partition(" \u2192 ")
            items.append('<li><code>%s</code>: %s <span class="arrow">&rarr;</span> %s</li>' % (
                _h(setting), _h(old), _h(new)))
        else:
            items.append("<li><code>%s</code></li>" % _h(line))
    return "<ul>%s</ul>" % "".join(items)


def _html_servers(row):
    stored, desired = row.get("stored_server") or "", row.get("server") or ""
    if stored and desired and stored != desired:
        return '<code>%s</code> <span class="arrow">&rarr;</span> <code>%s</code>' % (_h(stored), _h(desired))
    return "<code>%s</code>" % _h(desired or stored)


def render_html(report):
    """A self-contained page (inline CSS and script, no external assets) with totals in stable ids."""
    totals = report["totals"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % _CSP,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Outgoing SMTP fleet report</title>",
        "<style>%s</style></head>" % _CSS.strip(),
        '<body data-mode="%s" data-check-mode="%s" data-filter="all">' % (
            _h(report["mode"]), str(report["check_mode"]).lower()),
        "<h1>Outgoing SMTP fleet report</h1>",
        '<p class="meta">Mode <strong id="report-mode">%s</strong>%s &middot; generated <time>%s</time> by %s'
        ' &middot; %d credential set(s), %d full test(s)'
        ' &middot; changed: <strong id="changed-total" data-count="%d">%d</strong> host(s)</p>' % (
            _h(report["mode"]), " (check mode)" if report["check_mode"] else "", _h(report["generated_at"]),
            _h(report["generator"]), totals.get("credential_sets", 0), totals.get("full_tests", 0),
            totals.get("changed", 0), totals.get("changed", 0)),
        '<p class="meta">Advisories: <strong id="advisories-total" data-count="%d">%d</strong>%s</p>' % (
            totals.get("advisories", 0), totals.get("advisories", 0),
            "".join(' &middot; <code>%s</code>: <span id="advisory-%s" data-advisory="%s" data-count="%d">%d</span>'
                    ' host(s)' % (_h(key), _h(key), _h(key), count, count)
                    for key, count in (totals.get("by_advisory") or {}).items())),
        '<h2>Totals</h2><div class="cards" id="totals" role="group" aria-label="Filter the hosts by status">',
        '<button type="button" class="card s-all" data-filter="all" id="filter-all" aria-pressed="true">'
        '<span class="n" id="total-hosts" data-count="%d">%d</span><span class="l">all hosts</span></button>' % (
            totals["hosts"], totals["hosts"]),
    ]
    for status in FILTER_ORDER:
        count = totals["by_status"][status]
        out.append('<button type="button" class="card s-%s" data-filter="%s" id="filter-%s" aria-pressed="false">'
                   '<span class="n" id="total-%s" data-status="%s" data-count="%d">%d</span>'
                   '<span class="l">%s</span></button>' % (status, status, status, status, status, count, count,
                                                           _h(STATUS_LABELS[status])))
    out.append('</div><p id="filter-state" data-shown="%d">Showing %d of %d hosts</p>' % (
        totals["hosts"], totals["hosts"], totals["hosts"]))
    out.append("<h2>Failed SMTP tests by diagnosis category</h2>")
    if totals["by_category"]:
        out.append('<table id="categories"><thead><tr><th>category</th><th>hosts</th></tr></thead><tbody>')
        for category, count in totals["by_category"].items():
            out.append('<tr><td><code>%s</code></td><td class="num" id="category-%s" data-category="%s" '
                       'data-count="%d">%d</td></tr>' % (_h(category), _h(category), _h(category), count, count))
        out.append("</tbody></table>")
    else:
        out.append('<p id="categories">No failed SMTP test.</p>')
    out.append("<h2>Advisories: what will change at the provider</h2>")
    if _advisory_rows(report):
        out.append('<table id="advisories"><thead><tr><th>host</th><th>advisory</th><th>severity</th><th>since</th>'
                   "<th>message</th></tr></thead><tbody>")
        for host, advisory in _advisory_rows(report):
            out.append('<tr class="advisory" data-host="%s" data-advisory="%s"><td>%s</td><td><code>%s</code></td>'
                       "<td>%s</td><td>%s</td><td>%s</td></tr>" % (
                           _h(host), _h(advisory.get("id")), _h(host), _h(advisory.get("id")),
                           _h(advisory.get("severity")), _h(advisory.get("since")), _h(advisory.get("message"))))
        out.append("</tbody></table>")
    else:
        out.append('<p id="advisories">No advisory.</p>')
    out.append('<h2>Warnings: <span id="warnings-total" data-count="%d">%d</span></h2>' % (
        totals.get("warnings", 0), totals.get("warnings", 0)))
    if _warning_rows(report):
        out.append('<table id="warnings"><thead><tr><th>host</th><th>warning</th></tr></thead><tbody>')
        out += ['<tr class="warning" data-host="%s"><td>%s</td><td>%s</td></tr>' % (_h(host), _h(host), _h(warning))
                for host, warning in _warning_rows(report)]
        out.append("</tbody></table>")
    else:
        out.append('<p id="warnings">No warning.</p>')
    out.append("<h2>Credential sets: one full test (login) each</h2>")
    if report.get("credential_sets"):
        out.append('<table id="credential-sets"><thead><tr><th>server</th><th>user</th><th>test</th>'
                   "<th>carried by</th><th>result</th><th>hosts</th><th>failed hosts</th><th>server reply</th>"
                   "</tr></thead><tbody>")
        for entry in report["credential_sets"]:
            out.append('<tr class="credential-set" data-carrier="%s" data-verdict="%s"><td><code>%s</code></td>'
                       "<td>%s</td><td>%s</td><td>%s</td><td><span class=\"badge v-%s\">%s</span>%s</td>"
                       '<td class="num">%d</td><td class="num">%d</td><td class="reply">%s</td></tr>' % (
                           _h(entry["carrier"]), _h(entry["verdict"]), _h(entry["server"]), _h(entry["username"]),
                           _h(entry["level"]), _h(entry["carrier"] or "-"), _h(entry["verdict"]),
                           _h(entry["verdict"]), " <code>%s</code>" % _h(entry["category"])
                           if entry.get("category") else "", entry["hosts"], entry["failed_hosts"],
                           _h(entry["reply"])))
        out.append("</tbody></table>")
    else:
        out.append('<p id="credential-sets">No host logs in with shared credentials.</p>')
    out.append('<h2>Hosts, failures first</h2><table id="hosts"><thead><tr><th>host</th><th>status</th>'
               "<th>app</th><th>server (stored &rarr; desired)</th><th>drift (old &rarr; new)</th>"
               "<th>server reply</th><th>detail</th></tr></thead><tbody>")
    for row in report["hosts"]:
        category = (row.get("diagnosis") or {}).get("category", "")
        advisories = " ".join(a.get("id", "") for a in row.get("advisories") or [])
        out.append('<tr class="host" data-host="%s" data-status="%s" data-category="%s" data-advisories="%s">'
                   '<td>%s</td><td><span class="badge b-%s">%s</span></td><td>%s</td><td>%s</td><td>%s</td>'
                   '<td class="reply">%s</td><td>%s</td></tr>' % (
                       _h(row["host"]), _h(row["status"]), _h(category), _h(advisories), _h(row["host"]),
                       _h(row["status"]),
                       _h(STATUS_LABELS[row["status"]]), _h(row.get("app")), _html_servers(row), _html_drift(row),
                       _h(row.get("reply")), _h(_detail(row))))
    out.append("</tbody></table>")
    out.append("<script>%s</script></body></html>" % _SCRIPT.strip())
    return "\n".join(out) + "\n"


RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def render(report, fmt):
    if fmt not in RENDERERS:
        raise ValueError("format must be one of %s, got %r" % (", ".join(sorted(RENDERERS)), fmt))
    return RENDERERS[fmt](_plain(report))
