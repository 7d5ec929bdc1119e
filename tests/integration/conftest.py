"""Shared helpers for integration tests: run modules through a real ``ansible-playbook`` subprocess.

Fixture ``run_playbook`` (function scope) returns a callable::

    run = run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0, timeout=600,
                       env=None)

- ``playbook``: a path, or a name relative to ``tests/integration/playbooks/`` (``"smtp_probe.yml"``).
- ``extra_vars``: a dict, written to a private JSON file and passed as ``-e @file`` — never on the command
  line, so secrets do not show up in process arguments.
- ``check`` / ``diff``: ``--check`` / ``--diff``; ``verbosity``: number of ``-v`` (4 for ``-vvvv``).
- ``timeout``: seconds before the run is killed (a hang guard, generous for a loaded machine: a playbook of a
  few tasks took over 180 s with two xdist workers and other jobs on two cores).
- The inventory is ``localhost ansible_connection=local ansible_python_interpreter=<this Python>``,
  ``ANSIBLE_COLLECTIONS_PATH`` points at ``.collections``, and the log goes to a private ``ansible.log``.

It returns a ``PlaybookRun`` with:

- ``rc``, ``stdout``, ``stderr``, ``log`` (the ANSIBLE_LOG_PATH file), ``command`` (argv list);
- ``records``: every task result, ``[{task, host, status ("ok"|"failed"|"skipped"|"unreachable"),
  result, seconds}]`` (recorded by ``callback_plugins/mailops_results.py``; ``seconds`` from the start of
  the task on that host, module transfer and start-up included);
- ``result(task_name)`` → the result dict of the last record of that task (KeyError if it never ran);
  ``status(task_name)`` → its status; ``seconds(task_name)`` → how long it ran;
- ``all_output()`` → stdout + stderr + log + JSON of all records, for leak searches.

Use ``ignore_errors: true`` (or ``failed_when``) in playbooks for tasks expected to fail, so later tasks run;
the record's ``status`` still says ``failed``.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(HERE, "playbooks")
COLLECTIONS = os.path.join(ROOT, ".collections")


class PlaybookRun:
    def __init__(self, command, rc, stdout, stderr, log, records):
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.log = log
        self.records = records

    def result(self, task):
        for record in reversed(self.records):
            if record["task"] == task:
                return record["result"]
        tasks = [r["task"] for r in self.records]
        tail = self.stdout[-3000:] + self.stderr[-3000:]
        raise KeyError("task %r has no result; tasks run: %s\n%s" % (task, tasks, tail))

    def seconds(self, task):
        for record in reversed(self.records):
            if record["task"] == task:
                return record["seconds"]
        raise KeyError(task)

    def status(self, task):
        for record in reversed(self.records):
            if record["task"] == task:
                return record["status"]
        raise KeyError(task)

    def all_output(self):
        return "\n".join([self.stdout, self.stderr, self.log, json.dumps(self.records)])


@pytest.fixture
def run_playbook(tmp_path):
    counter = [0]

    def run(playbook, extra_vars=None, check=False, diff=False, verbosity=0, timeout=600, env=None):
        counter[0] += 1
        work = tmp_path / ("ansible-run-%d" % counter[0])
        work.mkdir()
        inventory = work / "inventory.ini"
        inventory.write_text(
            "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
        )
        config = work / "ansible.cfg"
        config.write_text("[defaults]\n")
        results_file = work / "results.json"
        log_file = work / "ansible.log"
        path = playbook if os.path.isabs(playbook) else os.path.join(PLAYBOOKS, playbook)
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), path]
        if extra_vars:
            vars_file = work / "extra_vars.json"
            vars_file.write_text(json.dumps(extra_vars))
            os.chmod(str(vars_file), 0o600)
            command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        environment = dict(os.environ)
        environment.update(
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
            ANSIBLE_CALLBACKS_ENABLED="mailops_results",
            MAILOPS_RESULTS_FILE=str(results_file),
            ANSIBLE_LOG_PATH=str(log_file),
            ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
            ANSIBLE_REMOTE_TEMP=str(work / "remote_tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_HOST_KEY_CHECKING="false",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_DEPRECATION_WARNINGS="false",
            ANSIBLE_CONFIG=str(config),
            PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        )
        if env:
            environment.update(env)
        proc = subprocess.run(command, cwd=str(work), env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, universal_newlines=True, check=False)
        records = json.loads(results_file.read_text()) if results_file.exists() else []
        log = log_file.read_text() if log_file.exists() else ""
        return PlaybookRun(command, proc.returncode, proc.stdout, proc.stderr, log, records)

    return run


# Lines a test wants in the run's summary (record_property("summary_line", ...)), e.g. the diagnosis corpus's
# held-out score: reports reach the controller from pytest-xdist workers too, where output printed by a test does not.
_SUMMARY_LINES = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _SUMMARY_LINES.extend(value for name, value in report.user_properties if name == "summary_line")


def pytest_terminal_summary(terminalreporter):
    for line in _SUMMARY_LINES:
        terminalreporter.write_line(line)
