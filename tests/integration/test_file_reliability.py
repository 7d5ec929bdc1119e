# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write reaches the right file, survives crashes and concurrent runs, and refuses what is not a config file
(issue 12; docs/security.md "Files").

Real processes only:

* kill -9: ``outgoing_server`` is run as its own process (the module file, as AnsiballZ would run it) and killed
  with SIGKILL, half of the time after a random delay, half of the time the moment its temporary file appears
  in the directory (so the write window itself is hit, not only start-up). After each kill the file holds the
  old or the new bytes exactly, backups are complete, and the next run leaves no temporary file.
* 12 parallel ``ansible-playbook`` runs change 12 different Redmine environments of one configuration.yml. The
  test holds the store lock itself until all 12 modules are running (so they really contend), then lets go;
  every environment must be present at the end, read by Redmine's own reader (ERB + Psych).
* Odd targets through ``ansible-playbook``: symlinks, a device node (mknod), a FIFO and a socket, a directory,
  an immutable file (chattr +i), a full tmpfs and a read-only one (mounted by the test), a bind-mounted file
  (refused, then written in place with unsafe_writes), a BOM + CRLF file,
  YAML broken far from the edited block, non-finite timeout/deadline.

Bounded in time: every process has a timeout; the whole module takes about two minutes on two cores.
"""

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
import uuid

import pytest
import yaml

import readers
from outgoing_helpers import FIXTURES, run_hosts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.collections')
MODULE = 'ansible_collections.mailops.smtp.plugins.modules.outgoing_server'
PASSWORD = 'kill-9-Secret!'
APPLY_KILLS = 50
CREATE_KILLS = 20
PARALLEL_RUNS = 12


def fixture_bytes(app, name):
    with open(os.path.join(FIXTURES, app, name), 'rb') as handle:
        return handle.read()


def ours(directory):
    """Our temporary files (anything with the mailops temp mark, or a .tmp) in ``directory``."""
    return sorted(n for n in os.listdir(str(directory)) if '.mailops-' in n or n.endswith('.tmp'))


def module_args(path, host, **extra):
    args = dict(app='grafana', path=str(path), server='%s:587' % host, username='crm@example.com',
                password=PASSWORD, test='none', backup=True)
    args.update(extra)
    return args


def start_module(work, args):
    args_file = work / ('args-%s.json' % uuid.uuid4().hex)
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=COLLECTIONS, PYTHONDONTWRITEBYTECODE='1')
    return subprocess.Popen([sys.executable, '-m', MODULE, str(args_file)], cwd=str(work), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def run_module(work, args):
    proc = start_module(work, args)
    out, err = proc.communicate(timeout=120)
    result = json.loads(out.decode('utf-8').strip().splitlines()[-1])
    assert proc.returncode == 0 and not result.get('failed'), (result, err)
    return result


def kill_during(work, args, directory, mode, budget, after_temp=0.002):
    """Start the module and SIGKILL it: after a random delay in [0, budget], or as soon as one of its temporary
    files shows up (then after a random 0 to ``after_temp`` s more). Returns what happened: 'exited', 'killed'."""
    proc = start_module(work, args)
    if mode == 'random':
        deadline = time.monotonic() + random.uniform(0, budget)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.001)
    else:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any('.mailops-' in name for name in os.listdir(str(directory))):
                time.sleep(random.uniform(0, after_temp))
                break
            time.sleep(0.0003)   # leave the CPU to the module (fsync keeps the temp file there for longer)
    outcome = 'exited' if proc.poll() is not None else 'killed'
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=60)
    return outcome


def calibrate(work, args):
    """Wall time of an undisturbed run (the random kill delays are spread over it)."""
    started = time.monotonic()
    run_module(work, args)
    return time.monotonic() - started


def test_kill_9_during_apply_leaves_old_or_new_content_and_the_next_run_cleans_up(tmp_path):
    conf = tmp_path / 'conf'
    conf.mkdir()
    target = conf / 'grafana.ini'
    target.write_bytes(fixture_bytes('grafana', 'grafana.ini'))
    os.chmod(str(target), 0o640)
    old_args = module_args(target, 'old.example.com', backup=False)
    new_args = module_args(target, 'new.example.com')
    run_module(tmp_path, old_args)
    old = target.read_bytes()
    budget = calibrate(tmp_path, new_args) * 1.2
    new = target.read_bytes()
    run_module(tmp_path, old_args)
    assert target.read_bytes() == old and old != new

    random.seed(12)
    seen = dict(old=0, new=0, killed=0, temp_left=0, backups=0)
    for attempt in range(APPLY_KILLS):
        mode = 'random' if attempt % 2 == 0 else 'at_temp'
        outcome = kill_during(tmp_path, new_args, conf, mode, budget)
        seen['killed'] += outcome == 'killed'
        content = target.read_bytes()
        assert content in (old, new), 'attempt %d (%s): %d bytes, neither old nor new' % (attempt, mode,
                                                                                          len(content))
        seen['old' if content == old else 'new'] += 1
        seen['temp_left'] += bool(ours(conf))
        assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o640
        for name in os.listdir(str(conf)):
            if name.startswith('grafana.ini.') and name.endswith('~'):
                backup = conf / name
                assert backup.read_bytes() == old, 'a partial or wrong backup: %s' % name
                assert stat.S_IMODE(os.stat(str(backup)).st_mode) == 0o600
                backup.unlink()
                seen['backups'] += 1
        run_module(tmp_path, old_args)   # the next run: puts the old settings back and removes stale temps
        assert ours(conf) == [], 'attempt %d: the next run left %s' % (attempt, ours(conf))
        assert target.read_bytes() == old
    print('apply kills: %s' % seen)
    assert seen['killed'] >= APPLY_KILLS // 2
    assert seen['temp_left'] > 0, 'no kill landed inside the write window: the test proves nothing'
    assert sorted(os.listdir(str(conf))) == ['grafana.ini']   # no lock file either: the lock is on the directory


def test_kill_9_during_create_never_leaves_an_empty_or_partial_file(tmp_path):
    conf = tmp_path / 'conf'
    conf.mkdir()
    target = conf / 'custom.ini'
    args = module_args(target, 'new.example.com', create=True, backup=False)
    budget = calibrate(tmp_path, args) * 1.2
    new = target.read_bytes()
    assert b'new.example.com' in new and stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600

    random.seed(13)
    seen = dict(absent=0, complete=0, killed=0, temp_left=0)
    for attempt in range(CREATE_KILLS):
        target.unlink()
        mode = 'random' if attempt % 2 == 0 else 'at_temp'
        # A new file is small: its temp file lives for well under a millisecond on an idle machine, so the kill
        # follows its appearance at once (a random extra delay let every kill miss the window).
        outcome = kill_during(tmp_path, args, conf, mode, budget, after_temp=0)
        seen['killed'] += outcome == 'killed'
        if os.path.lexists(str(target)):
            assert target.read_bytes() == new, 'attempt %d (%s): a partial or empty new file' % (attempt, mode)
            assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
            seen['complete'] += 1
        else:
            seen['absent'] += 1
        seen['temp_left'] += bool(ours(conf))
        for name in ours(conf):
            assert stat.S_IMODE(os.stat(str(conf / name)).st_mode) == 0o600   # holds the password
        run_module(tmp_path, args)
        assert ours(conf) == [] and target.read_bytes() == new
    print('create kills: %s' % seen)
    assert seen['killed'] >= CREATE_KILLS // 2
    assert seen['temp_left'] > 0, 'no kill landed inside the write window: the test proves nothing'


# --------------------------------------------------------------------------- 12 parallel ansible-playbook runs

PARALLEL_PLAYBOOK = [{
    'hosts': 'localhost', 'gather_facts': False,
    'tasks': [{'name': 'configure one environment', 'mailops.smtp.outgoing_server': {
        'app': 'redmine', 'path': '{{ config_path }}', 'environment': '{{ env_name }}',
        'server': '{{ env_name }}.example.com:587', 'username': 'u-{{ env_name }}@example.com',
        'password': '{{ smtp_password }}', 'test': 'none'}}],
}]


def _module_markers():
    """The MAILOPS_PARALLEL values of the running outgoing_server module processes."""
    found = set()
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as handle:
                cmdline = handle.read()
            if b'AnsiballZ_outgoing_server' not in cmdline:
                continue
            with open('/proc/%s/environ' % pid, 'rb') as handle:
                environ = handle.read().split(b'\0')
        except OSError:
            continue
        for item in environ:
            if item.startswith(b'MAILOPS_PARALLEL='):
                found.add(item.split(b'=', 1)[1].decode())
    return found


def test_twelve_parallel_playbooks_changing_different_settings_of_one_file_lose_nothing(tmp_path):
    from ansible_collections.mailops.smtp.plugins.module_utils._files import StoreLock

    config = tmp_path / 'configuration.yml'
    config.write_bytes(fixture_bytes('redmine', 'configuration.yml'))
    playbook = tmp_path / 'playbook.yml'
    playbook.write_text(yaml.safe_dump(PARALLEL_PLAYBOOK, sort_keys=False))
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    run_id = uuid.uuid4().hex
    procs = []
    lock = StoreLock(str(config), exclusive=True).acquire()   # hold it: every run must queue behind it
    try:
        for index in range(PARALLEL_RUNS):
            work = tmp_path / ('run%d' % index)
            work.mkdir()
            extra = work / 'vars.json'
            extra.write_text(json.dumps(dict(config_path=str(config), env_name='env%02d' % index,
                                             smtp_password='%s-%d' % (PASSWORD, index))))
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                       ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='false', ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_LOCAL_TEMP=str(work / 'tmp'), ANSIBLE_REMOTE_TEMP=str(work / 'remote_tmp'),
                       ANSIBLE_PIPELINING='0', MAILOPS_PARALLEL='%s-%d' % (run_id, index))
            procs.append(subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                 '-e', '@%s' % extra, str(playbook)], cwd=str(work), env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT))
        give_up = time.monotonic() + 240
        waiting = set()
        while time.monotonic() < give_up:
            waiting = {m for m in _module_markers() if m.startswith(run_id)}
            if len(waiting) == PARALLEL_RUNS or any(p.poll() is not None for p in procs):
                break
            time.sleep(0.2)
        assert len(waiting) == PARALLEL_RUNS, 'only %d modules started while the lock was held' % len(waiting)
        assert config.read_bytes() == fixture_bytes('redmine', 'configuration.yml')   # all are waiting
    finally:
        lock.release()
    outputs = []
    for proc in procs:
        out, _err = proc.communicate(timeout=300)
        outputs.append((proc.returncode, out.decode('utf-8', 'replace')))
    for code, out in outputs:
        assert code == 0 and 'changed=1' in out, out[-3000:]
    text = config.read_text()
    seen = readers.redmine_many([text] * PARALLEL_RUNS)   # parse check; per-env views below
    assert not any(isinstance(s, readers.Unreadable) for s in seen)
    for index in range(PARALLEL_RUNS):
        smtp = readers.redmine(text, env='env%02d' % index)['email_delivery']['smtp_settings']
        assert smtp['address'] == 'env%02d.example.com' % index
        assert smtp['user_name'] == 'u-env%02d@example.com' % index
        assert smtp['password'] == '%s-%d' % (PASSWORD, index)
    assert ours(tmp_path) == []
    for _code, out in outputs:
        assert PASSWORD not in out


# --------------------------------------------------------------------------- odd targets, full and immutable

def _mount_tmpfs(path, size):
    path.mkdir()
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0755' % size, 'tmpfs', str(path)], check=True,
                   timeout=30)


def _fill(path):
    """Fill the filesystem of ``path`` to the brim: big chunks, then smaller ones, down to one byte."""
    fd = os.open(str(path / 'filler'), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = 1 << 20
        while chunk:
            try:
                os.write(fd, b'\0' * chunk)
            except OSError:
                chunk //= 4
    finally:
        os.close(fd)
    with pytest.raises(OSError):   # really full: not one more page
        fd = os.open(str(path / 'probe'), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.write(fd, b'x')
        finally:
            os.close(fd)
            os.unlink(str(path / 'probe'))


def _make_targets(tmp_path, mounts, immutable):
    """One directory per case, with the oddity in place (mounts and immutable files recorded for teardown)."""
    grafana = fixture_bytes('grafana', 'grafana.ini')
    cases = {}

    def case(name):
        directory = tmp_path / name
        directory.mkdir()
        return directory

    d = case('symlink')
    (d / 'managed').mkdir()
    (d / 'managed' / 'grafana.ini').write_bytes(grafana)
    os.chmod(str(d / 'managed' / 'grafana.ini'), 0o640)
    os.symlink('managed/grafana.ini', str(d / 'middle.ini'))
    os.symlink('middle.ini', str(d / 'grafana.ini'))
    cases['symlink'] = d / 'grafana.ini'

    d = case('dangling')
    (d / 'managed').mkdir()
    os.symlink('managed/custom.ini', str(d / 'custom.ini'))
    cases['dangling'] = d / 'custom.ini'

    d = case('device')
    os.mknod(str(d / 'grafana.ini'), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    cases['device'] = d / 'grafana.ini'

    d = case('fifo')
    os.mkfifo(str(d / 'grafana.ini'))
    cases['fifo'] = d / 'grafana.ini'
    cases['fifo_check'] = cases['fifo']

    d = case('socket')
    import socket
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(d / 'grafana.ini'))
    sock.close()
    cases['socket'] = d / 'grafana.ini'

    d = case('directory')
    (d / 'grafana.ini').mkdir()
    cases['directory'] = d / 'grafana.ini'

    d = case('immutable')
    (d / 'grafana.ini').write_bytes(grafana)
    subprocess.run(['chattr', '+i', str(d / 'grafana.ini')], check=True, timeout=30)
    immutable.append(d / 'grafana.ini')
    with pytest.raises(PermissionError):
        open(str(d / 'grafana.ini'), 'ab').close()   # chattr +i really works on this filesystem
    cases['immutable'] = d / 'grafana.ini'

    for name in ('full_backup', 'full_write'):
        d = tmp_path / name
        mounts.append(d)
        _mount_tmpfs(d, '256k')
        (d / 'grafana.ini').write_bytes(grafana)
        _fill(d)
        cases[name] = d / 'grafana.ini'

    d = tmp_path / 'readonly'
    mounts.append(d)
    _mount_tmpfs(d, '256k')
    (d / 'grafana.ini').write_bytes(grafana)
    subprocess.run(['mount', '-o', 'remount,ro', str(d)], check=True, timeout=30)
    cases['readonly'] = d / 'grafana.ini'

    for name in ('bind', 'bind_unsafe'):   # a single file bind-mounted into place, as Docker does
        d = case(name)
        (d / 'source.ini').write_bytes(grafana)
        (d / 'grafana.ini').write_bytes(b'')
        subprocess.run(['mount', '--bind', str(d / 'source.ini'), str(d / 'grafana.ini')], check=True, timeout=30)
        mounts.append(d / 'grafana.ini')
        cases[name] = d / 'grafana.ini'

    d = case('bom')
    lines = grafana.decode('utf-8').splitlines()
    (d / 'grafana.ini').write_bytes(('\ufeff' + '\r\n'.join(lines) + '\r\n').encode('utf-8'))
    cases['bom'] = d / 'grafana.ini'

    d = case('yaml_broken')
    text = fixture_bytes('redmine', 'configuration.yml').decode('utf-8')
    (d / 'configuration.yml').write_text(text + '\nrmagick_font_path: [unclosed, list\n')
    cases['yaml_broken'] = d / 'configuration.yml'

    d = case('world_readable')
    (d / 'grafana.ini').write_bytes(grafana)
    os.chmod(str(d / 'grafana.ini'), 0o644)
    cases['world_readable'] = d / 'grafana.ini'

    for name in ('deadline_inf', 'timeout_huge', 'deadline_nan'):
        d = case(name)
        (d / 'grafana.ini').write_bytes(grafana)
        cases[name] = d / 'grafana.ini'
    return cases


@pytest.fixture
def targets(tmp_path):
    """The odd targets; tmpfs mounts and chattr +i are undone in teardown, also when setting up failed."""
    mounts, immutable = [], []
    try:
        yield _make_targets(tmp_path, mounts, immutable)
    finally:
        for path in immutable:
            subprocess.run(['chattr', '-i', str(path)], check=False, timeout=30)
        for path in mounts:
            subprocess.run(['umount', '-l', str(path)], check=False, timeout=30)


def snapshot(path):
    try:
        st = os.lstat(str(path))
    except FileNotFoundError:
        return None
    data = None
    if stat.S_ISREG(st.st_mode):
        with open(str(path), 'rb') as handle:
            data = handle.read()
    return (st.st_ino, stat.S_IFMT(st.st_mode), st.st_mtime_ns, data)


def test_odd_targets_full_disks_and_immutable_files_through_ansible_playbook(tmp_path, targets):
    base = dict(app='grafana', server='smtp.example.com:587', username='crm@example.com',
                password='{{ smtp_password }}', test='none')
    special = dict(targets)
    params = {name: dict(base, path=str(path)) for name, path in special.items()}
    params['dangling'].update(create=True)
    params['full_backup'].update(backup=True)
    params['bind_unsafe'].update(unsafe_writes=True)
    params['world_readable'].update(backup=True)
    params['yaml_broken'] = dict(app='redmine', path=str(special['yaml_broken']), server='smtp.example.com:587',
                                 username='crm@example.com', password='{{ smtp_password }}', test='none')
    params['deadline_inf'].update(deadline='inf')
    params['timeout_huge'].update(timeout='1e300')
    params['deadline_nan'].update(deadline='nan')
    hosts = {name: dict(args=args, check_only=name == 'fifo_check') for name, args in params.items()}
    before = {name: snapshot(path) for name, path in special.items()}
    dirs_before = {name: sorted(os.listdir(os.path.dirname(str(path)))) for name, path in special.items()}

    (tmp_path / 'run').mkdir()
    results, output = run_hosts(tmp_path / 'run', hosts, [
        {'mailops.smtp.outgoing_server': '{{ args }}', 'check_mode': '{{ check_only }}', 'timeout': 60},
        {'mailops.smtp.outgoing_server': '{{ args }}', 'check_mode': '{{ check_only }}', 'timeout': 60},
        {'mailops.smtp.outgoing_server_info': {'app': '{{ args.app }}', 'path': '{{ args.path }}'},
         'timeout': 60},
    ], extra_vars={'smtp_password': PASSWORD})

    assert 'Traceback' not in output and PASSWORD not in output
    for name, steps in results.items():
        for step in steps:
            # ansible-core 2.19 renders the error summary of every failed task as '(traceback unavailable)'
            assert step.get('exception') in (None, '(traceback unavailable)') and 'module_stderr' not in step, \
                (name, step)
            assert 'Traceback' not in json.dumps(step)
            assert PASSWORD not in json.dumps(step)

    def refused(name, words):
        first, second, _info = results[name]
        for step in (first, second):
            assert step['failed'] is True and words in step['msg'] and 'nothing was changed' in step['msg'], \
                (name, step['msg'])
        assert snapshot(special[name]) == before[name], name
        after = set(os.listdir(os.path.dirname(str(special[name]))))
        assert after == set(dirs_before[name]), \
            (name, after)

    # symlink chain: the link stays, the real file changes; the second run is idempotent through the link
    first, second, info = results['symlink']
    assert first['changed'] is True and second['changed'] is False and info['configured'] is True
    d = os.path.dirname(str(special['symlink']))
    assert os.readlink(str(special['symlink'])) == 'middle.ini'
    assert os.readlink(os.path.join(d, 'middle.ini')) == 'managed/grafana.ini'
    real = os.path.join(d, 'managed', 'grafana.ini')
    seen = readers.grafana(open(real, encoding='utf-8').read())
    assert seen['smtp']['host'] == 'smtp.example.com:587' and seen['smtp']['password'] == PASSWORD
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640

    # dangling link with create: the target is created (0600), the link stays
    first, second, _info = results['dangling']
    assert first['changed'] is True and second['changed'] is False
    assert os.path.islink(str(special['dangling']))
    created = os.path.join(os.path.dirname(str(special['dangling'])), 'managed', 'custom.ini')
    assert stat.S_IMODE(os.stat(created).st_mode) == 0o600

    refused('device', 'is a character device, not a regular configuration file')
    refused('fifo', 'is a FIFO')
    refused('fifo_check', 'is a FIFO')
    refused('socket', 'is a socket')
    refused('directory', 'is a directory')
    for name, words in (('device', 'character device'), ('fifo', 'FIFO'), ('socket', 'socket'),
                        ('directory', 'directory')):
        assert results[name][2]['failed'] is True and words in results[name][2]['msg']

    refused('immutable', 'failed: operation not permitted (is the file or its directory immutable')
    # the candidate is written before the backup (both only before the rename): the full disk stops the first
    refused('full_backup', 'writing %s failed: no space left on device' % special['full_backup'])
    refused('full_write', 'writing %s failed: no space left on device' % special['full_write'])
    refused('readonly', 'read-only file system')
    # a bind-mounted file cannot be replaced by rename: refused with the way out; with unsafe_writes, in place
    refused('bind', 'device or resource busy (a bind-mounted file cannot be replaced by rename); set unsafe_writes')
    first, second, info = results['bind_unsafe']
    assert first['changed'] is True and second['changed'] is False and info['configured'] is True, first
    assert os.stat(str(special['bind_unsafe'])).st_ino == before['bind_unsafe'][0]   # still the mounted file
    source = os.path.join(os.path.dirname(str(special['bind_unsafe'])), 'source.ini')
    seen = readers.grafana(open(source, encoding='utf-8').read())   # what the container's Grafana reads
    assert seen['smtp']['host'] == 'smtp.example.com:587' and seen['smtp']['password'] == PASSWORD

    # BOM + CRLF: the section is found (no second [smtp]), BOM and CRLF stay, go-ini reads the new host
    first, second, info = results['bom']
    assert first['changed'] is True and second['changed'] is False and info['configured'] is True
    data = special['bom'].read_bytes()
    text = data.decode('utf-8')
    assert data.startswith(b'\xef\xbb\xbf') and text.count('[smtp]') == 1
    assert text.count('\n') == text.count('\r\n')
    assert readers.grafana(text)['smtp']['host'] == 'smtp.example.com:587'

    # YAML broken far below the edited block: refused, untouched
    first, second, info = results['yaml_broken']
    assert first['failed'] is True and 'YAML line' in first['msg'] and 'unterminated flow' in first['msg']
    assert snapshot(special['yaml_broken']) == before['yaml_broken']
    assert info['failed'] is True

    # a password written into a world-readable file warns; the backup is 0600
    first, second, _info = results['world_readable']
    assert first['changed'] is True
    assert any('every user on the host can read it' in w for w in first.get('warnings', []))
    backup = first['backup_file']
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    with open(backup, 'rb') as handle:
        assert handle.read() == before['world_readable'][3]

    for name, option in (('deadline_inf', 'deadline'), ('timeout_huge', 'timeout'), ('deadline_nan', 'deadline')):
        first = results[name][0]
        assert first['failed'] is True and first.get('option') == option and \
            first['msg'].startswith(option + ': must be a finite number'), (name, first)
        assert snapshot(special[name]) == before[name]
