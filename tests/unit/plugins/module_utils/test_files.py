# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_files: the write reaches the file the app reads (symlinks followed, link kept), anything that is not a regular
file is refused without blocking, temp files are ours and cleaned when stale, backups are atomic and 0600, and the
store lock serialises writers across processes. The OS-error and kill -9 cases run for real in
tests/integration/test_file_reliability.py."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _files
from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.collections')


class FakeModule(object):
    """The few AnsibleModule methods write_text() uses."""

    check_mode = False

    def __init__(self, **params):
        self.params = params

    def selinux_enabled(self):
        return False


def leftovers(directory):
    return sorted(name for name in os.listdir(str(directory)) if '.mailops-' in name or name.endswith('.tmp'))


def test_a_relative_symlink_chain_is_followed_and_the_links_stay(tmp_path):
    real = tmp_path / 'managed' / 'grafana.ini'
    real.parent.mkdir()
    real.write_text('[smtp]\nhost = old\n')
    os.chmod(str(real), 0o640)
    (tmp_path / 'etc').mkdir()
    os.symlink('../managed/grafana.ini', str(tmp_path / 'etc' / 'middle.ini'))
    os.symlink('middle.ini', str(tmp_path / 'etc' / 'grafana.ini'))
    link = tmp_path / 'etc' / 'grafana.ini'

    assert _files.read_text(str(link)) == '[smtp]\nhost = old\n'
    _files.write_text(FakeModule(), str(link), '[smtp]\nhost = new\n')

    assert os.path.islink(str(link)) and os.readlink(str(link)) == 'middle.ini'
    assert os.readlink(str(tmp_path / 'etc' / 'middle.ini')) == '../managed/grafana.ini'
    assert real.read_text() == '[smtp]\nhost = new\n'
    assert stat.S_IMODE(os.stat(str(real)).st_mode) == 0o640
    assert leftovers(real.parent) == [] and leftovers(link.parent) == []


def test_a_dangling_symlink_is_created_through(tmp_path):
    link = tmp_path / 'app.ini'
    os.symlink('real/app.ini', str(link))
    (tmp_path / 'real').mkdir()
    assert _files.read_text(str(link)) is None

    _files.write_text(FakeModule(), str(link), 'x = 1\n')

    assert os.path.islink(str(link))
    assert (tmp_path / 'real' / 'app.ini').read_text() == 'x = 1\n'
    assert stat.S_IMODE(os.stat(str(link)).st_mode) == 0o600


def test_a_symlink_loop_is_a_clear_error(tmp_path):
    os.symlink('b', str(tmp_path / 'a'))
    os.symlink('a', str(tmp_path / 'b'))
    for call in (lambda: _files.read_text(str(tmp_path / 'a')),
                 lambda: _files.write_text(FakeModule(), str(tmp_path / 'a'), 'x')):
        with pytest.raises(StoreError, match='symbolic links'):
            call()


def _special(tmp_path, kind):
    path = tmp_path / kind
    if kind == 'fifo':
        os.mkfifo(str(path))
    elif kind == 'chardev':
        os.mknod(str(path), 0o666 | stat.S_IFCHR, os.makedev(1, 3))   # a second /dev/null
    elif kind == 'socket':
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == 'directory':
        path.mkdir()
    return path


@pytest.mark.parametrize('kind, words', [
    ('fifo', 'is a FIFO'), ('chardev', 'is a character device'), ('socket', 'is a socket'),
    ('directory', 'is a directory'),
])
def test_anything_but_a_regular_file_is_refused_without_blocking_even_through_a_link(tmp_path, kind, words):
    """Run in a child process with a timeout: a blocking open() of a FIFO would hang the test otherwise."""
    target = _special(tmp_path, kind)
    link = tmp_path / 'link.ini'
    os.symlink(str(target), str(link))
    script = textwrap.dedent('''
        import sys
        sys.path.insert(0, %r)
        from ansible_collections.mailops.smtp.plugins.module_utils import _files
        from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError

        class Module(object):
            params = {}
            def selinux_enabled(self):
                return False

        for path in sys.argv[1:]:
            for call in (lambda: _files.read_text(path), lambda: _files.write_text(Module(), path, 'password=x')):
                try:
                    call()
                except StoreError as exc:
                    print(exc)
                else:
                    print('NO ERROR')
    ''') % COLLECTIONS
    before = os.lstat(str(target))
    proc = subprocess.run([sys.executable, '-c', script, str(target), str(link)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30, universal_newlines=True, check=False)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and len(lines) == 4, proc.stdout
    assert all(words in line and 'nothing was changed' in line for line in lines), lines
    after = os.lstat(str(target))
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
    assert os.path.islink(str(link))
    assert leftovers(tmp_path) == []


def test_temp_files_of_dead_or_old_runs_are_removed_and_others_kept(tmp_path):
    target = tmp_path / 'app.ini'
    target.write_text('x\n')
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    alive = os.getppid()
    names = {
        'dead': '.app.ini.mailops-%d-0a1b2c3d.tmp' % dead.pid,
        'alive': '.app.ini.mailops-%d-0a1b2c3d.tmp' % alive,
        'alive_but_old': '.app.ini.mailops-%d-deadbeef.tmp' % alive,
        'legacy_old': '.app.ini.k2j4h5g6.tmp',
        'legacy_new': '.app.ini.a1b2c3d4.tmp',
        'other_file': '.other.ini.mailops-%d-0a1b2c3d.tmp' % dead.pid,
        'not_ours': '.app.ini.swp',
    }
    for name in names.values():
        path = tmp_path / name
        path.write_text('secret')
        os.chmod(str(path), 0o600)
    old = time.time() - _files.STALE_AGE - 60
    for key in ('alive_but_old', 'legacy_old'):
        os.utime(str(tmp_path / names[key]), (old, old))

    removed = _files.remove_stale_temps(str(target))

    assert sorted(os.path.basename(p) for p in removed) == sorted(
        names[k] for k in ('dead', 'alive_but_old', 'legacy_old'))
    assert sorted(os.listdir(str(tmp_path))) == sorted(
        ['app.ini'] + [names[k] for k in ('alive', 'legacy_new', 'other_file', 'not_ours')])


def test_a_backup_is_a_complete_0600_copy_next_to_the_real_file(tmp_path):
    (tmp_path / 'real').mkdir()
    target = tmp_path / 'real' / 'app.ini'
    target.write_text('password = old-secret\n')
    os.chmod(str(target), 0o644)
    link = tmp_path / 'app.ini'
    os.symlink('real/app.ini', str(link))

    result = _files.write_text(FakeModule(), str(link), 'password = new-secret\n', backup=True)

    backup = result['backup_file']
    assert os.path.dirname(backup) == str(tmp_path / 'real')
    with open(backup) as handle:
        assert handle.read() == 'password = old-secret\n'
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert 'secret' not in os.path.basename(backup)
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o644
    assert leftovers(tmp_path / 'real') == []


def test_a_new_file_is_created_0600_and_never_through_a_placeholder(tmp_path):
    target = tmp_path / 'new.env'
    _files.write_text(FakeModule(), str(target), 'EMAIL_HOST_PASSWORD=x\n')
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert target.read_text() == 'EMAIL_HOST_PASSWORD=x\n'
    assert sorted(os.listdir(str(tmp_path))) == ['new.env']


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match='the directory .* does not exist; nothing was changed'):
        _files.write_text(FakeModule(), str(tmp_path / 'nope' / 'app.ini'), 'x')


def test_the_bom_and_crlf_reach_the_disk_unchanged(tmp_path):
    target = tmp_path / 'grafana.ini'
    text = '\ufeff[smtp]\r\nhost = a\r\n'
    _files.write_text(FakeModule(), str(target), text)
    assert target.read_bytes() == text.encode('utf-8')
    assert _files.read_text(str(target)) == text


HOLD_LOCK = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, %r)
    from ansible_collections.mailops.smtp.plugins.module_utils._files import StoreLock
    lock = StoreLock(sys.argv[1], exclusive=sys.argv[2] == 'ex').acquire()
    print('locked', flush=True)
    sys.stdin.read()
''') % COLLECTIONS


@pytest.fixture
def other_process_lock(tmp_path):
    holders = []

    def hold(path, mode):
        proc = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, path, mode], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, universal_newlines=True)
        assert proc.stdout.readline().strip() == 'locked'
        holders.append(proc)
        return proc

    yield hold
    for proc in holders:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_a_writer_waits_for_another_process_and_gives_up_with_a_clear_error(tmp_path, other_process_lock):
    target = tmp_path / 'app.ini'
    target.write_text('x\n')
    other_process_lock(str(target), 'ex')
    with pytest.raises(StoreError, match='locked by another run .* nothing was changed'):
        _files.StoreLock(str(target), exclusive=True, wait=0.3).acquire()
    with pytest.raises(StoreError, match='locked by another run'):
        _files.StoreLock(str(target), exclusive=False, wait=0.3).acquire()


def test_readers_share_the_lock_and_a_writer_waits_for_them(tmp_path, other_process_lock):
    target = tmp_path / 'app.ini'
    target.write_text('x\n')
    other_process_lock(str(target), 'sh')
    with _files.StoreLock(str(target), exclusive=False, wait=0.3):
        pass
    with pytest.raises(StoreError, match='locked by another run'):
        _files.StoreLock(str(target), exclusive=True, wait=0.3).acquire()


def test_the_lock_is_on_the_real_file_s_directory_and_survives_its_replacement(tmp_path):
    (tmp_path / 'real').mkdir()
    target = tmp_path / 'real' / 'app.ini'
    target.write_text('x\n')
    os.symlink('real/app.ini', str(tmp_path / 'link.ini'))
    with _files.StoreLock(str(tmp_path / 'link.ini')) as lock:
        assert lock.lock_path == str(tmp_path / 'real')
        _files.write_text(FakeModule(), str(tmp_path / 'link.ini'), 'y\n')
        with pytest.raises(StoreError, match='locked by another run'):
            _files.StoreLock(str(target), wait=0.2).acquire()   # another descriptor: flock conflicts
        with pytest.raises(StoreError, match='locked by another run'):
            _files.StoreLock(str(tmp_path / 'real' / 'other.ini'), wait=0.2).acquire()   # the same directory
    assert sorted(os.listdir(str(tmp_path / 'real'))) == ['app.ini']


def test_no_lock_file_is_created_and_an_old_one_is_removed_by_a_writer(tmp_path):
    target = tmp_path / 'app.ini'
    target.write_text('x\n')
    with _files.StoreLock(str(target), exclusive=False) as lock:
        assert lock.fd is not None
    with _files.StoreLock(str(target), exclusive=True) as lock:
        assert lock.fd is not None
    assert os.listdir(str(tmp_path)) == ['app.ini']
    (tmp_path / '.app.ini.mailops.lock').write_bytes(b'')   # left by mailops.smtp 1.2.0
    (tmp_path / '.other.ini.mailops.lock').write_bytes(b'')   # another file's: stays until that file is written
    with _files.StoreLock(str(target)):
        assert _files.remove_stale_temps(str(target)) == [str(tmp_path / '.app.ini.mailops.lock')]
    assert sorted(os.listdir(str(tmp_path))) == ['.other.ini.mailops.lock', 'app.ini']


def test_world_readable(tmp_path):
    target = tmp_path / 'a'
    target.write_text('x')
    os.chmod(str(target), 0o644)
    assert _files.world_readable(str(target))
    os.chmod(str(target), 0o640)
    assert not _files.world_readable(str(target))


@pytest.fixture
def public_tmp():
    import pathlib
    import tempfile
    path = tempfile.mkdtemp(prefix='mailops-eacces-')
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


def test_permission_denied_is_a_clear_message_for_an_unprivileged_user(public_tmp):
    """EACCES needs a user that permission bits apply to: the child drops to nobody (root ignores them)."""
    tmp_path = public_tmp
    directory = tmp_path / 'etc'
    directory.mkdir()
    target = directory / 'app.ini'
    target.write_text('x = 1\n')
    os.chmod(str(directory), 0o755)
    os.chmod(str(target), 0o644)
    os.chmod(str(tmp_path), 0o755)
    script = textwrap.dedent('''
        import os, sys
        sys.path.insert(0, %r)
        import fcntl
        from ansible_collections.mailops.smtp.plugins.module_utils import _files
        from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
        os.setgid(65534)
        os.setuid(65534)

        class Module(object):
            params = {}
            def selinux_enabled(self):
                return False

        for call in (lambda: _files.StoreLock(sys.argv[1]).acquire(),
                     lambda: _files.write_text(Module(), sys.argv[1], 'x = 2\\n')):
            try:
                call()
            except StoreError as exc:
                print(exc)
    ''') % COLLECTIONS
    if os.geteuid() != 0:
        pytest.fail('this test drops privileges and must run as root (the project test machines do)')
    proc = subprocess.run([sys.executable, '-c', script, str(target)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30, universal_newlines=True, check=False)
    assert proc.stdout.splitlines() == [   # the directory can be locked (read), not written
        'writing %s failed: permission denied; nothing was changed' % target,
    ], proc.stdout
    assert target.read_text() == 'x = 1\n' and os.listdir(str(directory)) == ['app.ini']


def test_a_bind_mounted_file_is_refused_clearly_or_written_in_place_with_unsafe_writes(tmp_path):
    """Docker-style single-file bind mount: rename() over it fails with EBUSY."""
    source = tmp_path / 'source.ini'
    source.write_text('x = 1\n')
    target = tmp_path / 'app.ini'
    target.write_text('')
    subprocess.run(['mount', '--bind', str(source), str(target)], check=True, timeout=30)
    try:
        with pytest.raises(StoreError, match='device or resource busy .*set unsafe_writes: true.*nothing was changed'):
            _files.write_text(FakeModule(), str(target), 'x = 2\n')
        assert source.read_text() == 'x = 1\n' and leftovers(tmp_path) == []
        _files.write_text(FakeModule(unsafe_writes=True), str(target), 'x = 2\n')
        assert source.read_text() == 'x = 2\n' and leftovers(tmp_path) == []
    finally:
        subprocess.run(['umount', str(target)], check=False, timeout=30)
