# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the outgoing_server role's fleet test and report; documented in fleet_*.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import (
    build_report,
    from_host_vars,
    host_line,
    host_summary,
    host_var,
    local_check,
    render,
)
from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_test import credential_set, elect, set_verdict


def fleet_host_summary(result, mode="apply", app="", server="", probe=None, check_mode=False, info=None,
                       local=None, credential=None, verdict=None, port=None, security=None):
    try:
        return host_summary(result, mode=mode, app=app, server=server, probe=probe, check_mode=check_mode,
                            info=info, local=local, credential=credential, verdict=verdict, port=port,
                            security=security)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_host_summary: %s" % exc) from None


def fleet_host_line(summary):
    return host_line(summary)


def fleet_report(summaries, hosts, active_hosts=None, mode="apply", check_mode=False, secrets=None, apps=None):
    if isinstance(summaries, (list, tuple)):
        # The hosts' variables (hostvars[host] for each host): one lookup per host instead of one per variable.
        summaries, found_apps, found_secrets = from_host_vars(hosts, summaries)
        apps = dict(found_apps, **(apps or {}))
        secrets = list(secrets or []) + found_secrets
    return build_report(summaries, hosts, active_hosts=active_hosts, mode=mode, check_mode=check_mode,
                        secrets=secrets, apps=apps)


def fleet_report_render(report, format="json"):
    try:
        return render(report, format)
    except ValueError as exc:
        raise AnsibleFilterError("fleet_report_render: %s" % exc) from None


def fleet_credential_set(server, port=None, security=None, auth=None, username=None, password=None,
                         test="envelope", test_sender=None, test_recipient=None, from_email=None, ehlo_name=None,
                         own_test=False, test_senders=None):
    return credential_set(server, port=port, security=security, auth=auth, username=username, password=password,
                          test=test, test_sender=test_sender, test_recipient=test_recipient, from_email=from_email,
                          ehlo_name=ehlo_name, own_test=own_test, test_senders=test_senders)


def fleet_carriers(hosts, credential_sets=None, local_tests=None, full_tests=None, alive=None, batch=None,
                   state=None, elect=True, host_vars=None):
    if host_vars is not None:
        # The hosts' variables (hostvars[host] for each host of O(_input)): one lookup per host.
        credential_sets = [host_var(v, "__outgoing_server_credential_set") for v in host_vars]
        # The host-local check: its own smtp_probe result, else the one inside the role's outgoing_server_info run.
        local_tests = [host_var(v, "__outgoing_server_local_test") or local_check(host_var(v, "__outgoing_server_info"))
                       for v in host_vars]
        full_tests = [host_var(v, "__outgoing_server_full_test") for v in host_vars]
    return _elect(hosts, credential_sets, local_tests, full_tests, alive, batch, state=state, elect_new=elect)


_elect = elect


def fleet_set_verdict(state, credential=None):
    return set_verdict(state, credential)


class FilterModule:
    def filters(self):
        return {
            "fleet_host_summary": fleet_host_summary,
            "fleet_host_line": fleet_host_line,
            "fleet_report": fleet_report,
            "fleet_report_render": fleet_report_render,
            "fleet_credential_set": fleet_credential_set,
            "fleet_carriers": fleet_carriers,
            "fleet_set_verdict": fleet_set_verdict,
        }
