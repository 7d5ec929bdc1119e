# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the outgoing_server role's fleet report; documented in fleet_*.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import build_report, host_summary, render


def fleet_host_summary(result, mode="apply", app="", server="", probe=None, check_mode=False, info=None):
    try:
        return host_summary(result, mode=mode, app=app, server=server, probe=probe, check_mode=check_mode,
                            info=info)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_host_summary: %s" % exc) from None


def fleet_report(summaries, hosts, active_hosts=None, mode="apply", check_mode=False, secrets=None, apps=None):
    return build_report(summaries, hosts, active_hosts=active_hosts, mode=mode, check_mode=check_mode,
                        secrets=secrets, apps=apps)


def fleet_report_render(report, format="json"):
    try:
        return render(report, format)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_report_render: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {
            "fleet_host_summary": fleet_host_summary,
            "fleet_report": fleet_report,
            "fleet_report_render": fleet_report_render,
        }
