# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The YAML a new user copies from README.md and docs/*.md, and the filter examples, must work as written.

- Every snippet parses. A playbook snippet passes ``ansible-playbook --syntax-check`` in an empty project, every
  ``notify`` names a handler (or ``listen`` topic) that the play defines or that a role it uses listens to, every
  option given to a mailops.smtp module is one ``ansible-doc`` lists, and every role variable is in the role's
  argument spec. (The README's minimal playbook once notified a handler it never defined: Ansible only notices
  when the task reports ``changed`` on a real host.)
- getting-started §5 ("which hosts drift from the standard relay, and which can't use it?") runs against the SMTP
  sandbox on a host with nothing stored and on one with a different relay, and answers both questions.
- The three filter examples (fleet_host_summary -> fleet_report -> fleet_report_render) run in sequence and
  produce a report listing the host as compliant.
- ``ansible-doc`` shows the URL syntax of ``server`` for every module (a module's own option text once replaced
  the doc fragment's), and the ``tls://`` versus ``security: tls`` warning.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DOC_FILES = ["README.md"] + sorted("docs/" + name for name in os.listdir(os.path.join(ROOT, "docs"))
                                   if name.endswith(".md"))
MODULES = ("smtp_probe", "outgoing_server", "outgoing_server_info")
FILTERS = ("fleet_host_summary", "fleet_report", "fleet_report_render")
ROLE = "mailops.smtp.outgoing_server"
# Play-level keywords a task may use besides the module (not module options).
TASK_KEYWORDS = {"name", "register", "notify", "when", "loop", "vars", "no_log", "check_mode", "diff", "tags",
                 "delegate_to", "run_once", "become", "ignore_errors", "failed_when", "changed_when", "throttle",
                 "environment", "args", "until", "retries", "delay", "listen", "block", "rescue", "always",
                 "loop_control", "module_defaults"}
PLAY_SECTIONS = {"handlers", "tasks", "pre_tasks", "post_tasks", "vars", "roles", "module_defaults"}


def _env():
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               PATH=BIN + os.pathsep + env.get("PATH", ""))
    return env


def _ansible_doc(*args):
    out = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json"] + list(args), env=_env(), check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def module_docs():
    docs = _ansible_doc(*["mailops.smtp." + m for m in MODULES])
    return dict((name.split(".")[-1], value["doc"]) for name, value in docs.items())


@pytest.fixture(scope="module")
def role_doc():
    return _ansible_doc("-t", "role", ROLE)[ROLE]


def _snippets():
    found = []
    for rel in DOC_FILES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
            text = handle.read()
        for match in re.finditer(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
            line = text.count("\n", 0, match.start()) + 2
            found.append(pytest.param(rel, line, match.group(1), id="%s:%d" % (rel, line)))
    return found


SNIPPETS = _snippets()


def _is_playbook(data):
    return isinstance(data, list) and data and all(isinstance(p, dict) and "hosts" in p for p in data)


def _module_of(task):
    return next((k for k in task if k not in TASK_KEYWORDS), None)


def _tasks(container):
    for key in ("pre_tasks", "tasks", "post_tasks", "handlers", "block", "rescue", "always"):
        for task in container.get(key) or []:
            yield task
            yield from _tasks(task)


def _option_names(doc):
    names = set()
    for name, option in doc["options"].items():
        names.add(name)
        names.update(option.get("aliases") or [])
    return names


def _check_tasks(tasks, module_docs, problems):
    for task in tasks:
        module = _module_of(task)
        if module and module.startswith("mailops.smtp.") and module.split(".")[-1] in module_docs:
            known = _option_names(module_docs[module.split(".")[-1]])
            unknown = sorted(set(task[module] or {}) - known)
            if unknown:
                problems.append("task %r: %s has no option %s" % (task.get("name"), module, unknown))


def _role_topics():
    with open(os.path.join(ROOT, "roles", "outgoing_server", "handlers", "main.yml"), encoding="utf-8") as handle:
        handlers = yaml.safe_load(handle)
    return set(h["name"] for h in handlers) | set(h["listen"] for h in handlers if h.get("listen"))


def test_the_docs_have_snippets():
    assert len(SNIPPETS) >= 8
    assert any(p.values[0] == "README.md" for p in SNIPPETS)


@pytest.mark.parametrize("rel,line,text", SNIPPETS)
def test_snippet_is_complete_and_valid(rel, line, text, module_docs, role_doc, tmp_path):
    data = yaml.safe_load(text)
    assert data, "%s:%d: empty snippet" % (rel, line)
    problems = []
    if isinstance(data, dict):
        if not set(data) <= PLAY_SECTIONS:
            return  # a sample of returned data (a diagnosis, a report): parsing it is the check
        data = [dict(data, hosts="all")]  # a fragment of a play (handlers:, vars:): checked like a play
    if not _is_playbook(data):  # a list of tasks: checked inside a play; the reader's play holds the handlers
        _check_tasks(data, module_docs, problems)
        data = [{"hosts": "all", "gather_facts": False, "tasks": data}]
        handlers_required = False
    else:
        handlers_required = True
    role_vars = set(role_doc["entry_points"]["main"]["options"])
    for play in data:
        tasks = list(_tasks(play))
        _check_tasks(tasks, module_docs, problems)
        topics = set()
        for handler in play.get("handlers") or []:
            topics.add(handler.get("name"))
            topics.add(handler.get("listen"))
        roles = [r if isinstance(r, dict) else {"role": r} for r in play.get("roles") or []]
        for role in roles:
            if role.get("role") == ROLE:
                topics |= _role_topics()
                unknown = sorted(set(role.get("vars") or {}) - role_vars)
                if unknown:
                    problems.append("role %s has no variable %s" % (ROLE, unknown))
        for task in tasks:
            notify = task.get("notify") or []
            for topic in [notify] if isinstance(notify, str) else notify:
                if handlers_required and topic not in topics:
                    problems.append("task %r notifies %r, which the play does not define"
                                    % (task.get("name"), topic))
    assert not problems, "%s:%d: %s" % (rel, line, "; ".join(problems))
    playbook = tmp_path / "snippet.yml"
    playbook.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--syntax-check",
                           str(playbook)], cwd=str(tmp_path), env=_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, "%s:%d: %s" % (rel, line, proc.stdout)


def test_the_snippet_check_catches_a_missing_handler(module_docs, role_doc, tmp_path):
    readme = next(p.values for p in SNIPPETS if p.values[0] == "README.md")
    broken = readme[2].split("\n  handlers:")[0] + "\n"
    assert "notify:" in broken
    with pytest.raises(AssertionError, match="notifies 'Restart grafana-server'"):
        test_snippet_is_complete_and_valid("README.md", readme[1], broken, module_docs, role_doc, tmp_path)


def _section(rel, heading):
    return next(p.values[2] for p in SNIPPETS if p.values[0] == rel and heading in p.values[2])


GRAFANA_OTHER_RELAY = "[smtp]\nenabled = true\nhost = old-relay.example.net:25\nuser = grafana@example.com\n"


def test_getting_started_audit_answers_on_hosts_with_and_without_settings(smtp_sandbox, run_playbook, tmp_path):
    relay = smtp_sandbox(security="starttls", users={"grafana@example.com": "Docs-Audit-Pass-1"})
    text = _section("docs/getting-started.md", "drift from the standard relay")
    assert "tls://smtp.example.com:587" in text
    play = yaml.safe_load(text.replace("tls://smtp.example.com:587", relay.server))
    # the sandbox's private CA, as a user gives it to Grafana (no CA setting): in the trust store the test reads
    play[0]["environment"] = relay.ca_env
    playbook = tmp_path / "audit.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    for name, content in (("empty.ini", "[server]\nhttp_port = 3000\n"), ("other.ini", GRAFANA_OTHER_RELAY)):
        config = tmp_path / name
        config.write_text(content)
        run = run_playbook(str(playbook), extra_vars=dict(
            mail_app="grafana", mail_config_path=str(config), mail_user="grafana@example.com",
            vault_smtp_password="Docs-Audit-Pass-1"))
        assert run.rc == 0, run.stdout[-3000:]
        audit = run.result("Compare the stored settings with the standard (read only, works on hosts with "
                           "nothing stored)")
        drift = set(d["setting"] for d in audit["drift"])
        assert {"host", "port", "password"} <= drift
        verdict = run.result("Show the verdict")["msg"]
        assert verdict["relay"] == "works"
        assert "Docs-Audit-Pass-1" not in run.all_output()


def _filter_examples():
    docs = _ansible_doc("-t", "filter", *["mailops.smtp." + f for f in FILTERS])
    return [yaml.safe_load(docs["mailops.smtp." + f]["examples"]) for f in FILTERS]


def test_the_three_filter_examples_chain_into_a_report(smtp_sandbox, run_playbook, tmp_path):
    relay = smtp_sandbox(security="starttls", users={"grafana@example.com": "Filter-Example-Pass-1"})
    config = tmp_path / "grafana.ini"
    config.write_text("[smtp]\n")
    tasks = [task for example in _filter_examples() for task in example]
    module_task = next(t for t in tasks if "mailops.smtp.outgoing_server" in t)
    # Only where the settings point changes (the sandbox and a temp file); the filters run as documented.
    module_task["mailops.smtp.outgoing_server"].update(path=str(config), server=relay.server)
    playbook = tmp_path / "filters.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": tasks,
                                         "environment": relay.ca_env}], sort_keys=False))
    run = run_playbook(str(playbook), extra_vars={"vault_grafana_smtp_password": "Filter-Example-Pass-1"})
    assert run.rc == 0, run.stdout[-3000:]
    page = (tmp_path / "smtp-report.html").read_text()
    assert 'data-host="localhost"' in page and 'data-status="compliant"' in page
    assert re.search(r'id="total-compliant"[^>]*data-count="1"', page)
    assert "Filter-Example-Pass-1" not in page and "Filter-Example-Pass-1" not in run.all_output()


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_shows_the_server_syntax(module, module_docs):
    text = " ".join(module_docs[module]["options"]["server"]["description"])
    assert "scheme://host:port" in text
    assert "STARTTLS" in text and "implicit TLS" in text
    assert "O(security=tls) means implicit TLS" in text
    security = " ".join(module_docs[module]["options"]["security"]["description"])
    assert "O(security=tls) is implicit TLS" in security and "V(tls://) is STARTTLS" in security
