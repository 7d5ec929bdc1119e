# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the outgoing_server integration tests: run module tasks through a real ``ansible-playbook``
and check files with each application's own parser."""

import configparser
import difflib
import hashlib
import json
import os
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
BIN = os.path.dirname(sys.executable)


def _run(tmp_path, playbook, inventory, extra_vars, verbosity):
    pb_path = tmp_path / 'playbook.yml'
    pb_path.write_text(yaml.safe_dump(playbook, sort_keys=False))
    inv_path = tmp_path / 'inventory.yml'
    inv_path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    vars_path = tmp_path / 'vars.json'
    vars_path.write_text(json.dumps(extra_vars or {}))
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_RETRY_FILES_ENABLED='false',
               ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_DEPRECATION_WARNINGS='false', ANSIBLE_PIPELINING='1',
               ANSIBLE_FORKS='8', ANSIBLE_ACTION_WARNINGS='false')
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', str(inv_path), '-e', '@%s' % vars_path, str(pb_path)]
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=600, check=False)
    output = proc.stdout.decode('utf-8', 'replace')
    assert proc.returncode == 0, output
    return output


# A play environment that gives each host the trust store named by its ``ssl_cert_file`` variable (a sandbox's
# ``ca_bundle``), as a user gives a private CA to an app without a CA setting; a host without it keeps the system's.
HOST_TRUST_ENV = "{{ {'SSL_CERT_FILE': ssl_cert_file} if ssl_cert_file is defined else {} }}"


def private_ca(app, sandbox):
    """How a user gives ``app`` the sandbox's private CA: (module arguments, host variables). ``ca_path`` where
    the app stores a CA file; elsewhere the host's trust store (``ssl_cert_file`` for HOST_TRUST_ENV), because
    the module refuses ca_path there."""
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
    if get_profile(app).connection.ca_key:
        return {'ca_path': sandbox.ca_path}, {}
    return {}, {'ssl_cert_file': sandbox.ca_bundle}


# A controller-side snapshot of a file (no module run): inode, mode, owner uid, mtime (ns), sha1.
FILE_STATE = ("{{ lookup('ansible.builtin.pipe', '(stat -c \"%i %a %u %y\" ' ~ (case_path | quote) ~ ' && sha1sum ' "
              "~ (case_path | quote) ~ ') 2>/dev/null || echo missing') }}")


def run_hosts(tmp_path, hosts, tasks, extra_vars=None, verbosity=0, environment=None):
    """Run ``tasks`` on several local pseudo-hosts in parallel (one per test case, with ``hostvars``).

    ``hosts``: {name: {var: value}}. Every task gets ``ignore_errors: true`` and is registered; a task
    ``{'file_state': True}`` records the file named by the host's ``case_path`` from the controller.
    ``environment``: the play's environment (a sandbox's ``ca_env``: its CA in SSL_CERT_FILE, as a user gives a
    private CA to an app without a CA setting). Returns ({host: [result per task]}, output).
    """
    steps = []
    for index, task in enumerate(tasks):
        if task.get('file_state'):
            task = {'ansible.builtin.set_fact': {'step_%d' % index: FILE_STATE}}
        else:
            task = dict(task)
            task['register'] = 'step_%d' % index
            task['ignore_errors'] = True
        steps.append(task)
    dump = '{{ {%s} | to_json }}' % ', '.join("'%d': step_%d" % (i, i) for i in range(len(tasks)))
    results_dir = tmp_path / 'results'
    results_dir.mkdir(exist_ok=True)
    steps.append({'name': 'dump results', 'ansible.builtin.copy': {
        'content': dump, 'dest': str(results_dir) + '/{{ inventory_hostname }}.json'}})
    playbook = [{'hosts': 'cases', 'gather_facts': False, 'tasks': steps}]
    if environment:
        playbook[0]['environment'] = environment
    inventory = {'all': {'children': {'cases': {'hosts': {}}}}}
    for name, host_vars in hosts.items():
        entry = dict(host_vars)
        entry.update(ansible_connection='local', ansible_python_interpreter=sys.executable)
        inventory['all']['children']['cases']['hosts'][name] = entry
    output = _run(tmp_path, playbook, inventory, extra_vars, verbosity)
    results = {}
    for name in hosts:
        with open(str(results_dir / ('%s.json' % name))) as handle:
            data = json.load(handle)
        results[name] = [data[str(i)] for i in range(len(tasks))]
    return results, output


def apply_then_info(tmp_path, hosts):
    """Per host (``case_path``, ``case_args``): the file's state, ``outgoing_server`` with diff, the state again,
    then ``outgoing_server_info`` with the same arguments. Returns ({host: [4 results]}, output)."""
    return run_hosts(tmp_path, hosts, [
        {'file_state': True},
        {'mailops.smtp.outgoing_server': '{{ case_args }}', 'diff': True},
        {'file_state': True},
        {'mailops.smtp.outgoing_server_info': '{{ case_args }}'},
    ])


def run_tasks(tmp_path, tasks, extra_vars=None, verbosity=0, host_vars=None, environment=None):
    """Run ``tasks`` on one local host (``environment``: see run_hosts); returns (results list, output)."""
    results, output = run_hosts(tmp_path, {'case': dict(host_vars or {})}, tasks, extra_vars, verbosity,
                                environment)
    return results['case'], output


def parse_file_state(text):
    """The FILE_STATE string -> dict(inode, mtime, mode, sha1), or None for a missing file."""
    if text.strip() == 'missing':
        return None
    parts = text.split()
    return dict(inode=int(parts[0]), mode=parts[1], uid=int(parts[2]), mtime=' '.join(parts[3:6]), sha1=parts[6])


def fixture_copy(tmp_path, app, name, prefix=None):
    source = os.path.join(FIXTURES, app, name)
    dest = tmp_path / ('%s%s-%s' % (prefix + '-' if prefix else '', app, name.lstrip('.')))
    with open(source, 'rb') as handle:
        dest.write_bytes(handle.read())
    os.chmod(str(dest), 0o640)
    return str(dest)


def file_state(path):
    """What "untouched" means: bytes, inode and mtime."""
    st = os.stat(path)
    with open(path, 'rb') as handle:
        data = handle.read()
    return dict(sha1=hashlib.sha1(data).hexdigest(), inode=st.st_ino, mtime=st.st_mtime_ns, data=data)


def changed_lines(before, after):
    """Lines removed from ``before`` and added in ``after`` (text diff)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith('- '):
            removed.append(line[2:])
        elif line.startswith('+ '):
            added.append(line[2:])
    return removed, added


def assert_only_lines_about(before, after, tokens):
    """Every changed line mentions one of ``tokens`` (the keys the profile owns, or a section header)."""
    removed, added = changed_lines(before, after)
    for line in removed + added:
        assert any(token in line for token in tokens), 'unexpected change: %r' % line


# ---------------------------------------------------------------------- the applications' own parsers

def parse_ini(text):
    """go-ini as Grafana and Gitea read it: keys before the first section allowed, ; and # comments,
    backtick and triple-quote quoting."""
    parser = configparser.RawConfigParser(comment_prefixes=(';', '#'), inline_comment_prefixes=None, strict=False,
                                          interpolation=None, delimiters=('=',))
    parser.optionxform = str
    parser.read_string('[DEFAULT_TOP]\n' + text)
    result = {}
    for section in parser.sections():
        for key, value in parser.items(section, raw=True):
            if key in parser.defaults() and section != 'DEFAULT_TOP':
                continue
            value = value.strip()
            for quote in ('"""', '`'):
                if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
                    value = value[len(quote):-len(quote)]
                    break
            result[(section, key)] = value
    return result


def parse_json(text):
    return json.loads(text)


def parse_yaml(text):
    return yaml.safe_load(text)


# Classes of PHP extensions that Nextcloud's config.sample.php names (php-redis, php-memcached) and this
# machine's php-cli lacks: stand-ins with distinct constants, so the file can be evaluated as PHP would.
PHP_EXTENSION_STUBS = (
    'if (!class_exists("RedisCluster")) { eval("class RedisCluster { const FAILOVER_NONE = 0; '
    'const FAILOVER_ERROR = 1; const FAILOVER_DISTRIBUTE = 2; const FAILOVER_DISTRIBUTE_SLAVES = 3; }"); } '
    'if (!class_exists("Memcached")) { eval("class Memcached { const OPT_CONNECT_TIMEOUT = 14; '
    'const OPT_RETRY_TIMEOUT = 15; const OPT_SEND_TIMEOUT = 19; const OPT_RECV_TIMEOUT = 20; '
    'const OPT_POLL_TIMEOUT = 8; const OPT_COMPRESSION = -1001; const OPT_LIBKETAMA_COMPATIBLE = 16; '
    'const OPT_BINARY_PROTOCOL = 18; const OPT_SERIALIZER = -1003; const SERIALIZER_IGBINARY = 2; }"); } '
)


def parse_php(path, var='CONFIG'):
    """PHP itself: include the file and json_encode the variable."""
    proc = subprocess.run(['php', '-r', PHP_EXTENSION_STUBS + 'include $argv[1]; echo json_encode($%s);' % var, path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                          check=False)
    if proc.returncode != 0 and 'PDO::MYSQL' in proc.stderr.decode():
        raise AssertionError('PHP lacks pdo_mysql, which the file names: install php-mysql (%s)'
                             % proc.stderr.decode().strip())
    assert proc.returncode == 0, proc.stderr.decode()
    lint = subprocess.run(['php', '-l', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                          check=False)
    assert lint.returncode == 0, lint.stdout.decode()
    return json.loads(proc.stdout.decode())


def parse_env(text):
    """KEY=value as docker/compose and python-dotenv read it (shell-style quoting)."""
    result = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        if stripped.startswith('export '):
            stripped = stripped[7:]
        key, _sep, value = stripped.partition('=')
        value = value.strip()
        if value.startswith(('"', "'")):
            value = shlex.split(value)[0] if value else ''
        else:
            value = value.split(' #', 1)[0].strip()
        result[key.strip()] = value
    return result
