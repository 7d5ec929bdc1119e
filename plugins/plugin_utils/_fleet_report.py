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

STATUSES = ("compliant", "drifted", "test_failed", "error", "unreachable", "not_run")
STATUS_LABELS = {
    "compliant": "Compliant",
    "drifted": "Drifted",
    "test_failed": "SMTP test failed",
    "error": "Error",
    "unreachable": "Unreachable",
    "not_run": "Not run",
}
DIAGNOSIS_FIELDS = ("category", "stage", "server", "smtp_code", "enhanced_status", "server_message", "hint")
SUGGESTION_FIELDS = ("server", "security", "port", "verified_stage", "secure")
REDACTED = "********"
SCHEMA_VERSION = 1


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


def _diagnosis(result):
    diagnosis = _pick((result or {}).get("diagnosis"), DIAGNOSIS_FIELDS)
    suggestion = _pick(((result or {}).get("diagnosis") or {}).get("suggestion"), SUGGESTION_FIELDS)
    if suggestion:
        diagnosis["suggestion"] = suggestion
    return diagnosis


def _drift_settings(drift):
    names = []
    for item in drift or []:
        name = item.get("setting") if isinstance(item, dict) else item
        if name is not None and str(name) not in names:
            names.append(str(name))
    return names


def _failed(result):
    return bool(result) and (bool(result.get("failed")) or result.get("ok") is False)


def _message(result):
    msg = (result or {}).get("msg")
    return str(msg).splitlines()[0] if msg else ""


def host_summary(result, mode="apply", app="", server="", probe=None, check_mode=False, info=None):
    """Summarise one host's role results for the fleet report.

    ``mode: apply``: ``result`` is the registered ``outgoing_server`` result; in check mode ``info`` may be an
    ``outgoing_server_info`` result whose ``drift`` names the settings that would change.
    ``mode: audit``: ``result`` is the ``outgoing_server_info`` result and ``probe`` the ``smtp_probe`` one.
    """
    if mode not in ("apply", "audit"):
        raise ValueError("mode must be 'apply' or 'audit', got %r" % (mode,))
    result = result if isinstance(result, dict) else {}
    probe = probe if isinstance(probe, dict) else None
    summary = {"app": str(app or ""), "server": str(server or ""), "mode": mode, "status": None, "changed": False,
               "drift": [], "diagnosis": {}, "message": ""}
    if mode == "apply":
        if _failed(result):
            summary["diagnosis"] = _diagnosis(result)
            summary["status"] = "test_failed" if summary["diagnosis"].get("category") else "error"
            summary["message"] = _message(result)
        elif result.get("changed"):
            summary["changed"] = not check_mode
            summary["drift"] = _drift_settings((info or {}).get("drift")) if check_mode else []
            summary["status"] = "drifted" if check_mode else "compliant"
        else:
            summary["status"] = "compliant"
        return summary
    summary["drift"] = _drift_settings(result.get("drift"))
    if _failed(result):
        summary["status"] = "error"
        summary["message"] = _message(result)
    elif probe is not None and _failed(probe):
        summary["diagnosis"] = _diagnosis(probe)
        summary["status"] = "test_failed" if summary["diagnosis"].get("category") else "error"
        summary["message"] = _message(probe)
    elif summary["drift"]:
        summary["status"] = "drifted"
    else:
        summary["status"] = "compliant"
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


def _scrub(value, forms):
    if isinstance(value, dict):
        return dict((k, _scrub(v, forms)) for k, v in value.items())
    if isinstance(value, list):
        return [_scrub(v, forms) for v in value]
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, REDACTED)
    return value


def build_report(summaries, hosts, active_hosts=None, mode="apply", check_mode=False, secrets=None, apps=None,
                 now=None):
    """Aggregate per-host summaries into the report (a JSON-ready dict).

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
            row = dict(summary)
        else:
            row = {"app": str(apps.get(host) or ""), "server": "", "mode": mode,
                   "status": "not_run" if host in active else "unreachable",
                   "changed": False, "drift": [], "diagnosis": {}, "message": ""}
        row = dict([("host", host)] + [(k, v) for k, v in row.items() if k != "host"])
        rows.append(row)
    by_status = dict((status, 0) for status in STATUSES)
    by_category = {}
    for row in rows:
        by_status[row["status"]] += 1
        category = row["diagnosis"].get("category") if row["status"] == "test_failed" else None
        if category:
            by_category[category] = by_category.get(category, 0) + 1
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
            "by_category": dict(sorted(by_category.items())),
        },
        "hosts": rows,
    }
    return _scrub(report, _secret_forms(_plain(secrets or [])))


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def _md(text):
    text = str(text if text is not None else "")
    for char in ("\\", "|", "`", "*", "[", "]", "<", ">"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _detail(row):
    """One line of human-readable detail for a host row, shared by Markdown and HTML."""
    status = row["status"]
    diagnosis = row.get("diagnosis") or {}
    if status == "test_failed":
        parts = ["%s at %s" % (diagnosis.get("category", "?"), diagnosis.get("stage", "?"))]
        if diagnosis.get("smtp_code"):
            parts.append("reply %s" % diagnosis["smtp_code"])
        if diagnosis.get("hint"):
            parts.append(diagnosis["hint"])
        if (diagnosis.get("suggestion") or {}).get("server"):
            parts.append("suggested: %s" % diagnosis["suggestion"]["server"])
        return " - ".join(str(p) for p in parts)
    if status == "drifted":
        return "drift: %s" % ", ".join(row.get("drift") or ["(settings differ)"])
    if status == "compliant":
        return "changed" if row.get("changed") else "no change needed"
    if status == "error":
        return row.get("message") or "failed"
    if status == "unreachable":
        return "host dropped out before reporting (unreachable or failed before the role's test)"
    return "not reached (the play stopped before this host's batch)"


def render_markdown(report):
    totals = report["totals"]
    lines = [
        "# Outgoing SMTP fleet report",
        "",
        "Mode: **%s**%s. Generated %s by %s." % (
            report["mode"], " (check mode)" if report["check_mode"] else "", report["generated_at"],
            report["generator"]),
        "",
        "## Totals",
        "",
        "| status | hosts |",
        "|---|---:|",
    ]
    for status in STATUSES:
        lines.append("| %s | %d |" % (status, totals["by_status"][status]))
    lines.append("| **all** | **%d** |" % totals["hosts"])
    lines += ["", "## Failed SMTP tests by diagnosis category", ""]
    if totals["by_category"]:
        lines += ["| category | hosts |", "|---|---:|"]
        lines += ["| %s | %d |" % (_md(c), n) for c, n in totals["by_category"].items()]
    else:
        lines.append("No failed SMTP test.")
    lines += ["", "## Hosts", "", "| host | app | server | status | detail |", "|---|---|---|---|---|"]
    for row in report["hosts"]:
        lines.append("| %s | %s | %s | %s | %s |" % (
            _md(row["host"]), _md(row.get("app")), _md(row.get("server")), row["status"], _md(_detail(row))))
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2330;background:#f7f8fa}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#5b6475;margin:0 0 1.5rem}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{background:#fff;border:1px solid #d9dde5;border-left-width:6px;border-radius:6px;
padding:.6rem 1rem;min-width:8rem}
.card .n{font-size:1.8rem;font-weight:700;display:block}.card .l{color:#5b6475;font-size:.85rem}
.s-all{border-left-color:#3b4a66}.s-compliant{border-left-color:#1f8a4c}.s-drifted{border-left-color:#c98a00}
.s-test_failed{border-left-color:#c0392b}.s-error{border-left-color:#8e44ad}.s-unreachable{border-left-color:#555}
.s-not_run{border-left-color:#aab}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}
th,td{border:1px solid #d9dde5;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#eef0f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;color:#fff;font-size:.8rem;white-space:nowrap}
.b-compliant{background:#1f8a4c}.b-drifted{background:#c98a00}.b-test_failed{background:#c0392b}
.b-error{background:#8e44ad}.b-unreachable{background:#555}.b-not_run{background:#8890a0}
code{font-size:.85rem}
"""


def _h(text):
    return html.escape(str(text if text is not None else ""), quote=True)


def render_html(report):
    """A self-contained page (inline CSS, no scripts, no external assets) with totals in stable ids."""
    totals = report["totals"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Outgoing SMTP fleet report</title>",
        "<style>%s</style></head>" % _CSS.strip(),
        '<body data-mode="%s" data-check-mode="%s">' % (_h(report["mode"]), str(report["check_mode"]).lower()),
        "<h1>Outgoing SMTP fleet report</h1>",
        '<p class="meta">Mode <strong id="report-mode">%s</strong>%s &middot; generated <time>%s</time> by %s</p>' % (
            _h(report["mode"]), " (check mode)" if report["check_mode"] else "", _h(report["generated_at"]),
            _h(report["generator"])),
        '<h2>Totals</h2><div class="cards" id="totals">',
        '<div class="card s-all"><span class="n" id="total-hosts" data-count="%d">%d</span>'
        '<span class="l">hosts</span></div>' % (totals["hosts"], totals["hosts"]),
    ]
    for status in STATUSES:
        count = totals["by_status"][status]
        out.append('<div class="card s-%s"><span class="n" id="total-%s" data-status="%s" data-count="%d">%d</span>'
                   '<span class="l">%s</span></div>' % (status, status, status, count, count,
                                                        _h(STATUS_LABELS[status])))
    out.append("</div>")
    out.append("<h2>Failed SMTP tests by diagnosis category</h2>")
    if totals["by_category"]:
        out.append('<table id="categories"><thead><tr><th>category</th><th>hosts</th></tr></thead><tbody>')
        for category, count in totals["by_category"].items():
            out.append('<tr><td><code>%s</code></td><td class="num" id="category-%s" data-category="%s" '
                       'data-count="%d">%d</td></tr>' % (_h(category), _h(category), _h(category), count, count))
        out.append("</tbody></table>")
    else:
        out.append('<p id="categories">No failed SMTP test.</p>')
    out.append('<h2>Hosts</h2><table id="hosts"><thead><tr><th>host</th><th>app</th><th>server</th>'
               "<th>status</th><th>detail</th></tr></thead><tbody>")
    for row in report["hosts"]:
        category = (row.get("diagnosis") or {}).get("category", "")
        out.append('<tr class="host" data-host="%s" data-status="%s" data-category="%s"><td>%s</td><td>%s</td>'
                   "<td><code>%s</code></td><td><span class=\"badge b-%s\">%s</span></td><td>%s</td></tr>" % (
                       _h(row["host"]), _h(row["status"]), _h(category), _h(row["host"]), _h(row.get("app")),
                       _h(row.get("server")), _h(row["status"]), _h(STATUS_LABELS[row["status"]]),
                       _h(_detail(row))))
    out.append("</tbody></table></body></html>")
    return "\n".join(out) + "\n"


RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def render(report, fmt):
    if fmt not in RENDERERS:
        raise ValueError("format must be one of %s, got %r" % (", ".join(sorted(RENDERERS)), fmt))
    return RENDERERS[fmt](_plain(report))
