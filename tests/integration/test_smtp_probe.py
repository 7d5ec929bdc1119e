"""mailops.smtp.smtp_probe through real ansible-playbook runs against the SMTP sandbox on loopback."""

import base64
import json

import pytest
from probe_failure_matrix import sandbox_failure_matrix

USER = "alice@example.test"
PASSWORD = "Pr0be-secret wörd"
USERS = {USER: PASSWORD}
FAST = dict(timeout=2, deadline=6)


def forbidden(username=USER, password=PASSWORD):
    return {
        "password": password,
        "base64 of \\0user\\0password": base64.b64encode(
            b"\0" + username.encode() + b"\0" + password.encode()).decode(),
        "base64 of the password": base64.b64encode(password.encode()).decode(),
    }


def leaks(text, username=USER, password=PASSWORD):
    return [name for name, value in forbidden(username, password).items() if value in text]


OPTIONS = ("server", "port", "security", "validate_certs", "ca_path", "auth", "username", "password", "from_email",
           "from_name", "test", "test_sender", "test_recipient", "ehlo_name", "timeout", "deadline", "transcript",
           "fail_on_error", "suggest")


def probes_playbook(tmp_path, probes):
    """A playbook with one smtp_probe task per probe (named after it), options taken from the ``probes`` variable.

    One task per probe rather than a loop: a loop would copy each item, password included, into the results.
    """
    tasks = []
    for index, probe in enumerate(probes):
        args = {key: "{{ probes[%d].%s }}" % (index, key) for key in OPTIONS if key in probe}
        tasks.append({"name": probe["name"], "mailops.smtp.smtp_probe": args, "ignore_errors": True})
    path = tmp_path / "probes.yml"
    path.write_text(json.dumps([{"name": "SMTP probes", "hosts": "localhost", "gather_facts": False,
                                 "tasks": tasks}], indent=1))
    return str(path)


def item(sb, name, **options):
    options.setdefault("server", sb.server)
    options.setdefault("ca_path", sb.ca_path)
    for key, value in FAST.items():
        options.setdefault(key, value)
    options["name"] = name
    return options


# Every failure the sandbox can produce (the table the engine's unit tests use), each -> (category, stage),
# all in a single ansible-playbook run.
MATRIX = sandbox_failure_matrix(USER, PASSWORD)


def module_options(sb, options):
    """The matrix's engine options as smtp_probe options for this sandbox."""
    options = dict(options)
    if "level" in options:
        options["test"] = options.pop("level")
    if "security" in options:  # a deliberately wrong TLS mode for this sandbox's port
        options["server"] = "%s:%d" % (sb.host, sb.port)
    return options


def test_every_failure_mode_maps_to_its_category_and_stage(run_playbook, smtp_sandbox, tmp_path):
    probes = []
    sandboxes = {}
    for name, config, options, _category, _stage in MATRIX:
        sb = smtp_sandbox(**config)
        sandboxes[name] = sb
        probe = item(sb, name, **module_options(sb, options))
        if probe["ca_path"] is None:  # "unknown CA": verify against the system trust store only
            del probe["ca_path"]
        probes.append(probe)
    run = run_playbook(probes_playbook(tmp_path, probes), dict(probes=probes))
    results = [run.result(m[0]) for m in MATRIX]
    got = {m[0]: (r.get("diagnosis", {}).get("category"), r.get("diagnosis", {}).get("stage"))
           for m, r in zip(MATRIX, results)}
    expected = {m[0]: (m[3], m[4]) for m in MATRIX}
    assert got == expected
    assert {run.status(m[0]) for m in MATRIX} == {"failed"}
    for r in results:
        assert r["ok"] is False and r["changed"] is False
        assert r["probe"]["elapsed"] <= FAST["deadline"] + 1
        assert r["msg"].startswith("SMTP test failed at stage %s" % r["diagnosis"]["stage"])
        assert r["diagnosis"]["hint"]
        assert r["probe"]["transcript"]
    assert leaks(run.all_output()) == []
    # envelope-level tests never left a message behind
    assert sandboxes["relay_denied"].messages == [] and sandboxes["data_refused"].messages == []


def test_passing_probe_returns_evidence_and_changes_nothing(run_playbook, smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    run = run_playbook("smtp_probe.yml", dict(probe=item(sb, "pass", username=USER, password=PASSWORD)))
    assert run.rc == 0
    assert run.status("Probe") == "ok"
    result = run.result("Probe")
    assert result["ok"] is True and result["changed"] is False and "diagnosis" not in result
    assert result["probe"]["auth_mechanism"] == "PLAIN"
    assert result["probe"]["tls"]["verified"] is True
    assert result["msg"].startswith("SMTP test passed (test=envelope)")
    sb.wait_sessions_closed(1)
    assert sb.messages == []


def test_fail_on_error_false_returns_the_diagnosis_without_failing(run_playbook, smtp_sandbox):
    sb = smtp_sandbox(security="starttls", failure="recipient_unknown")
    options = item(sb, "audit", test_sender="a@example.test", fail_on_error=False)
    run = run_playbook("smtp_probe.yml", dict(probe=options))
    assert run.status("Probe") == "ok"
    result = run.result("Probe")
    assert result["ok"] is False
    assert result["diagnosis"]["category"] == "recipient_rejected"


def test_send_delivers_and_check_mode_does_not(run_playbook, smtp_sandbox):
    sb = smtp_sandbox(security="tls", users=USERS)
    options = item(sb, "send", username=USER, password=PASSWORD, test="send")
    checked = run_playbook("smtp_probe.yml", dict(probe=options), check=True)
    result = checked.result("Probe")
    assert result["ok"] is True and result["probe"]["level"] == "envelope"
    assert any("Check mode" in w for w in result["warnings"])
    assert sb.messages == []
    sent = run_playbook("smtp_probe.yml", dict(probe=options))
    assert sent.result("Probe")["probe"]["level"] == "send"
    assert sb.wait_for(lambda s: len(s.messages) == 1)
    assert sb.messages[0]["authenticated_as"] == USER


def test_suggestion_is_returned(run_playbook, smtp_sandbox):
    sb = smtp_sandbox(security="tls", users=USERS)
    run = run_playbook("smtp_probe.yml", dict(probe=item(sb, "wrong-mode", server="tls://%s:%d" % (sb.host, sb.port),
                                                         username=USER, password=PASSWORD, timeout=0.5)))
    diagnosis = run.result("Probe")["diagnosis"]
    assert diagnosis["category"] == "greeting_failure"
    assert diagnosis["suggestion"] == dict(server="ssl://127.0.0.1:%d" % sb.port, security="tls", port=sb.port,
                                           verified_stage="auth", secure=True)
    sb.wait_sessions_closed(2)
    assert not any(c.upper().startswith("AUTH") for s in sb.sessions for c in s["commands"])
    assert leaks(run.all_output()) == []


@pytest.mark.parametrize("server,option,words", [
    ("foo://mail.example.test", "server", "unknown scheme"),
    ("mail.example.test:70000", "server", "out of range"),
    ("mail.example.test\r\nRCPT TO:<x@y>", "server", "CR, LF or NUL"),
])
def test_bad_input_fails_cleanly_naming_the_option(run_playbook, server, option, words):
    run = run_playbook("smtp_probe.yml", dict(probe=dict(server=server, test="tls")))
    result = run.result("Probe")
    assert run.status("Probe") == "failed"
    assert result["msg"].startswith(option + ":") and words in result["msg"]
    assert result["option"] == option
    assert "Traceback" not in run.all_output() and "module_stderr" not in result


def test_no_secret_in_any_output_at_vvvv(run_playbook, smtp_sandbox, tmp_path):
    passing = smtp_sandbox(security="starttls", users=USERS)
    plaintext = smtp_sandbox(security="plain", users=USERS, auth_before_tls=True)
    gmail = smtp_sandbox(security="tls", failure="auth_failed_gmail")
    wrong = smtp_sandbox(security="starttls", users={USER: "another password"})
    send = smtp_sandbox(security="tls", users=USERS)
    common = dict(username=USER, password=PASSWORD, transcript="always")
    probes = [
        item(passing, "passing", **common),
        item(plaintext, "plaintext", **common),
        item(gmail, "gmail", **common),
        item(wrong, "wrong password", **common),
        item(send, "send", test="send", **common),
    ]
    run = run_playbook(probes_playbook(tmp_path, probes), dict(probes=probes), verbosity=4)
    results = [run.result(p["name"]) for p in probes]
    assert [r["ok"] for r in results] == [True, True, False, False, True]
    transcripts = [line for r in results for line in r["probe"]["transcript"]]
    assert any("AUTH PLAIN ********" in line for line in transcripts)
    output = run.all_output()
    assert "<~  235" in output or "<-  235" in output  # the -vvvv output really holds the results
    assert leaks(output) == []
    # the servers did receive the credentials (so the search above is meaningful)
    sent = [c for sb in (passing, wrong) for s in sb.sessions for c in s["commands"] if c.startswith("AUTH PLAIN ")]
    assert forbidden()["base64 of \\0user\\0password"] in " ".join(sent)


@pytest.mark.parametrize("failure,security", [("drip_banner", "plain"), ("no_banner", "tls"),
                                              ("stall_after_ehlo", "starttls")])
def test_hostile_servers_are_cut_off_by_the_deadline_not_the_timeout(
        run_playbook, smtp_sandbox, tmp_path, failure, security):
    sb = smtp_sandbox(security=security, failure=failure, drip_interval=0.2)
    deadline = 2
    probes = [
        # The same module with test=none twice: the first warms up, the second measures the fixed cost of a
        # task (templating, module transfer, interpreter start) that is not the module's own run time.
        dict(name="warm-up", server=sb.server, test="none"),
        dict(name="baseline", server=sb.server, test="none"),
        item(sb, "hostile", test="envelope", test_sender="a@example.test", timeout=30, deadline=deadline,
             suggest=False),
    ]
    run = run_playbook(probes_playbook(tmp_path, probes), dict(probes=probes))
    result = run.result("hostile")
    assert result["ok"] is False
    assert result["diagnosis"]["category"] in ("greeting_failure", "timeout")
    # Without the deadline the server would hold the probe for the 30 s timeout (or longer: it drips). The bound
    # sits far between the two so that a loaded CI machine cannot make it flake: it tests the deadline, not speed.
    bound = deadline + 8
    assert result["probe"]["elapsed"] <= bound
    assert run.seconds("hostile") - run.seconds("baseline") <= bound, json.dumps(run.records)[:2000]
