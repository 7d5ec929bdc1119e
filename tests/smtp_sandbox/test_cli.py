"""python -m smtp_sandbox serve/start/stop: state file, record files, signals."""

import json
import os
import signal
import smtplib
import ssl
import subprocess
import sys
import time

import pytest

from smtp_sandbox._cli import main as cli_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = "alice@example.test"
PASSWORD = "s3cret pass"

SCENARIOS = {
    "relay": {"security": "plain"},
    "submission": {"security": "starttls", "users": {USER: PASSWORD}, "auth_required": True},
    "smtps6": {"security": "tls", "host": "::1", "users": {USER: PASSWORD}, "failure": "send_as_denied"},
}


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = "tests"
    return env


def _cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "smtp_sandbox", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        **kwargs,
    )


def _wait_for_file(path, proc, timeout=15):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "serve exited"
        assert time.monotonic() < end, "no state file"
        time.sleep(0.02)


def _read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _wait_lines(path, count, timeout=5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path) and len(_read_jsonl(path)) >= count:
            break
        time.sleep(0.02)
    return _read_jsonl(path)


@pytest.fixture
def serve(tmp_path):
    procs = []

    def run(scenarios, suffix="json", signum=signal.SIGTERM):
        scenario_file = tmp_path / ("scenarios." + suffix)
        if suffix == "json":
            scenario_file.write_text(json.dumps(scenarios))
        else:
            import yaml

            scenario_file.write_text(yaml.safe_dump(scenarios))
        state = tmp_path / "state.json"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smtp_sandbox",
                "serve",
                "--scenarios",
                str(scenario_file),
                "--state",
                str(state),
                "--record-dir",
                str(tmp_path / "rec"),
            ],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(proc)
        _wait_for_file(str(state), proc)
        with open(state, encoding="utf-8") as handle:
            return proc, json.load(handle), state

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def test_serve_writes_state_records_and_stops_on_sigterm(serve, tmp_path):
    proc, state, state_path = serve(SCENARIOS)
    assert set(state) == set(SCENARIOS)
    expected = (("relay", "smtp", "127.0.0.1"), ("submission", "tls", "127.0.0.1"), ("smtps6", "ssl", "::1"))
    for name, scheme, host in expected:
        entry = state[name]
        assert entry["host"] == host
        shown = "[::1]" if host == "::1" else host
        assert entry["server"] == "%s://%s:%d" % (scheme, shown, entry["port"])
        with open(entry["ca_path"], "rb") as handle:
            assert handle.read().startswith(b"-----BEGIN CERTIFICATE-----")

    sub = state["submission"]
    with smtplib.SMTP(sub["host"], sub["port"], local_hostname="client.test", timeout=3) as client:
        client.starttls(context=ssl.create_default_context(cafile=sub["ca_path"]))
        client.login(USER, PASSWORD)
        client.sendmail(USER, ["bob@example.test"], b"Subject: via cli\r\n\r\nhello\r\n")
    # records are written while the server runs
    messages = _wait_lines(str(tmp_path / "rec" / "submission" / "messages.jsonl"), 1)
    assert [(m["mail_from"], m["rcpt_tos"], m["authenticated_as"]) for m in messages] == [
        (USER, ["bob@example.test"], USER)
    ]
    assert messages[0]["data"] == "Subject: via cli\r\n\r\nhello\r\n"
    sessions = _wait_lines(str(tmp_path / "rec" / "submission" / "sessions.jsonl"), 1)
    assert sessions[0]["authenticated_as"] == USER
    assert sessions[0]["message_accepted"] is True
    assert sessions[0]["commands"][1] == "STARTTLS"

    # the failure mode from the scenario file is in force
    v6 = state["smtps6"]
    ctx = ssl.create_default_context(cafile=v6["ca_path"])
    with smtplib.SMTP_SSL(v6["host"], v6["port"], local_hostname="client.test", timeout=3, context=ctx) as client:
        client.login(USER, PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail("ceo@example.test", ["bob@example.test"], b"Subject: x\r\n\r\nx\r\n")
        assert info.value.smtp_code == 550

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert not state_path.exists()
    assert not os.path.exists(sub["ca_path"])
    assert _read_jsonl(str(tmp_path / "rec" / "smtps6" / "sessions.jsonl"))[0]["peer"][0] == "::1"


def test_serve_yaml_scenarios_and_sigint(serve):
    proc, state, state_path = serve({"plain": {"security": "plain"}}, suffix="yml")
    entry = state["plain"]
    with smtplib.SMTP(entry["host"], entry["port"], local_hostname="client.test", timeout=3) as client:
        assert client.noop()[0] == 250
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert not state_path.exists()


def test_start_and_stop_with_pidfile(tmp_path):
    scenarios = tmp_path / "scenarios.json"
    scenarios.write_text(json.dumps({"one": {"security": "tls", "users": {USER: PASSWORD}}}))
    state = tmp_path / "state.json"
    pidfile = tmp_path / "sandbox.pid"
    result = _cli("start", "--scenarios", str(scenarios), "--state", str(state), "--pidfile", str(pidfile))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    pid = int(pidfile.read_text())
    try:
        assert printed == json.loads(state.read_text())
        entry = printed["one"]
        ctx = ssl.create_default_context(cafile=entry["ca_path"])
        with smtplib.SMTP_SSL(entry["host"], entry["port"], local_hostname="c.test", timeout=3, context=ctx) as client:
            assert client.login(USER, PASSWORD)[0] == 235
    finally:
        stopped = _cli("stop", "--pidfile", str(pidfile))
    assert stopped.returncode == 0, stopped.stderr
    assert not pidfile.exists()
    assert not state.exists()
    # gone (reaped), or at most a zombie waiting for a reaper that is not ours
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z"), state


@pytest.mark.parametrize(
    "scenarios, message",
    [
        ({"x": {"security": "ssl"}}, "instance 'x': security must be one of"),
        ({"x": {"securty": "tls"}}, "instance 'x': unknown sandbox option(s): securty"),
        ({"x": {"host": "10.0.0.1"}}, "instance 'x': host must be a loopback address"),
        ([], "expected a non-empty object"),
    ],
)
def test_bad_scenario_file_is_refused_before_starting(tmp_path, capsys, scenarios, message):
    scenario_file = tmp_path / "scenarios.json"
    scenario_file.write_text(json.dumps(scenarios))
    for command in ("serve", "start"):
        extra = ["--pidfile", str(tmp_path / "pid")] if command == "start" else []
        code = cli_main([command, "--scenarios", str(scenario_file), "--state", str(tmp_path / "state.json"), *extra])
        assert code == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "state.json").exists()
        assert not (tmp_path / "pid").exists()


def test_bad_scenario_file_exit_code_from_the_command_line(tmp_path):
    scenario_file = tmp_path / "scenarios.yml"
    scenario_file.write_text("one:\n  failure: explode\n")
    result = _cli("serve", "--scenarios", str(scenario_file), "--state", str(tmp_path / "state.json"))
    assert result.returncode == 2
    assert "instance 'one': failure must be one of" in result.stderr
