# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make artifact`: build the collection tarball the way a release does, prove what it holds, install it, use it.

1. Stage the source tree in a temp dir (git's tracked and untracked-but-not-ignored files) and plant canaries in
   every folder a developer's checkout generates (demo/output, bench/output, tests/output, .collections, .venv,
   build, caches): each canary holds a sandbox password in clear text and as an AUTH PLAIN base64 record, like the
   files `make demo` leaves behind. The real demo/output and bench/output are copied too when they exist.
2. `ansible-galaxy collection build` (galaxy ignores .gitignore: only build_ignore in galaxy.yml protects us).
3. The tarball must hold only what ships (top-level allowlist below), no generated folder, no canary, and no
   password of any sandbox or demo, in clear text, base64 (plain, AUTH PLAIN, or inside any base64 token), URL,
   HTML or JSON escaping.
4. `ansible-galaxy collection install --offline` of the tarball file into an empty directory.
5. `ansible-doc` and a smoke playbook (tests/artifact/smoke.yml: smtp_probe, outgoing_server, outgoing_server_info
   and the role) with ANSIBLE_COLLECTIONS_PATH pointing ONLY at that directory, against the SMTP sandbox of
   tests/artifact/sandbox.yml on loopback. The playbook's output is scanned for the password too.

What ships, and why tests do not: README.md, "What the artifact holds".
Last line on success: ``artifact_check.py: OK ...`` (the make test summary shows it).
"""

from __future__ import annotations

import base64
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# What the artifact holds: everything a controller runs or a user reads. Anything else at the top is a finding.
SHIPPED_TOP = {
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "requirements.txt", "bindep.txt",
    "meta", "plugins", "roles", "docs", "changelogs",
}
# Folders a checkout generates: never in the artifact, whatever else changes.
GENERATED = ("demo/output", "bench/output", "tests/output", ".collections", ".venv", "build", "docs/_build",
             ".pytest_cache", ".ruff_cache", ".hypothesis")
# Development-only sources that the decision in README.md keeps out (they need tests/smtp_sandbox or scripts/).
NOT_SHIPPED = ("tests", "demo", "bench", "examples", "extensions", "scripts", ".ci", ".git")
# Files whose passwords must never ship: every SMTP sandbox scenario and the demo's settings.
SECRET_SOURCES = ("demo/sandbox.json", "demo/playbooks/vars/*.yml", "examples/fleet/sandbox.yml",
                  "examples/fleet/inventory/group_vars/*.yml", "extensions/molecule/*/files/sandbox.yml",
                  "extensions/molecule/*/inventory/group_vars/*.yml", "tests/artifact/sandbox.yml")
CANARY = "ARTIFACT-CANARY"
SMOKE_USER = "smoke@example.test"


class Findings(list):
    shown = 60

    def add(self, msg):
        self.append(msg)
        if len(self) <= self.shown:
            print("artifact_check.py: FINDING: %s" % msg, flush=True)
        elif len(self) == self.shown + 1:
            print("artifact_check.py: (more findings not shown)", flush=True)


def run(cmd, env=None, cwd=None, check=True):
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    if check and proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        raise SystemExit("artifact_check.py: FAILED: %s exited %d" % (" ".join(cmd[:4]), proc.returncode))
    return proc


# --------------------------------------------------------------------------- secrets

def _collect_passwords(node, source, users, passwords):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "users" and isinstance(value, dict):
                users.extend((str(u), str(p)) for u, p in value.items() if p)
                passwords.update((str(p), "%s user %s" % (source, u)) for u, p in value.items() if p)
            elif "password" in str(key) and isinstance(value, str) and value and "{{" not in value:
                passwords.setdefault(value, "%s %s" % (source, key))
            else:
                _collect_passwords(value, source, users, passwords)
    elif isinstance(node, list):
        for value in node:
            _collect_passwords(value, source, users, passwords)


def known_secrets():
    """(user, password) pairs, and {password: where it comes from}, of every sandbox and demo/example setting."""
    users, passwords = [], {}
    for pattern in SECRET_SOURCES:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            with open(path, encoding="utf-8") as handle:
                _collect_passwords(yaml.safe_load(handle), os.path.relpath(path, ROOT), users, passwords)
    if not passwords:
        raise SystemExit("artifact_check.py: FAILED: no sandbox password found in %s" % (SECRET_SOURCES,))
    return users, passwords


def secret_forms(users, passwords):
    """Byte strings that betray a password: clear, base64, AUTH PLAIN records, URL/HTML/JSON escaping."""
    forms = {}
    for password, source in passwords.items():
        raw = password.encode()
        for kind, form in (("clear", raw), ("base64", base64.b64encode(raw)),
                           ("URL-encoded", urllib.parse.quote(password).encode()),
                           ("URL-encoded", urllib.parse.quote_plus(password).encode()),
                           ("HTML-escaped", html.escape(password).encode()),
                           ("JSON-escaped", json.dumps(password)[1:-1].encode())):
            forms.setdefault(form, "password of %s, %s" % (source, kind))
    for user, password in users:
        for record in ("\0%s\0%s" % (user, password), "%s\0%s\0%s" % (user, user, password)):
            forms[base64.b64encode(record.encode())] = "AUTH PLAIN record of %s" % user
    return forms


B64_TOKEN = re.compile(rb"[A-Za-z0-9+/]{12,}={0,2}")


def find_secrets(data, forms, passwords):
    found = set(label for form, label in forms.items() if form in data)
    for token in B64_TOKEN.findall(data):  # a password inside any base64 blob, at any alignment
        for start in range(4):
            chunk = token[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                decoded = base64.b64decode(chunk)
            except ValueError:
                continue
            found.update("password of %s, inside a base64 blob" % source
                         for password, source in passwords.items() if password.encode() in decoded)
    return sorted(found)


# --------------------------------------------------------------------------- staging

def source_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        return sorted(set(p for p in out.decode().split("\0") if p and os.path.isfile(os.path.join(ROOT, p))))
    except (OSError, subprocess.CalledProcessError):
        files = []
        for top, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in (".git", ".venv", ".collections")]
            files.extend(os.path.relpath(os.path.join(top, n), ROOT) for n in names)
        return sorted(files)


def stage_tree(src, users):
    for rel in source_files():
        os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(src, rel))
    for rel in ("demo/output", "bench/output"):  # what make demo / make bench really left behind
        if os.path.isdir(os.path.join(ROOT, rel)):
            shutil.copytree(os.path.join(ROOT, rel), os.path.join(src, rel), symlinks=True, dirs_exist_ok=True)
    user, password = users[0]
    record = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    canary = "%s password=%s\nAUTH PLAIN %s\n" % (CANARY, password, record)
    for rel in GENERATED + ("demo/output/sandbox-records/relay",):
        os.makedirs(os.path.join(src, rel), exist_ok=True)
        with open(os.path.join(src, rel, CANARY + ".jsonl"), "w", encoding="utf-8") as handle:
            handle.write(canary)
    with open(os.path.join(src, "grafana.ini.1234.2026-01-01@00:00:00~"), "w", encoding="utf-8") as handle:
        handle.write(canary)  # a module backup left in the checkout
    link_dir = os.path.join(src, ".collections", "ansible_collections", "mailops")  # as `make collection`
    os.makedirs(link_dir, exist_ok=True)
    os.symlink("../../..", os.path.join(link_dir, "smtp"))


# --------------------------------------------------------------------------- checks

def check_tarball(tarball, forms, passwords, findings):
    count = 0
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = member.name.lstrip("./")
            count += 1
            top = name.split("/")[0]
            if top not in SHIPPED_TOP:
                findings.add("%s: not in the artifact's allowlist (top-level %r)" % (name, top))
            for prefix in GENERATED + NOT_SHIPPED:
                if name == prefix or name.startswith(prefix + "/"):
                    findings.add("%s: generated or development-only folder %s/ is packed" % (name, prefix))
            if CANARY in name or name.endswith("~"):
                findings.add("%s: a generated file is packed" % name)
            if member.issym() or member.islnk():
                findings.add("%s: a link is packed (-> %s)" % (name, member.linkname))
            if member.isfile():
                data = archive.extractfile(member).read()
                for label in find_secrets(data, forms, passwords):
                    findings.add("%s: holds a secret (%s)" % (name, label))
    return count


def install(tarball, collections):
    os.makedirs(collections)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", collections, tarball],
        env=ansible_env(collections))
    manifest = os.path.join(collections, "ansible_collections", "mailops", "smtp", "MANIFEST.json")
    if not os.path.isfile(manifest):
        raise SystemExit("artifact_check.py: FAILED: the install did not create %s" % manifest)


def ansible_env(collections):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("ANSIBLE_"):
            del env[name]
    env.update(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_ROLES_PATH=os.path.join(os.path.dirname(collections), "no-roles"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/", PATH=BIN + os.pathsep + env.get("PATH", ""))
    return env


def check_docs(collections, findings):
    env = ansible_env(collections)
    installed = os.path.join(collections, "ansible_collections", "mailops", "smtp")
    for module in ("smtp_probe", "outgoing_server", "outgoing_server_info"):
        doc = json.loads(run([os.path.join(BIN, "ansible-doc"), "--json", "mailops.smtp." + module], env=env).stdout)
        doc = doc["mailops.smtp." + module]["doc"]
        if not os.path.realpath(doc["filename"]).startswith(os.path.realpath(installed) + os.sep):
            findings.add("ansible-doc %s read %s, not the installed copy" % (module, doc["filename"]))
        if "scheme://host:port" not in " ".join(doc["options"]["server"]["description"]):
            findings.add("ansible-doc %s: option server does not show the URL syntax" % module)
    run([os.path.join(BIN, "ansible-doc"), "-t", "role", "mailops.smtp.outgoing_server"], env=env)


def smoke(work, collections, users, forms, passwords, findings):
    project = os.path.join(work, "project")
    os.makedirs(os.path.join(project, "files"))
    shutil.copy2(os.path.join(ROOT, "tests", "artifact", "smoke.yml"), project)
    state, pidfile = os.path.join(work, "sandbox-state.json"), os.path.join(work, "sandbox.pid")
    sandbox_env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests"))
    sandbox = [sys.executable, "-m", "smtp_sandbox"]
    run(sandbox + ["start", "--scenarios", os.path.join(ROOT, "tests", "artifact", "sandbox.yml"), "--state", state,
                   "--pidfile", pidfile, "--log", os.path.join(work, "sandbox.log")], env=sandbox_env)
    try:
        with open(state, encoding="utf-8") as handle:
            extra = {"sandbox": json.load(handle), "work_dir": os.path.join(project, "files"),
                     "smoke_password": dict(users)[SMOKE_USER]}
        with open(os.path.join(work, "extra-vars.json"), "w", encoding="utf-8") as handle:
            json.dump(extra, handle)
        with open(os.path.join(project, "inventory.ini"), "w", encoding="utf-8") as handle:
            handle.write("smoke ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        proc = run([os.path.join(BIN, "ansible-playbook"), "-i", "inventory.ini", "--diff",
                    "-e", "@" + os.path.join(work, "extra-vars.json"), "smoke.yml"],
                   env=ansible_env(collections), cwd=project, check=False)
    finally:
        run(sandbox + ["stop", "--pidfile", pidfile], env=sandbox_env, check=False)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        findings.add("the smoke playbook failed (exit %d)" % proc.returncode)
    for label in find_secrets(proc.stdout.encode(), forms, passwords):
        findings.add("the smoke playbook's output holds a secret (%s)" % label)
    recap = re.findall(r"^smoke\s+:\s+(.*)$", proc.stdout, flags=re.MULTILINE)
    return " ".join(recap[-1].split()) if recap else "no recap"


def main():
    users, passwords = known_secrets()
    if SMOKE_USER not in dict(users):
        raise SystemExit("artifact_check.py: FAILED: tests/artifact/sandbox.yml has no user %s" % SMOKE_USER)
    forms = secret_forms(users, passwords)
    findings = Findings()
    work = tempfile.mkdtemp(prefix="mailops-artifact-")
    try:
        src, dist = os.path.join(work, "src"), os.path.join(work, "dist")
        stage_tree(src, users)
        run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", dist, src],
            env=ansible_env(os.path.join(work, "none")))
        tarball = glob.glob(os.path.join(dist, "mailops-smtp-*.tar.gz"))[0]
        members = check_tarball(tarball, forms, passwords, findings)
        size = os.path.getsize(tarball)
        print("artifact_check.py: %s: %d members, %d KiB, %d secret forms of %d passwords checked"
              % (os.path.basename(tarball), members, size // 1024, len(forms), len(passwords)), flush=True)
        collections = os.path.join(work, "collections")
        install(tarball, collections)
        check_docs(collections, findings)
        recap = smoke(work, collections, users, forms, passwords, findings)
    finally:
        if os.environ.get("ARTIFACT_CHECK_KEEP"):
            print("artifact_check.py: kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if findings:
        print("artifact_check.py: FAILED: %d finding(s)" % len(findings))
        return 1
    print("artifact_check.py: OK %s (%d members, %d KiB): no generated file, no secret; installed offline; "
          "smoke playbook %s" % (os.path.basename(tarball), members, size // 1024, recap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
