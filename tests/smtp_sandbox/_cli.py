"""Command line: run named sandbox instances for playbooks, the demo, molecule and benchmarks.

    PYTHONPATH=tests python -m smtp_sandbox serve --scenarios scenarios.json --state state.json [--record-dir DIR]
    PYTHONPATH=tests python -m smtp_sandbox start --scenarios ... --state ... --pidfile sandbox.pid [--log FILE]
    PYTHONPATH=tests python -m smtp_sandbox stop --pidfile sandbox.pid

The scenarios file is a JSON (or YAML) object {name: {SandboxConfig fields}}. Once every instance listens,
the state file {name: {host, port, ca_path, server}} is written (atomically). Records go to
DIR/<name>/messages.jsonl and DIR/<name>/sessions.jsonl as they happen. serve stops on SIGTERM/SIGINT
and removes the state file.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

from ._config import SandboxConfig
from ._server import SmtpSandbox

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_scenarios(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith((".yml", ".yaml")):
        import yaml

        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except ValueError:
            import yaml

            data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data:
        raise ValueError("%s: expected a non-empty object {name: {config}}" % path)
    scenarios = {}
    for name, options in data.items():
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise ValueError("%s: bad instance name %r" % (path, name))
        try:
            scenarios[name] = SandboxConfig.from_dict(options or {})
        except (TypeError, ValueError) as exc:
            raise ValueError("%s: instance %r: %s" % (path, name, exc)) from None
    return scenarios


def _write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def serve(args):
    scenarios = load_scenarios(args.scenarios)
    stop_event = threading.Event()

    def on_signal(signum, frame):
        stop_event.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.pidfile:
        _write_atomic_text(args.pidfile, "%d\n" % os.getpid())
    sandboxes = {}
    try:
        for name, config in scenarios.items():
            record_dir = os.path.join(args.record_dir, name) if args.record_dir else None
            sandboxes[name] = SmtpSandbox(config, record_dir=record_dir).start()
        state = {name: sb.state() for name, sb in sandboxes.items()}
        _write_atomic(args.state, state)
        print("smtp_sandbox: serving %s" % ", ".join("%s=%s" % (n, s["server"]) for n, s in state.items()), flush=True)
        while not stop_event.wait(0.5):
            pass
    finally:
        for sb in sandboxes.values():
            sb.stop()
        _unlink(args.state)
        if args.pidfile:
            _unlink(args.pidfile)
    return 0


def _write_atomic_text(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def start(args):
    """Run serve in the background, wait for its state file, print it."""
    load_scenarios(args.scenarios)  # fail here, in the foreground, on a bad file
    try:
        os.unlink(args.state)
    except OSError:
        pass
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "smtp_sandbox", "serve", "--scenarios", args.scenarios, "--state", args.state]
    if args.record_dir:
        cmd += ["--record-dir", args.record_dir]
    log_path = args.log or args.state + ".log"
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            cmd, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    _write_atomic_text(args.pidfile, "%d\n" % proc.pid)
    deadline = time.monotonic() + args.timeout
    while not os.path.exists(args.state):
        if proc.poll() is not None:
            sys.stderr.write("smtp_sandbox: serve exited with %s; log: %s\n" % (proc.returncode, log_path))
            _unlink(args.pidfile)
            return 1
        if time.monotonic() > deadline:
            proc.terminate()
            proc.wait(5)
            _unlink(args.pidfile)
            sys.stderr.write("smtp_sandbox: no state file after %ss; log: %s\n" % (args.timeout, log_path))
            return 1
        time.sleep(0.05)
    with open(args.state, encoding="utf-8") as handle:
        sys.stdout.write(handle.read())
    return 0


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child of a non-reaping parent stays a zombie: that is gone too
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stop(args):
    try:
        with open(args.pidfile, encoding="ascii") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError) as exc:
        sys.stderr.write("smtp_sandbox: cannot read pid file %s: %s\n" % (args.pidfile, exc))
        return 1
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + args.timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    _unlink(args.pidfile)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m smtp_sandbox", description="SMTP sandbox servers on loopback")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("serve", "run in the foreground"), ("start", "run in the background")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--scenarios", required=True, help="JSON or YAML object {name: {config fields}}")
        p.add_argument("--state", required=True, help="where to write {name: {host, port, ca_path, server}}")
        p.add_argument("--record-dir", help="write <dir>/<name>/messages.jsonl and sessions.jsonl")
        p.add_argument("--pidfile", required=(name == "start"), help="write the server's pid here")
        if name == "start":
            p.add_argument("--log", help="server output (default: <state>.log)")
            p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the state file")
    p = sub.add_parser("stop", help="stop a server started with start")
    p.add_argument("--pidfile", required=True)
    p.add_argument("--timeout", type=float, default=10.0)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return {"serve": serve, "start": start, "stop": stop}[args.command](args)
    except ValueError as exc:
        sys.stderr.write("smtp_sandbox: %s\n" % exc)
        return 2
