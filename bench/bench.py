"""mailops.smtp benchmarks: our modules side by side with the tools users would pick instead.

Run by ``bench/run.sh`` (``make bench``), with the project's .venv Python. Playbooks run with the bench
virtualenv's ansible-playbook (the ``ansible`` package from PyPI: ansible-core + community.general +
ansible.posix), for our collection and the baselines alike, so both sides share one ansible-core.

Sections (issue 7):
  1. fleet audit (50 and 200 local hosts, forks 10): outgoing_server (check mode) vs ping vs template+mail
  2. the SMTP dialogue: envelope test vs swaks --quit-after rcpt (processes, and in-process)
  3. hostile servers: time to a verdict vs the deadline, and what swaks and community.general.mail do
  4. a 50,000-line INI file: outgoing_server vs community.general.ini_file
  5. peak memory of one module run on a host

Writes bench/output/results.json and bench/output/results.md, and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import smtplib
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
for _p in (os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import gen  # noqa: E402
import playbooks  # noqa: E402
from timing import Sample, fmt_ratio, ratio, run_process  # noqa: E402

OUT = os.path.join(HERE, "output")
WORK = os.path.join(OUT, "work")
PLAYBOOKS = os.path.join(WORK, "playbooks")
BENCH_VENV = os.environ.get("BENCH_VENV", os.path.join(OUT, "venv"))
BV_PYTHON = os.path.join(BENCH_VENV, "bin", "python")
BV_PLAYBOOK = os.path.join(BENCH_VENV, "bin", "ansible-playbook")

# A benchmark-only account on the loopback sandbox. Never printed: results and logs are scanned for it.
SMTP_USER = "bench@example.test"
SMTP_PASSWORD = "Bench-Pass-7x!q"
SMTP_FROM_NAME = "Grafana"
TIMEOUT = 5
DEADLINE = 10
HOSTILE_TIMEOUT = 2
HOSTILE_DEADLINE = 4
HOSTILE_KILL = 45  # seconds: a baseline still running then is killed and reported as such
RESERVE = 10  # seconds kept for the report and stopping the sandbox


def log(msg):
    sys.stdout.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stdout.flush()


class Budget:
    """The wall-clock budget of the whole run (make bench must finish in under 10 minutes)."""

    def __init__(self, seconds):
        self.t0 = float(os.environ.get("BENCH_T0") or time.time())
        self.seconds = seconds

    def elapsed(self):
        return time.time() - self.t0

    def left(self):
        return self.seconds - self.elapsed()


# ---------------------------------------------------------------------------------------------------------
# machine and environment


def machine_description():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass

    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "unavailable"

    ansible_v = out([BV_PLAYBOOK, "--version"]).splitlines()
    bench_pkgs = out([BV_PYTHON, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"])
    pkgs = dict(line.split("==", 1) for line in bench_pkgs.splitlines() if "==" in line)
    swaks_v = out(["swaks", "--version"]).splitlines()
    osrel = "unknown"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osrel = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "os": osrel,
        "kernel": platform.release(),
        "python_controller_and_targets": out([BV_PYTHON, "--version"]),
        "python_harness": platform.python_version(),
        "ansible_core": ansible_v[0] if ansible_v else "unavailable",
        "ansible_package": pkgs.get("ansible", "unavailable"),
        "community_general": _collection_version("community", "general"),
        "swaks": swaks_v[0] if swaks_v else "unavailable",
        "loadavg_start": loadavg(),
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def _collection_version(ns, name):
    site = subprocess.run(
        [BV_PYTHON, "-c", "import ansible_collections, os; print(list(ansible_collections.__path__)[-1])"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    try:
        with open(os.path.join(site, ns, name, "MANIFEST.json")) as f:
            return json.load(f)["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        return "unavailable"


def ansible_env():
    env = dict(os.environ)
    env.update(
        PATH=os.path.join(BENCH_VENV, "bin") + os.pathsep + env.get("PATH", ""),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="true",  # community.general / ansible.posix from the bench venv
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_SYSTEM_WARNINGS="0",
        ANSIBLE_CONFIG=os.path.join(WORK, "ansible.cfg"),
        ANSIBLE_HOME=os.path.join(WORK, "ansible-home"),
        ANSIBLE_LOCAL_TEMP=os.path.join(WORK, "ansible-home", "tmp"),
    )
    env.pop("ANSIBLE_PIPELINING", None)
    return env


def module_env():
    """Environment for running a module file directly as a process (python -m <module> args.json)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, ".collections")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# ---------------------------------------------------------------------------------------------------------
# the sandbox (tests/smtp_sandbox, as a separate process)


class Sandbox:
    SCENARIOS = {
        "good": {"security": "starttls", "users": {SMTP_USER: SMTP_PASSWORD}, "auth_required": True},
        "silent": {"security": "starttls", "failure": "no_banner"},
        "drip": {"security": "starttls", "failure": "drip_banner", "drip_interval": 0.25},
        "stall": {"security": "starttls", "failure": "stall_after_ehlo", "users": {SMTP_USER: SMTP_PASSWORD}},
    }

    def __init__(self, directory):
        self.dir = directory
        self.scenarios = os.path.join(directory, "scenarios.json")
        self.statefile = os.path.join(directory, "state.json")
        self.records = os.path.join(directory, "records")
        self.state = None

    def __enter__(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(self.scenarios, "w") as f:
            json.dump(self.SCENARIOS, f, indent=2)
        try:
            os.unlink(self.statefile)
        except OSError:
            pass
        shutil.rmtree(self.records, ignore_errors=True)
        # serve in the foreground of a child we own (see sandbox_serve.py for the TCP_NODELAY note)
        self.log = open(os.path.join(self.dir, "sandbox.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "sandbox_serve.py"), "serve", "--scenarios", self.scenarios,
             "--state", self.statefile, "--record-dir", self.records],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not os.path.exists(self.statefile):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise BenchError("the SMTP sandbox did not start; see %s" % self.log.name)
            time.sleep(0.05)
        with open(self.statefile) as f:
            self.state = json.load(f)
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __getitem__(self, name):
        return self.state[name]

    def sessions(self, name="good"):
        """Sessions the sandbox instance ``name`` recorded so far (records/<name>/sessions.jsonl)."""
        path = os.path.join(self.records, name, "sessions.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def logins(self, name="good"):
        """How many sessions sent AUTH (what a provider counts against an account)."""
        return sum(1 for s in self.sessions(name) if any(c.upper().startswith("AUTH") for c in s["commands"]))

    def wait_sessions(self, count, name="good", timeout=10.0):
        """Records trail the clients by a moment: wait until ``count`` sessions are recorded."""
        deadline = time.monotonic() + timeout
        while len(self.sessions(name)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.sessions(name))


# ---------------------------------------------------------------------------------------------------------
# running things


class BenchError(RuntimeError):
    pass


def run_playbook(playbook, inventory, varsfile, forks=10, extra=()):
    cmd = [BV_PLAYBOOK, "-i", inventory, "-f", str(forks), "-e", "@" + varsfile, *extra,
           os.path.join(PLAYBOOKS, playbook)]
    run = run_process(cmd, env=ansible_env(), cwd=WORK)
    try:
        doc = json.loads(run.stdout[run.stdout.index("{"):])
    except ValueError:
        raise BenchError("%s: no JSON result (rc=%s)\n%s\n%s"
                         % (playbook, run.rc, run.stdout[-3000:], run.stderr[-3000:])) from None
    stats = doc.get("stats", {})
    bad = {h: s for h, s in stats.items() if s.get("failures") or s.get("unreachable")}
    if run.rc != 0 or bad:
        first = _first_failure(doc)
        raise BenchError("%s failed (rc=%s) on %d host(s): %s" % (playbook, run.rc, len(bad), first))
    run.doc = doc
    run.changed_hosts = sum(1 for s in stats.values() if s.get("changed"))
    return run


def _first_failure(doc):
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            for host, res in task.get("hosts", {}).items():
                if res.get("failed") or res.get("unreachable"):
                    return "%s / %s: %s" % (task["task"]["name"], host, str(res.get("msg"))[:600])
    return "?"


def task_seconds(doc, task_name):
    """Duration of the task named ``task_name`` (a role's task is named ``<role> : <name>``; summed if repeated)."""
    total = None
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            if name == task_name or name.endswith(" : " + task_name):
                d = task["task"]["duration"]
                total = (total or 0.0) + _ts(d["end"]) - _ts(d["start"])
    if total is None:
        raise BenchError("task %r not in the result" % task_name)
    return total


def task_changed(doc):
    """Number of changed hosts for each task, in order."""
    return [sum(1 for res in task.get("hosts", {}).values() if res.get("changed"))
            for play in doc.get("plays", []) for task in play.get("tasks", [])]


def _ts(text):
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def local_extra():
    """Options for the one-host playbooks on localhost."""
    return ["-c", "local", "-e", "ansible_python_interpreter=" + BV_PYTHON]


def write_json(path, data):
    """Write JSON readable by the owner only (several of these files carry the benchmark password)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    return path


def module_args_file(name, args):
    path = os.path.join(WORK, "args-%s.json" % name)
    return write_json(path, {"ANSIBLE_MODULE_ARGS": args})


def run_module(module, argsfile, kill_after=None):
    """A module as a whole process, the way a target runs it, minus the AnsiballZ wrapper."""
    return run_process([BV_PYTHON, "-m", module, argsfile], env=module_env(), cwd=WORK, kill_after=kill_after)


def module_result(run):
    text = run.stdout
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        return {"failed": True, "msg": (text + run.stderr)[-400:]}


# ---------------------------------------------------------------------------------------------------------
# inputs


class Inputs:
    """Everything the sections share: sandbox endpoints, variables file, the generated files."""

    def __init__(self, sandbox):
        good = sandbox["good"]
        self.sandbox = sandbox
        self.host, self.port, self.ca = good["host"], good["port"], good["ca_path"]
        self.server = good["server"]
        self.vars = {
            "smtp_server": self.server,
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_ca": self.ca,
            "smtp_user": SMTP_USER,
            "smtp_password": SMTP_PASSWORD,
            "smtp_from": SMTP_USER,
            "smtp_from_name": SMTP_FROM_NAME,
            "smtp_timeout": TIMEOUT,
            "smtp_deadline": DEADLINE,
        }
        self.drifted_ini = gen.grafana_ini()
        self.compliant_ini = None
        self.template_path = os.path.join(WORK, "grafana.ini.j2")
        self.large_seed = os.path.join(WORK, "large-seed.ini")
        self.large_path = os.path.join(WORK, "large.ini")
        self.ini_items = None
        self.varsfile = os.path.join(WORK, "vars.json")

    def save_vars(self, **more):
        self.vars.update(more)
        write_json(self.varsfile, self.vars)

    def prepare(self):
        """Make the compliant grafana.ini with our module itself, derive the whole-file template from it,
        and write the 50,000-line INI. Each is checked before anything is timed."""
        self.save_vars(grafana_template=self.template_path, large_path=self.large_path)
        d = os.path.join(WORK, "prepare")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        one = os.path.join(d, "grafana.ini")
        with open(one, "w") as f:
            f.write(self.drifted_ini)
        inv = gen.write_inventory(os.path.join(d, "inv.ini"), 1, BV_PYTHON, lambda name, i: one)
        # a real (not check mode) run writes the standard settings; the playbook's check_mode: true is
        # overridden by a copy of the play without it
        with open(os.path.join(PLAYBOOKS, "fleet_outgoing_server.yml")) as f:
            text = f.read().replace("      check_mode: true\n", "")
        real = os.path.join(WORK, "prepare_outgoing_server.yml")
        with open(real, "w") as f:
            f.write(text)
        r = run_playbook(real, inv, self.varsfile)
        if r.changed_hosts != 1:
            raise BenchError("preparing the compliant grafana.ini: outgoing_server reported no change")
        with open(one) as f:
            self.compliant_ini = f.read()
        r = run_playbook(real, inv, self.varsfile)
        if r.changed_hosts != 0:
            raise BenchError("outgoing_server is not idempotent on grafana.ini; cannot build the fleet")
        with open(self.template_path, "w") as f:
            f.write(grafana_template(self.compliant_ini))
        # the 50,000-line file, and the keys ini_file must set to reach what outgoing_server writes
        with open(self.large_seed, "w") as f:
            f.write(gen.large_ini())
        shutil.copyfile(self.large_seed, self.large_path)
        r = run_playbook("large_outgoing_server.yml", "localhost,", self.varsfile,
                         extra=local_extra())
        with open(self.large_seed) as f:
            before = ini_section(f.read(), "smtp")
        with open(self.large_path) as f:
            after_text = f.read()
        after = ini_section(after_text, "smtp")
        self.ini_items = [{"option": k, "value": v} for k, v in after.items() if before.get(k) != v]
        removed = [k for k in before if k not in after]
        if not self.ini_items or removed:
            raise BenchError("unexpected [smtp] change in the large file: set %r, removed %r"
                             % ([i["option"] for i in self.ini_items], removed))
        self.large_expected = after_text
        self.save_vars(ini_items=self.ini_items)


def ini_section(text, section):
    """Active ``key = value`` pairs of one section (comments skipped), in file order."""
    values = {}
    current = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            current = s[1:-1].strip()
            continue
        if current != section or not s or s[0] in "#;" or "=" not in s:
            continue
        k, v = s.split("=", 1)
        values[k.strip()] = v.strip()
    return values


def grafana_template(compliant_text):
    """The whole-file Jinja template a user keeps for grafana.ini: the file with [smtp] values templated."""
    names = {"enabled": "'true'", "host": "smtp_host ~ ':' ~ smtp_port", "user": "smtp_user",
             "password": "smtp_password", "from_address": "smtp_from", "from_name": "smtp_from_name"}
    out = []
    current = None
    for line in compliant_text.splitlines(True):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            current = s[1:-1]
        m = re.match(r"^(\w+)(\s*=\s*)(.*?)(\r?\n?)$", line)
        if current == "smtp" and m and m.group(1) in names:
            key, eq, value, nl = m.groups()
            if value.startswith('"""'):
                line = '%s%s"""{{ %s }}"""%s' % (key, eq, names[key], nl)
            else:
                line = "%s%s{{ %s }}%s" % (key, eq, names[key], nl)
        out.append(line)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# sections


def bench_dialogue(inp, reps):
    """2. The SMTP dialogue with STARTTLS and AUTH: envelope test vs swaks --quit-after rcpt."""
    log("dialogue: %d runs each (processes), %d in-process" % (reps, reps * 3))
    probe_args = module_args_file("probe-good", {
        "server": inp.server, "ca_path": inp.ca, "username": SMTP_USER, "password": SMTP_PASSWORD,
        "test_sender": SMTP_USER, "test": "envelope", "timeout": TIMEOUT, "deadline": DEADLINE,
    })
    mail_args = module_args_file("mail-good", mail_module_args(inp.host, inp.port, TIMEOUT))
    swaks = swaks_cmd(inp.host, inp.port, inp.ca, TIMEOUT)
    engine_args = write_json(os.path.join(WORK, "engine-good.json"), dict(
        settings=dict(server=inp.server, ca_path=inp.ca, username=SMTP_USER, password=SMTP_PASSWORD),
        test=dict(level="envelope", test_sender=SMTP_USER, timeout=TIMEOUT, deadline=DEADLINE, transcript="never")))
    ping_args = module_args_file("ping", {})
    samples = {"ours_process": [], "engine_process": [], "swaks_process": [], "mail_process": [], "ping_process": [],
               "python_process": []}
    for _rep in range(reps):
        samples["python_process"].append(run_process([BV_PYTHON, "-c", "pass"], cwd=WORK).wall)
        r = run_module("ansible.modules.ping", ping_args)
        if r.rc != 0:
            raise BenchError("ping module process failed: %s" % r.stdout[-300:])
        samples["ping_process"].append(r.wall)
        r = run_process([BV_PYTHON, os.path.join(HERE, "probe_once.py"), engine_args], cwd=WORK)
        if r.rc != 0:
            raise BenchError("probe_once.py against the good sandbox failed: %s %s" % (r.stdout, r.stderr[-500:]))
        samples["engine_process"].append(r.wall)
        r = run_module("ansible_collections.mailops.smtp.plugins.modules.smtp_probe", probe_args)
        res = module_result(r)
        if r.rc != 0 or res.get("failed"):
            raise BenchError("smtp_probe against the good sandbox failed: %s" % res.get("msg"))
        samples["ours_process"].append(r.wall)
        r = run_process(swaks, cwd=WORK)
        if r.rc != 0:
            raise BenchError("swaks against the good sandbox failed (rc=%s): %s" % (r.rc, r.stdout[-500:]))
        samples["swaks_process"].append(r.wall)
        r = run_module("ansible_collections.community.general.plugins.modules.mail", mail_args)
        if r.rc != 0 or module_result(r).get("failed"):
            raise BenchError("community.general.mail against the good sandbox failed: %s" % module_result(r))
        samples["mail_process"].append(r.wall)
    # in-process: the engine alone, and the same steps with smtplib (what a hand-written check does)
    from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp
    from ansible_collections.mailops.smtp.plugins.module_utils._settings import Settings, TestOptions

    servers = inprocess_servers(inp.server)
    settings = Settings(servers, validate_certs=True, ca_path=inp.ca, auth=True, username=SMTP_USER,
                        password=SMTP_PASSWORD)
    options = TestOptions(level="envelope", test_sender=SMTP_USER, timeout=TIMEOUT, deadline=DEADLINE,
                          transcript="never")
    inproc = {"ours_inprocess": [], "smtplib_inprocess": []}
    for _rep in range(reps * 3):
        t = time.perf_counter()
        res = probe_smtp(settings, options)
        inproc["ours_inprocess"].append(time.perf_counter() - t)
        if not res.get("ok"):
            raise BenchError("probe_smtp in-process failed: %s" % res.get("msg"))
        t = time.perf_counter()
        smtplib_envelope(inp.host, inp.port, inp.ca)
        inproc["smtplib_inprocess"].append(time.perf_counter() - t)
    samples.update(inproc)
    # what loading the system trust store costs (probe_smtp() does it for every test, ca_path or not)
    samples["trust_store_inprocess"] = []
    for _rep in range(reps * 3):
        t = time.perf_counter()
        ssl.create_default_context()
        samples["trust_store_inprocess"].append(time.perf_counter() - t)
    return {k: Sample(v) for k, v in samples.items()}


def inprocess_servers(server):
    from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers

    return parse_servers(server)


def smtplib_envelope(host, port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    s = smtplib.SMTP(host, port, timeout=TIMEOUT)
    try:
        s.ehlo()
        s.starttls(context=ctx)
        s.ehlo()
        s.user, s.password = SMTP_USER, SMTP_PASSWORD
        code = s.auth("PLAIN", s.auth_plain)[0]
        assert code == 235, code
        assert s.mail(SMTP_USER)[0] == 250
        assert s.rcpt(SMTP_USER)[0] == 250
        assert s.docmd("DATA")[0] == 354
    finally:
        s.close()


def swaks_cmd(host, port, ca, timeout, verify=True):
    cmd = ["swaks", "--server", "%s:%s" % (host, port), "--tls", "--auth", "PLAIN", "--auth-user", SMTP_USER,
           "--auth-password", SMTP_PASSWORD, "--from", SMTP_USER, "--to", SMTP_USER, "--quit-after", "rcpt",
           "--timeout", str(timeout), "--hide-all"]
    if verify:
        cmd[4:4] = ["--tls-verify", "--tls-ca-path", ca]
    return cmd


def mail_module_args(host, port, timeout):
    return {"host": host, "port": port, "secure": "starttls", "username": SMTP_USER, "password": SMTP_PASSWORD,
            "sender": SMTP_USER, "to": SMTP_USER, "subject": "SMTP test", "body": "Test mail.", "timeout": timeout}


def bench_hostile(inp, reps):
    """3. Silent, dripping and stalling servers: time to a verdict."""
    rows = []
    for name, what in (("silent", "accepts, never sends a byte"),
                       ("drip", "greeting one byte every 0.25 s"),
                       ("stall", "answers EHLO, then nothing")):
        sb = inp.sandbox[name]
        log("hostile: %s (%s)" % (name, what))
        ours_args = module_args_file("probe-" + name, {
            "server": sb["server"], "ca_path": sb["ca_path"], "username": SMTP_USER, "password": SMTP_PASSWORD,
            "test_sender": SMTP_USER, "test": "envelope", "timeout": HOSTILE_TIMEOUT, "deadline": HOSTILE_DEADLINE,
            "fail_on_error": False,
        })
        mail_args = module_args_file("mail-" + name, mail_module_args(sb["host"], sb["port"], HOSTILE_TIMEOUT))
        row = {"server": name, "what": what, "timeout": HOSTILE_TIMEOUT, "deadline": HOSTILE_DEADLINE}
        times = {"ours": [], "engine": [], "swaks": [], "mail": []}
        from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp

        for _rep in range(reps):
            t = time.perf_counter()
            res = probe_smtp(sb["server"], level="envelope", ca_path=sb["ca_path"], username=SMTP_USER,
                             password=SMTP_PASSWORD, test_sender=SMTP_USER, timeout=HOSTILE_TIMEOUT,
                             deadline=HOSTILE_DEADLINE, transcript="never")
            times["engine"].append(time.perf_counter() - t)
            diag = res.get("diagnosis") or {}
            row["engine_verdict"] = "%s at %s" % (diag.get("category"), diag.get("stage")) if diag else "ok"
            r = run_module("ansible_collections.mailops.smtp.plugins.modules.smtp_probe", ours_args,
                           kill_after=HOSTILE_KILL)
            res = module_result(r)
            diag = res.get("diagnosis") or {}
            row["ours_verdict"] = "%s at %s" % (diag.get("category"), diag.get("stage")) if diag else (
                "killed" if r.killed else ("ok" if not res.get("failed") else "failed: %s" % res.get("msg")))
            if diag.get("suggestion"):
                row["ours_verdict"] += " (suggests %s)" % diag["suggestion"].get("server")
            times["ours"].append(r.wall)
            r = run_process(swaks_cmd(sb["host"], sb["port"], sb["ca_path"], HOSTILE_TIMEOUT)[:-1], cwd=WORK,
                            kill_after=HOSTILE_KILL)
            times["swaks"].append(r.wall)
            row["swaks_verdict"] = "killed" if r.killed else "rc=%s: %s" % (r.rc, swaks_verdict(r.stdout + r.stderr))
            r = run_module("ansible_collections.community.general.plugins.modules.mail", mail_args,
                           kill_after=HOSTILE_KILL)
            times["mail"].append(r.wall)
            res = module_result(r)
            row["mail_verdict"] = "killed" if r.killed else (
                "sent" if not res.get("failed") else str(res.get("msg"))[:90])
        for k, v in times.items():
            row[k] = Sample(v)
        rows.append(row)
    return rows


def swaks_verdict(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(("***", "<**"))]
    return lines[0][:90] if lines else (text.strip().splitlines() or ["(no output)"])[-1][:90]


LARGE_PLAYS = (
    ("ours", "large_outgoing_server.yml", "Write the SMTP settings without an SMTP test (the store cost alone)"),
    ("ini", "large_ini_file.yml", "Write each SMTP key"),
)


def bench_large(inp, reps):
    """4. Setting the SMTP keys in a 50,000-line INI file."""
    log("large file: %d runs each; ini_file sets %d keys (one task per key, as users loop)"
        % (reps, len(inp.ini_items)))
    res = {"ours_task": [], "ours_play": [], "ini_task": [], "ini_play": []}
    same_bytes = None
    for _rep in range(reps):
        for who, playbook, task in LARGE_PLAYS:
            shutil.copyfile(inp.large_seed, inp.large_path)
            r = run_playbook(playbook, "localhost,", inp.varsfile,
                             extra=local_extra())
            if r.changed_hosts != 1:
                raise BenchError("%s did not change the large file" % playbook)
            res[who + "_task"].append(task_seconds(r.doc, task))
            res[who + "_play"].append(r.wall)
            with open(inp.large_path) as f:
                text = f.read()
            if who == "ini":
                same_bytes = text == inp.large_expected
                if ini_section(text, "smtp") != ini_section(inp.large_expected, "smtp"):
                    raise BenchError("ini_file did not reach the same [smtp] values as outgoing_server")
    out = {k: Sample(v) for k, v in res.items()}
    out["same_bytes"] = same_bytes
    out["keys"] = [i["option"] for i in inp.ini_items]
    return out


RSS_MODULES = (
    ("ping", "ansible.builtin.ping"),
    ("outgoing_server", "mailops.smtp.outgoing_server (check, envelope test)"),
    ("smtp_probe", "mailops.smtp.smtp_probe (envelope test)"),
    ("stat", "ansible.builtin.template (check): its stat"),
    ("mail", "community.general.mail"),
    ("ini_file", "community.general.ini_file (50,000 lines)"),
    ("outgoing_server#2", "mailops.smtp.outgoing_server (50,000 lines)"),
)


def bench_memory(inp):
    """5. Peak RSS of one module run on a host, measured around the target's interpreter."""
    log("memory: one run of each module with an RSS-recording interpreter")
    d = os.path.join(WORK, "rss")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rss_log = os.path.join(d, "rss.log")
    wrapper = os.path.join(d, "python-rss")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec /usr/bin/time -a -o "%s" -f "%%M %%C" "%s" "$@"\n' % (rss_log, BV_PYTHON))
    os.chmod(wrapper, 0o755)
    cfg = os.path.join(d, "grafana.ini")
    with open(cfg, "w") as f:
        f.write(inp.drifted_ini)
    shutil.copyfile(inp.large_seed, inp.large_path)
    inv = os.path.join(d, "inv.ini")
    with open(inv, "w") as f:
        f.write("[rss]\nrsshost ansible_connection=local ansible_python_interpreter=%s cfg_path=%s\n" % (wrapper, cfg))
    run_playbook("memory.yml", inv, inp.varsfile)
    seen = {}
    with open(rss_log) as f:
        for line in f:
            m = re.match(r"^(\d+) .*AnsiballZ_(\w+)\.py", line)
            if not m:
                continue
            name = m.group(2)
            key = name
            n = 2
            while key in seen:
                key = "%s#%d" % (name, n)
                n += 1
            seen[key] = int(m.group(1))
    return [{"key": k, "what": what, "peak_rss_mib": round(seen[k] / 1024.0, 1) if k in seen else None}
            for k, what in RSS_MODULES]


class Fleet:
    """1. Fleet audit, forks 10, local connection, one grafana.ini per host.

    One ``run_once()`` runs the three playbooks back to back (interleaved repetitions); the caller decides
    how many repetitions fit in the time budget.
    """

    VARIANTS = (("ping", "fleet_ping.yml"), ("ours", "fleet_outgoing_server.yml"),
                ("template_mail", "fleet_template_mail.yml"))

    def __init__(self, inp, hosts):
        self.inp = inp
        self.hosts = hosts
        root = os.path.join(WORK, "fleet%d" % hosts)
        shutil.rmtree(root, ignore_errors=True)
        self.inventory = gen.make_fleet(root, hosts, BV_PYTHON, inp.compliant_ini, inp.drifted_ini)
        self.drifted = hosts // 4
        self.wall = {v[0]: [] for v in self.VARIANTS}
        self.cpu = {v[0]: [] for v in self.VARIANTS}
        self.rep_seconds = []

    def run_once(self):
        t = time.time()
        rep = len(self.rep_seconds) + 1
        # ours and the template must see the same drift (every 4th host); mail reports changed=false
        expected = {"ping": [0], "ours": [self.drifted], "template_mail": [self.drifted, 0]}
        for key, playbook in self.VARIANTS:
            r = run_playbook(playbook, self.inventory, self.inp.varsfile, forks=10)
            if task_changed(r.doc) != expected[key]:
                raise BenchError("fleet %d, %s: changed hosts per task %r, expected %r"
                                 % (self.hosts, playbook, task_changed(r.doc), expected[key]))
            self.wall[key].append(r.wall / self.hosts)
            self.cpu[key].append(r.cpu / self.hosts)
            log("fleet %3d run %d %-13s %6.1f s wall, %6.1f s CPU, %d changed"
                % (self.hosts, rep, key, r.wall, r.cpu, r.changed_hosts))
        self.rep_seconds.append(time.time() - t)

    def estimate(self):
        return max(self.rep_seconds) if self.rep_seconds else None

    def result(self):
        return {"hosts": self.hosts, "drifted": self.drifted, "runs": len(self.rep_seconds),
                "wall": {k: Sample(v) for k, v in self.wall.items()},
                "cpu": {k: Sample(v) for k, v in self.cpu.items()}}


class RoleFleet:
    """6. The role at fleet scale: an audit and an apply (--check) with one credential set, against ping on the
    same inventory, in the same run (ping, audit, apply, back to back).

    Counts the logins on the sandbox (sessions that sent AUTH) for each role run, and checks the report: every
    host in it, the drifted hosts found, one credential set carried by one host.
    """

    MODES = ("audit", "apply")

    def __init__(self, inp, sandbox, hosts):
        self.inp = inp
        self.sandbox = sandbox
        self.hosts = hosts
        root = os.path.join(WORK, "role%d" % hosts)
        shutil.rmtree(root, ignore_errors=True)
        self.inventory = gen.make_fleet(root, hosts, BV_PYTHON, inp.compliant_ini, inp.drifted_ini)
        self.report_dir = os.path.join(root, "reports")
        self.drifted = hosts // 4
        self.wall = {"ping": [], "audit": [], "apply": []}
        self.cpu = {"ping": [], "audit": [], "apply": []}
        self.logins = []
        self.sessions = []
        self.report_tasks = []
        self.rep_seconds = []
        self.carrier = None

    def run_once(self):
        t = time.time()
        r = run_playbook("fleet_ping.yml", self.inventory, self.inp.varsfile, forks=10)
        self.wall["ping"].append(r.wall / self.hosts)
        self.cpu["ping"].append(r.cpu / self.hosts)
        walls = [self._run_role(mode) for mode in self.MODES]
        self.rep_seconds.append(time.time() - t)
        log("role %d hosts run %d: audit %.1f s, apply (--check) %.1f s wall (ping %.1f s), logins %s, sessions "
            "%s, report tasks %.2f s" % (self.hosts, len(self.rep_seconds), walls[0], walls[1],
                                         self.wall["ping"][-1] * self.hosts, self.logins[-2:], self.sessions[-2:],
                                         self.report_tasks[-1]))

    def _run_role(self, mode):
        before_sessions = len(self.sandbox.sessions())
        before = self.sandbox.logins()
        extra = ["-e", "role_report_dir=" + self.report_dir] + (["--check"] if mode == "apply" else [])
        r = run_playbook("role_%s.yml" % mode, self.inventory, self.inp.varsfile, forks=10, extra=extra)
        # every host opens one session (its TLS check); the carrier one more (its full test)
        seen = self.sandbox.wait_sessions(before_sessions + self.hosts + 1)
        logins = self.sandbox.logins() - before
        with open(os.path.join(self.report_dir, "outgoing-server-%s.json" % mode)) as f:
            report = json.load(f)
        by_status = report["totals"]["by_status"]
        if (report["totals"]["hosts"] != self.hosts or by_status["drifted"] != self.drifted
                or by_status["compliant"] != self.hosts - self.drifted or len(report["credential_sets"]) != 1):
            raise BenchError("role %s: unexpected report totals %r, %d credential set(s)"
                             % (mode, report["totals"], len(report["credential_sets"])))
        self.wall[mode].append(r.wall / self.hosts)
        self.cpu[mode].append(r.cpu / self.hosts)
        self.logins.append(logins)
        self.sessions.append(seen - before_sessions)
        if mode == "audit":
            self.report_tasks.append(sum(task_seconds(r.doc, name) for name in REPORT_TASKS))
        self.carrier = report["credential_sets"][0]["carrier"]
        return r.wall

    def estimate(self):
        return max(self.rep_seconds) if self.rep_seconds else None

    def result(self):
        return {"hosts": self.hosts, "drifted": self.drifted, "runs": len(self.rep_seconds),
                "wall": {k: Sample(v) for k, v in self.wall.items()},
                "cpu": {k: Sample(v) for k, v in self.cpu.items()},
                "logins": self.logins, "sessions": self.sessions, "carrier": self.carrier,
                "report_tasks": Sample(self.report_tasks)}


# Every task of the role's report.yml: one controller-side task that builds and writes the files, and the message
# saying where they are (the 1.1.0 role had four: build, directory, three copy runs, message).
REPORT_TASKS = ("Write the fleet report on the controller", "Show where the fleet report is")


def report_samples():
    """Host summaries as the role leaves them: compliant, drifted, failed at AUTH (a set), failed locally."""
    from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import host_summary

    credential = {"shared": True, "key": "k", "server": "tls://smtp.example.com:587",
                  "username": "apps@example.com", "level": "envelope"}
    passed = {"verdict": "passed", "carrier": "host0001", "level": "envelope",
              "reply": "354 End data with <CR><LF>.<CR><LF>"}
    refused = {"verdict": "failed", "carrier": "host0002", "level": "envelope", "reply": "535 5.7.8 invalid",
               "message": "SMTP test failed at stage auth",
               "diagnosis": {"category": "auth_failed", "stage": "auth", "smtp_code": 535,
                             "enhanced_status": "5.7.8", "server_message": "Authentication credentials invalid",
                             "hint": "Check the user name and password."}}
    drift = [{"setting": "host", "before": "exchange.example.com", "after": "smtp.example.com"},
             {"setting": "port", "before": 25, "after": 587},
             {"setting": "password", "before": "********", "after": "********"}]
    info = {"exists": True, "settings": {"server": "smtp://exchange.example.com:25"}, "drift": drift}
    in_sync = {"exists": True, "settings": {"server": "tls://smtp.example.com:587"}, "drift": []}
    local_ok = {"ok": True, "probe": {"stages": [{"stage": "tls", "reply": "220 2.0.0 Ready to start TLS"}]}}
    local_bad = {"ok": False, "msg": "SMTP test failed at stage connect",
                 "diagnosis": {"category": "connection_timeout", "stage": "connect",
                               "server_message": "timed out", "hint": "A firewall drops the packets."}}
    common = dict(mode="audit", app="grafana", server="tls://smtp.example.com:587", credential=credential)
    samples = [host_summary(in_sync, probe=local_ok, verdict=passed, **common) for _i in range(14)]
    samples += [host_summary(info, probe=local_ok, verdict=passed, **common) for _i in range(3)]
    samples += [host_summary(info, probe=local_ok, verdict=refused, **common),
                host_summary(info, probe=local_bad, verdict=passed, **common)]
    return samples


def bench_report(reps, hosts=1000):
    """7. Rendering the fleet report of a 1,000-host fleet: in-process, and as the role's tasks in a playbook."""
    from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import build_report, render

    log("report: %d hosts, %d runs in-process, 1 through ansible-playbook" % (hosts, reps))
    samples = report_samples()
    names = ["host%04d" % i for i in range(1, hosts + 1)]
    summaries = {name: samples[i % len(samples)] for i, name in enumerate(names)}
    timings = {"build": [], "json": [], "markdown": [], "html": [], "total": []}
    sizes = {}
    for _rep in range(reps):
        t0 = time.perf_counter()
        report = build_report(summaries, names, active_hosts=names, mode="audit", secrets=[SMTP_PASSWORD])
        t1 = time.perf_counter()
        timings["build"].append(t1 - t0)
        for fmt in ("json", "markdown", "html"):
            t = time.perf_counter()
            sizes[fmt] = len(render(report, fmt))
            timings[fmt].append(time.perf_counter() - t)
        timings["total"].append(time.perf_counter() - t0)
    # Through Ansible: the role's report tasks on a 1,000-host inventory whose hosts hold a summary.
    root = os.path.join(WORK, "report%d" % hosts)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    inventory = os.path.join(root, "inventory.ini")
    with open(inventory, "w") as f:
        f.write("[fleet]\n")
        for name in names:
            f.write("%s ansible_connection=local ansible_python_interpreter=%s\n" % (name, BV_PYTHON))
    samples_file = write_json(os.path.join(root, "samples.json"), {"report_samples": samples})
    r = run_playbook("report_render.yml", inventory, samples_file, forks=10,
                     extra=["-e", "role_report_dir=" + os.path.join(root, "reports")])
    with open(os.path.join(root, "reports", "outgoing-server-audit.json")) as f:
        written = json.load(f)
    if written["totals"]["hosts"] != hosts:
        raise BenchError("report render: %d hosts in the written report" % written["totals"]["hosts"])
    result = {k: Sample(v) for k, v in timings.items()}
    result["ansible_tasks"] = Sample([sum(task_seconds(r.doc, name) for name in REPORT_TASKS)])
    result["sizes"] = sizes
    result["hosts"] = hosts
    return result


# ---------------------------------------------------------------------------------------------------------
# report


def goal_cell(value, goal):
    return "%s %s" % ("<=%.1fx" % goal, "met" if value <= goal else "**missed**")


def ms(sample):
    return sample.scaled(1000.0, "ms")


def report(machine, results):
    lines = []
    lines.append("Machine: %s x%s, %s GiB RAM, %s, kernel %s" % (
        machine["cpu_model"], machine["nproc"], machine["ram_gib"], machine["os"], machine["kernel"]))
    lines.append("Versions: %s (targets and controller), %s, ansible %s, community.general %s, %s" % (
        machine["python_controller_and_targets"], machine["ansible_core"], machine["ansible_package"],
        machine["community_general"], machine["swaks"]))
    lines.append("Run: %s, %.0f s; load average (1, 5, 15 min) at start %s, at end %s" % (
        machine["date_utc"], machine.get("elapsed_s", 0), machine["loadavg_start"], machine.get("loadavg_end")))
    lines.append("Medians of n runs, [min-max]; ratio spread = [min(ours)/max(base), max(ours)/min(base)]")
    lines.append("")
    lines.append("| # | measurement | ours | baseline | ratio | goal |")
    lines.append("|---|---|---|---|---|---|")
    for f in results.get("fleet", []):
        w = f["wall"]
        for base, label, goal in (("ping", "ansible.builtin.ping", 1.5),
                                  ("template_mail", "template + community.general.mail", 0.7)):
            r = ratio(w["ours"], w[base])
            lines.append("| 1 | fleet %d hosts, per host: outgoing_server (check) vs %s | %s | %s | %s | %s |" % (
                f["hosts"], label, ms(w["ours"]).fmt(0), ms(w[base]).fmt(0), fmt_ratio(r), goal_cell(r[0], goal)))
    for rf in results.get("role", []):
        for mode, label in (("audit", "audit"), ("apply", "apply (--check)")):
            for kind, values in (("wall", rf["wall"]), ("CPU", rf["cpu"])):
                r = ratio(values[mode], values["ping"])
                lines.append("| 6 | role %s, %d hosts, one credential set, %s per host: outgoing_server role vs "
                             "ansible.builtin.ping | %s | %s | %s | %s |" % (
                                 label, rf["hosts"], kind, ms(values[mode]).fmt(0), ms(values["ping"]).fmt(0),
                                 fmt_ratio(r), goal_cell(r[0], 1.3)))
        logins = ", ".join(str(n) for n in rf["logins"])
        lines.append("| 6 | role audit and apply, %d hosts: logins (AUTH sessions) counted on the sandbox, per "
                     "run | %s | %d (one per host) | - | 1 |" % (rf["hosts"], logins, rf["hosts"]))
        lines.append("| 6 | role audit, %d hosts: the report tasks (build + write 3 files + message) | %s | - | - | - |"
                     % (rf["hosts"], rf["report_tasks"].fmt(2)))
    rp = results.get("report")
    if rp:
        lines.append("| 7 | fleet report, %d hosts, in-process: build + JSON + Markdown + HTML | %s | - | - | "
                     "<2 s %s |" % (rp["hosts"], rp["total"].fmt(3),
                                    "met" if rp["total"].median < 2 else "**missed**"))
        lines.append("| 7 | fleet report, %d hosts, the role's report tasks in ansible-playbook (hostvars of %d "
                     "hosts, build, write 3 files) | %s | - | - | <2 s %s |" % (
                         rp["hosts"], rp["hosts"], rp["ansible_tasks"].fmt(2),
                         "met" if rp["ansible_tasks"].median < 2 else "**missed**"))
    d = results.get("dialogue")
    if d:
        rows = (("smtp_probe module process vs swaks process", "ours_process", "swaks_process", 1.0),
                ("probe_smtp() engine process (no AnsibleModule) vs swaks process", "engine_process",
                 "swaks_process", 1.0),
                ("probe_smtp() in-process vs swaks process", "ours_inprocess", "swaks_process", 1.0),
                ("probe_smtp() in-process vs smtplib in-process (same steps)", "ours_inprocess",
                 "smtplib_inprocess", None),
                ("smtp_probe module process vs community.general.mail process (sends a mail)", "ours_process",
                 "mail_process", None))
        for label, a, b, goal in rows:
            r = ratio(d[a], d[b])
            lines.append("| 2 | dialogue (STARTTLS+AUTH): %s | %s | %s | %s | %s |" % (
                label, ms(d[a]).fmt(1), ms(d[b]).fmt(1), fmt_ratio(r), goal_cell(r[0], goal) if goal else "-"))
        above = d["ours_process"].median - d["ping_process"].median
        lines.append("| 2 | dialogue: smtp_probe module process minus the ping module process (Ansible's module "
                     "start-up, %.1f ms) vs swaks process | %.1f ms | %s | %.2fx | - |" % (
                         d["ping_process"].median * 1000, above * 1000, ms(d["swaks_process"]).fmt(1),
                         above / d["swaks_process"].median))
        lines.append("| 2 | reference: an empty Python process (`python -c pass`) | %s | - | - | - |"
                     % ms(d["python_process"]).fmt(1))
        lines.append("| 2 | reference: `ssl.create_default_context()` in-process (loads the system trust store) | %s "
                     "| - | - | - |" % ms(d["trust_store_inprocess"]).fmt(1))
    lg = results.get("large")
    if lg:
        for label, a, b, goal in (("task time", "ours_task", "ini_task", 1.0),
                                  ("whole ansible-playbook", "ours_play", "ini_play", None)):
            r = ratio(lg[a], lg[b])
            lines.append("| 4 | 50,000-line INI, %s: outgoing_server vs ini_file x%d keys | %s | %s | %s | %s |" % (
                label, len(lg["keys"]), lg[a].fmt(2), lg[b].fmt(2), fmt_ratio(r), goal_cell(r[0], goal)
                if goal else "-"))
    mem = {m["key"]: m for m in results.get("memory", [])}
    if mem:
        for ours, base in (("outgoing_server", "ping"), ("outgoing_server", "mail"), ("smtp_probe", "mail"),
                           ("outgoing_server#2", "ini_file")):
            a, b = mem[ours]["peak_rss_mib"], mem[base]["peak_rss_mib"]
            if a is None or b is None:
                continue
            lines.append("| 5 | peak RSS of one module run: %s vs %s | %.1f MiB | %.1f MiB | %.2fx | - |" % (
                mem[ours]["what"], mem[base]["what"], a, b, a / b))
    h = results.get("hostile")
    if h:
        lines.append("")
        lines.append("Hostile servers (timeout %s s per operation, deadline %s s for ours; swaks --timeout %s; "
                     "mail timeout=%s; baselines killed after %s s):" % (
                         HOSTILE_TIMEOUT, HOSTILE_DEADLINE, HOSTILE_TIMEOUT, HOSTILE_TIMEOUT, HOSTILE_KILL))
        lines.append("")
        lines.append("| server | probe_smtp() in-process | smtp_probe module process: time, verdict | swaks: time, "
                     "verdict | community.general.mail: time, verdict |")
        lines.append("|---|---|---|---|---|")
        for row in h:
            lines.append("| %s (%s) | %s, %s | %s, %s | %s, %s | %s, %s |" % (
                row["server"], row["what"], row["engine"].fmt(2), row["engine_verdict"], row["ours"].fmt(2),
                row["ours_verdict"], row["swaks"].fmt(2),
                row["swaks_verdict"], row["mail"].fmt(2), row["mail_verdict"]))
    if results.get("fleet"):
        lines.append("")
        lines.append("Fleet CPU per host (controller + target, user+sys), medians:")
        lines.append("")
        lines.append("| hosts | ping | outgoing_server (check) | template + mail |")
        lines.append("|---|---|---|---|")
        for f in results["fleet"]:
            c = f["cpu"]
            lines.append("| %d | %s | %s | %s |"
                         % (f["hosts"], ms(c["ping"]).fmt(0), ms(c["ours"]).fmt(0), ms(c["template_mail"]).fmt(0)))
    if results.get("role"):
        lines.append("")
        lines.append("Role CPU per host (controller + target, user+sys), medians [range]:")
        lines.append("")
        lines.append("| hosts | ping | role audit | role apply (--check) | sessions on the sandbox per run | carrier |")
        lines.append("|---|---|---|---|---|---|")
        for rf in results["role"]:
            c = rf["cpu"]
            sessions = ", ".join(str(n) for n in rf["sessions"])
            row = (rf["hosts"], ms(c["ping"]).fmt(0), ms(c["audit"]).fmt(0), ms(c["apply"]).fmt(0), sessions,
                   rf["carrier"])
            lines.append("| %d | %s | %s | %s | %s | %s |" % row)
    if rp:
        lines.append("")
        lines.append("Report of %d hosts, in-process medians: build %s, JSON %s, Markdown %s, HTML %s; sizes %s" % (
            rp["hosts"], rp["build"].fmt(3), rp["json"].fmt(3), rp["markdown"].fmt(3), rp["html"].fmt(3),
            ", ".join("%s %d kB" % (k, v // 1024) for k, v in rp["sizes"].items())))
    if mem:
        lines.append("")
        lines.append("Peak RSS per module run: " + ", ".join(
            "%s %s MiB" % (m["what"], m["peak_rss_mib"]) for m in results["memory"]))
    if lg:
        lines.append("")
        lines.append("50,000-line INI: keys set %s; ini_file result byte-identical to outgoing_server's: %s" % (
            ", ".join(lg["keys"]), "yes" if lg["same_bytes"] else "no"))
    return "\n".join(lines) + "\n"


def to_jsonable(obj):
    if isinstance(obj, Sample):
        return {"median": obj.median, "min": obj.lo, "max": obj.hi, "n": len(obj.values), "unit": obj.unit,
                "values": obj.values}
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def leak_check(paths):
    """The benchmark account's password must not appear in anything we saved or printed."""
    import base64

    needles = [SMTP_PASSWORD.encode(), base64.b64encode(("\0%s\0%s" % (SMTP_USER, SMTP_PASSWORD)).encode())]
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        for n in needles:
            if n in data:
                raise BenchError("password found in %s" % p)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 570)),
                    help="seconds for the whole run, counted from BENCH_T0 (run.sh start)")
    ap.add_argument("--fleet", default=os.environ.get("BENCH_FLEET", "50,200"), help="fleet sizes")
    ap.add_argument("--fleet-reps", type=int, default=int(os.environ.get("BENCH_FLEET_REPS", 3)))
    ap.add_argument("--dialogue-reps", type=int, default=10)
    ap.add_argument("--large-reps", type=int, default=3)
    ap.add_argument("--hostile-reps", type=int, default=1)
    ap.add_argument("--role-hosts", default=os.environ.get("BENCH_ROLE_HOSTS", "30,200"),
                    help="role fleet sizes (audit and apply against ping)")
    ap.add_argument("--report-reps", type=int, default=5)
    ap.add_argument("--only", default="dialogue,hostile,large,memory,fleet,role,report", help="sections to run")
    args = ap.parse_args(argv)
    budget = Budget(args.budget)
    only = set(args.only.split(","))
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "ansible.cfg"), "w") as f:
        f.write("[defaults]\n")
    os.makedirs(PLAYBOOKS, exist_ok=True)
    for name, text in playbooks.PLAYBOOKS.items():
        with open(os.path.join(PLAYBOOKS, name), "w") as f:
            f.write(text)
    machine = machine_description()
    log("machine: %s x%s, %s GiB; %s; %s; load %s" % (
        machine["cpu_model"], machine["nproc"], machine["ram_gib"], machine["ansible_core"], machine["swaks"],
        machine["loadavg_start"]))
    if float(machine["loadavg_start"].split()[0]) > 1.0 * (os.cpu_count() or 1):
        log("WARNING: the machine is busy (load %s on %s cores): absolute times will be inflated and ratios "
            "noisy" % (machine["loadavg_start"], os.cpu_count()))
    results = {}
    with Sandbox(os.path.join(WORK, "sandbox")) as sandbox:
        inp = Inputs(sandbox)
        log("preparing inputs (compliant grafana.ini via outgoing_server, template, 50,000-line INI)")
        inp.prepare()
        # Every fleet size gets one run first, then the other sections, then more fleet runs while they
        # fit in the budget: everything is measured at least once even on a slow machine.
        fleets = []
        if "fleet" in only:
            for hosts in [int(x) for x in args.fleet.split(",") if x]:
                log("fleet: %d hosts, forks 10, run 1 (%.0f s left)" % (hosts, budget.left()))
                fleet = Fleet(inp, hosts)
                fleet.run_once()
                fleets.append(fleet)
        roles = []
        if "role" in only:
            for hosts in [int(x) for x in str(args.role_hosts).split(",") if x]:
                log("role: %d hosts, forks 10, run 1 (%.0f s left)" % (hosts, budget.left()))
                role = RoleFleet(inp, sandbox, hosts)
                role.run_once()
                roles.append(role)
        if "report" in only:
            results["report"] = bench_report(args.report_reps)
        if "dialogue" in only:
            results["dialogue"] = bench_dialogue(inp, args.dialogue_reps)
        if "large" in only:
            results["large"] = bench_large(inp, args.large_reps)
        if "memory" in only:
            results["memory"] = bench_memory(inp)
        if "hostile" in only:
            results["hostile"] = bench_hostile(inp, args.hostile_reps)
        for rep in range(2, args.fleet_reps + 1):
            for fleet in fleets + roles:
                need = fleet.estimate() * 1.1 + RESERVE
                if budget.left() < need:
                    log("%s: skipping run %d of %d hosts: %.0f s left, about %.0f s needed"
                        % (type(fleet).__name__, rep, fleet.hosts, budget.left(), need))
                    continue
                fleet.run_once()
        if fleets:
            results["fleet"] = [f.result() for f in fleets]
        if roles:
            results["role"] = [r.result() for r in roles]
    machine["loadavg_end"] = loadavg()
    machine["elapsed_s"] = budget.elapsed()
    table = report(machine, results)
    md = os.path.join(OUT, "results.md")
    with open(md, "w") as f:
        f.write(table)
    js = write_json(os.path.join(OUT, "results.json"), {"machine": machine, "results": to_jsonable(results),
                                                        "elapsed_s": budget.elapsed()})
    leak_check([md, js])
    sys.stdout.write("\n" + table)
    log("done in %.0f s; results in %s and %s" % (budget.elapsed(), md, js))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        sys.stderr.write("bench: %s\n" % exc)
        sys.exit(1)
