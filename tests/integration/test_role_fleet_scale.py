"""The role at fleet scale: hosts that share an account log in once (issue 15).

Twenty local hosts run the role against the aiosmtpd sandbox, which records every session and its commands.
What users rely on: one AUTH per credential set however many hosts share it (also across serial batches), every
host still checks its own network path (a wrong port or a CA bundle that does not trust the server fails on that
host only), a refused login blocks the write on every host of the set with the diagnosis, a carrier that dies
before logging in is replaced, and the report names the host that carried each full test. Nothing here mocks the
SMTP server or the modules.
"""

import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER_A, PASSWORD_A = "fleet-a@example.test", "Fleet-A pass 2026!"
USER_B, PASSWORD_B = "fleet-b@example.test", "Fleet-B pass 2026?"
GRAFANA_INI = "[server]\nhttp_port = 3000\n\n[smtp]\n;host = localhost:25\n"


def auth_sessions(sandbox):
    """Sessions in which the client sent AUTH (the sandbox records every command line)."""
    return [s for s in sandbox.sessions if any(c.upper().startswith("AUTH") for c in s["commands"])]


def run_fleet(work, hosts, common, playbook_vars=None, serial=None, check=False, mode="audit", extra_play="",
              limit=None, options=()):
    """Write one grafana.ini per host, the inventory and the playbook; run ansible-playbook; return the report."""
    inventory_hosts = {}
    for name, host_vars in hosts.items():
        (work / name).mkdir(exist_ok=True)
        config = work / name / "grafana.ini"
        if not config.exists():
            config.write_text(GRAFANA_INI)
        entry = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "outgoing_server_path": str(config)}
        entry.update(host_vars)
        inventory_hosts[name] = entry
    inventory = {"all": {"vars": dict(common, outgoing_server_app="grafana", outgoing_server_timeout=5,
                                      outgoing_server_deadline=10, outgoing_server_service_restart=False,
                                      outgoing_server_report_dir=str(work / "reports"),
                                      outgoing_server_mode=mode),
                         "hosts": inventory_hosts}}
    (work / "inventory.yml").write_text(yaml.safe_dump(inventory))
    # Grafana has no CA setting: each host's trust store (ssl_cert_file, SSL_CERT_FILE) holds the relay's CA
    play = {"name": "Fleet", "hosts": "all", "gather_facts": False,
            "environment": {"SSL_CERT_FILE": "{{ ssl_cert_file }}"},
            "roles": [{"role": "mailops.smtp.outgoing_server"}]}
    if serial is not None:
        play["serial"] = serial
    if playbook_vars:
        play["vars"] = playbook_vars
    (work / "playbook.yml").write_text(extra_play + yaml.safe_dump([play], sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_FORKS="10",
               ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_TIMEOUT="5", ANSIBLE_DEPRECATION_WARNINGS="false")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(work / "inventory.yml"),
               str(work / "playbook.yml")]
    if check:
        command.append("--check")
    if limit:
        command += ["--limit", limit]
    command += list(options)  # e.g. -v, --diff
    proc = subprocess.run(command, cwd=str(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    report_path = work / "reports" / ("outgoing-server-%s.json" % mode)
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return proc, report


def rows(report):
    return {row["host"]: row for row in report["hosts"]}


def no_password_anywhere(proc, work, *passwords):
    texts = [proc.stdout] + [p.read_text() for p in (work / "reports").iterdir()]
    for password in passwords:
        for text in texts:
            assert password not in text


def test_twenty_hosts_sharing_one_account_log_in_once(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A})
    common = {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle,
              "outgoing_server_username": USER_A, "outgoing_server_password": PASSWORD_A,
              "outgoing_server_from_email": USER_A}
    hosts = {"web%02d" % i: {} for i in range(1, 21)}
    # The first host of the inventory does not trust the server's CA (its own TLS path fails): it must not carry.
    # (its trust store is only the system's, which does not know the sandbox's test CA).
    hosts["web01"] = {"ssl_cert_file": "/etc/ssl/certs/ca-certificates.crt"}
    # A host with a wrong port in its inventory: its own network path fails, on that host only.
    closed = smtp_sandbox(security="starttls")
    wrong_port = closed.port
    closed.stop()
    hosts["web07"] = {"outgoing_server_port": wrong_port}

    proc, report = run_fleet(tmp_path, hosts, common)
    assert proc.returncode == 0, proc.stdout[-8000:]
    relay.wait_sessions_closed(19)
    logins = auth_sessions(relay)
    assert len(logins) == 1, [s["commands"] for s in logins]
    assert logins[0]["authenticated_as"] == USER_A

    by_host = rows(report)
    assert by_host["web07"]["status"] == "test_failed"
    assert by_host["web07"]["diagnosis"]["category"] == "connection_refused"
    assert by_host["web07"]["diagnosis_source"] == "host"
    assert by_host["web01"]["status"] == "test_failed"
    assert by_host["web01"]["diagnosis"]["category"] == "tls_certificate_invalid"
    assert by_host["web01"]["diagnosis_source"] == "host"
    healthy = [h for h in hosts if h not in ("web01", "web07")]
    assert all(by_host[h]["status"] == "drifted" for h in healthy), {h: by_host[h]["status"] for h in healthy}
    carriers = {by_host[h]["credential_set"]["carrier"] for h in healthy}
    # The first host that passed its own check carried the full test for all of them.
    assert carriers == {"web02"}
    assert all(by_host[h]["credential_set"]["verdict"] == "passed" for h in healthy)
    shared = [s for s in report["credential_sets"] if s["carrier"] == "web02"]
    assert len(shared) == 1 and shared[0]["hosts"] == 19 and shared[0]["verdict"] == "passed"
    assert shared[0]["reply"].startswith("354")  # the envelope test stops at the 354 reply to DATA
    assert report["totals"]["full_tests"] >= 1
    # Failures first.
    assert [row["status"] for row in report["hosts"]][:2] == ["test_failed", "test_failed"]
    assert relay.messages == []
    no_password_anywhere(proc, tmp_path, PASSWORD_A)


def test_two_accounts_two_logins_across_serial_batches_and_the_writes(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A, USER_B: PASSWORD_B})
    common = {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle}
    hosts = {}
    for i in range(1, 21):
        user, password = (USER_A, PASSWORD_A) if i % 2 else (USER_B, PASSWORD_B)
        hosts["app%02d" % i] = {"outgoing_server_username": user, "outgoing_server_password": password,
                                "outgoing_server_from_email": user}
    # Four batches of five: both sets appear in every batch, and are tested once for the play.
    proc, report = run_fleet(tmp_path, hosts, common, serial=5, mode="apply")
    assert proc.returncode == 0, proc.stdout[-8000:]
    relay.wait_sessions_closed(20)
    logins = auth_sessions(relay)
    assert sorted(s["authenticated_as"] for s in logins) == [USER_A, USER_B]
    by_host = rows(report)
    assert {row["status"] for row in report["hosts"]} == {"compliant"}
    assert all(row["changed"] for row in report["hosts"])
    assert {by_host["app01"]["credential_set"]["carrier"], by_host["app02"]["credential_set"]["carrier"]} == \
        {"app01", "app02"}
    assert by_host["app19"]["credential_set"]["carrier"] == "app01"  # batch 4 reuses batch 1's result
    for name, host in hosts.items():
        text = (tmp_path / name / "grafana.ini").read_text()
        assert "user = %s" % host["outgoing_server_username"] in text, name
        row = by_host[name]
        assert {"host", "username", "password"} <= set(row["drift"])
        password = [d for d in row["drift_detail"] if d["setting"] == "password"][0]
        assert password["after"] == "********"
    assert len(report["credential_sets"]) == 2
    no_password_anywhere(proc, tmp_path, PASSWORD_A, PASSWORD_B)


def test_a_refused_login_blocks_every_host_of_its_set_and_only_that_set(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A, USER_B: PASSWORD_B})
    common = {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle}
    hosts = {}
    for i in range(1, 9):
        # The B hosts carry an outdated password: the server refuses it.
        user, password = (USER_A, PASSWORD_A) if i <= 4 else (USER_B, "outdated password")
        hosts["crm%d" % i] = {"outgoing_server_username": user, "outgoing_server_password": password,
                              "outgoing_server_from_email": user}
    proc, report = run_fleet(tmp_path, hosts, common, mode="apply")
    assert proc.returncode == 2, proc.stdout[-8000:]  # the B hosts are failed, after the report
    relay.wait_sessions_closed(8)
    logins = auth_sessions(relay)
    assert sorted(s["authenticated_as"] or "refused" for s in logins) == [USER_A, "refused"]
    by_host = rows(report)
    for name in ("crm5", "crm6", "crm7", "crm8"):
        row = by_host[name]
        assert row["status"] == "test_failed", row
        assert row["diagnosis"]["category"] == "auth_failed"
        assert row["diagnosis_source"] == "credential_set"
        assert row["credential_set"]["carrier"] == "crm5"
        assert row["reply"].startswith("535")
        assert (tmp_path / name / "grafana.ini").read_text() == GRAFANA_INI  # nothing written
    for name in ("crm1", "crm2", "crm3", "crm4"):
        assert by_host[name]["status"] == "compliant" and by_host[name]["changed"]
    assert [row["host"] for row in report["hosts"]][:4] == ["crm5", "crm6", "crm7", "crm8"]
    failed_set = report["credential_sets"][0]
    assert (failed_set["verdict"], failed_set["carrier"], failed_set["category"]) == ("failed", "crm5", "auth_failed")
    no_password_anywhere(proc, tmp_path, PASSWORD_A, PASSWORD_B, "outdated password")


def test_a_carrier_that_dies_before_logging_in_is_replaced(tmp_path, smtp_sandbox):
    """Hosts that fail early never carry; a carrier that dies before logging in is replaced by the next host."""
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A})
    common = {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle,
              "outgoing_server_username": USER_A, "outgoing_server_password": PASSWORD_A,
              "outgoing_server_from_email": USER_A}
    # node1's Python breaks after its host-local check (in its outgoing_server_info run, which passes): its
    # smtp_probe run (the full test) exits 1.
    marker = tmp_path / "probe-ran-once"
    wrapper = tmp_path / "python-dies"
    wrapper.write_text('#!/bin/sh\ncase "$*" in *AnsiballZ_smtp_probe*)\n'
                       '  touch "%s"; echo "interpreter gone" >&2; exit 1;;\nesac\nexec "%s" "$@"\n'
                       % (marker, sys.executable))
    wrapper.chmod(0o755)
    hosts = {
        # First in the inventory, and unreachable: it drops out before the election.
        "node0": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1},
        "node1": {"ansible_python_interpreter": str(wrapper)},
    }
    hosts.update(("node%d" % i, {}) for i in range(2, 6))
    proc, report = run_fleet(tmp_path, hosts, common)
    assert proc.returncode == 4, proc.stdout[-8000:]  # node0 unreachable
    assert marker.exists()
    relay.wait_sessions_closed(5)
    logins = auth_sessions(relay)
    assert len(logins) == 1
    by_host = rows(report)
    assert by_host["node0"]["status"] == "unreachable"
    for name in ("node1", "node2", "node3", "node4", "node5"):
        assert by_host[name]["status"] == "drifted", by_host[name]
        assert by_host[name]["credential_set"]["carrier"] == "node2"
        assert by_host[name]["credential_set"]["verdict"] == "passed"


def test_check_mode_under_limit_logs_in_once_from_a_limited_host_and_writes_nothing(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A})
    common = {"outgoing_server_server": relay.server, "ssl_cert_file": relay.ca_bundle,
              "outgoing_server_username": USER_A, "outgoing_server_password": PASSWORD_A,
              "outgoing_server_from_email": USER_A}
    hosts = {"edge%d" % i: {} for i in range(1, 9)}
    proc, report = run_fleet(tmp_path, hosts, common, mode="apply", check=True, limit="edge4,edge5,edge6,edge7")
    assert proc.returncode == 0, proc.stdout[-8000:]
    relay.wait_sessions_closed(5)
    assert len(auth_sessions(relay)) == 1
    assert relay.messages == []
    assert report["check_mode"] is True
    # Only the limited hosts are in the play, and one of them carried the full test.
    assert sorted(row["host"] for row in report["hosts"]) == ["edge4", "edge5", "edge6", "edge7"]
    assert {row["credential_set"]["carrier"] for row in report["hosts"]} == {"edge4"}
    assert {row["status"] for row in report["hosts"]} == {"drifted"}
    for name in hosts:
        assert (tmp_path / name / "grafana.ini").read_text() == GRAFANA_INI


def test_the_senders_the_app_uses_are_tried_once_for_the_whole_set(tmp_path, smtp_sandbox):
    """outgoing_server_test_senders: the carrier's full test tries them; a refusal fails every host of the set."""
    user = "ann@example.test"  # a coreBOS user's address: with "Email From" empty, coreBOS sends her mail as her
    hosts = {"crm%d" % i: {} for i in range(1, 6)}
    refusing = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A}, failure="sender_not_owned")
    common = {"outgoing_server_server": refusing.server, "ssl_cert_file": refusing.ca_bundle,
              "outgoing_server_username": USER_A, "outgoing_server_password": PASSWORD_A,
              "outgoing_server_from_email": USER_A, "outgoing_server_test_senders": [user]}
    (tmp_path / "refused").mkdir()
    proc, report = run_fleet(tmp_path / "refused", hosts, common)
    assert proc.returncode == 0, proc.stdout[-8000:]
    refusing.wait_sessions_closed(6)  # five host-local checks (no AUTH) and one full test
    logins = auth_sessions(refusing)
    assert len(logins) == 1, [s["commands"] for s in logins]
    assert any(c.upper().startswith("MAIL FROM:<%s>" % user.upper()) for c in logins[0]["commands"])
    by_host = rows(report)
    for name in hosts:
        row = by_host[name]
        assert row["status"] == "test_failed", row
        assert (row["diagnosis"]["category"], row["diagnosis"]["sender"]) == ("sender_not_permitted", user), row
        assert row["diagnosis_source"] == "credential_set"
        assert (tmp_path / "refused" / name / "grafana.ini").read_text() == GRAFANA_INI
    no_password_anywhere(proc, tmp_path / "refused", PASSWORD_A)

    # The same fleet against a server that lets the account send as her: one login, and apply writes everywhere.
    allowing = smtp_sandbox(security="starttls", users={USER_A: PASSWORD_A}, failure="sender_not_owned",
                            allowed_senders={USER_A: [USER_A, user]})
    common.update(outgoing_server_server=allowing.server, ssl_cert_file=allowing.ca_bundle)
    (tmp_path / "allowed").mkdir()
    proc, report = run_fleet(tmp_path / "allowed", hosts, common, mode="apply")
    assert proc.returncode == 0, proc.stdout[-8000:]
    allowing.wait_sessions_closed(6)
    assert len(auth_sessions(allowing)) == 1
    assert all(row["status"] != "test_failed" for row in report["hosts"]), report["hosts"]
    for name in hosts:
        assert "host = 127.0.0.1:%d" % allowing.port in (tmp_path / "allowed" / name / "grafana.ini").read_text()
