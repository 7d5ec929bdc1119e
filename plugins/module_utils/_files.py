# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading and safely writing the configuration files of file-backed app profiles.

The guarantees (docs/security.md, "Files"):

* **The write reaches the file the app reads.** A symlinked path is followed to its final target (relative
  links and chains included, as ``lineinfile`` does): the link stays, the target is replaced. A dangling link
  with ``create: true`` creates its target.
* **Only regular files.** A device node, FIFO, socket or directory is refused; it is identified with
  ``stat()`` and opened with ``O_NONBLOCK``, so nothing ever blocks on it, in check mode neither.
* **Atomic, also on creation.** New content goes to a temporary file created 0600 (``O_EXCL``, ``O_NOFOLLOW``)
  in the target's directory, is flushed to disk, gets the target's mode, owner and SELinux context, and is
  renamed over the target. A ``kill -9`` at any moment leaves the old or the new file, never an empty or partial
  one. Temporary files are named ``.<name>.mailops-<pid>-<random>.tmp``: a later run that holds the lock
  removes those whose process is gone or that are older than ``STALE_AGE``.
* **Backups** are written the same way (temp + rename) and created 0600, whatever the original's mode: a
  configuration file is where the password lives.
* **One writer at a time.** ``StoreLock`` takes an advisory ``flock`` on ``.<name>.mailops.lock`` next to the
  target. The lock file is never replaced (the target is, on every write, so locking the target itself would
  lock an inode that the next rename throws away). Writers hold it exclusively from read to write; readers
  (check mode, ``outgoing_server_info``) take it shared, and only when it already exists.
* **Validated before the rename.** ``validate`` (the module option, as in ``template`` and ``lineinfile``) is a
  command run on the candidate temp file, after it is written and before the rename, with ``%s`` replaced by its
  path. When it fails, the temp file and the backup just made are removed and the target keeps its bytes, inode
  and mtime.
* **Clear errors.** Every OS error becomes ``StoreError("writing <path> failed: <reason>; nothing was
  changed")``: no traceback, and the target is untouched.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import re
import shlex
import stat
import time

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError

NEW_FILE_MODE = 0o600
BACKUP_MODE_MASK = 0o600
STALE_AGE = 3600          # seconds after which a temporary file of a live-looking pid is stale anyway
LOCK_WAIT = 300           # seconds a run waits for another run's lock on the same file
TEMP_MARK = 'mailops'

_KINDS = (
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO (named pipe)'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
    (stat.S_ISSOCK, 'a socket'),
)

_HINTS = {
    errno.EPERM: ' (is the file or its directory immutable? see lsattr)',
    errno.EBUSY: ' (a bind-mounted file cannot be replaced by rename)',
}


def _reason(exc):
    text = exc.strerror or str(exc)
    text = text[:1].lower() + text[1:]
    return text + _HINTS.get(exc.errno, '')


def _label(path, target):
    if os.path.abspath(path) == target:
        return path
    return '%s (-> %s)' % (path, target)


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'not a regular file'


def _refuse(label, mode):
    return StoreError('%s is %s, not a regular configuration file; nothing was changed' % (label, _kind(mode)))


def resolve(path):
    """The absolute path of the file the app reads: every symlink followed (relative links, chains)."""
    path = os.path.abspath(path)
    target = os.path.realpath(path)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError('%s: too many levels of symbolic links (a symlink loop); nothing was changed'
                             % path) from None
    return target


def regular_stat(path, label=None):
    """``os.stat()`` of ``path`` (links followed) when it is a regular file, None when it does not exist.

    Raises StoreError for anything else (directory, FIFO, device, socket) and for unreadable metadata.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise StoreError('reading %s failed: %s; nothing was changed' % (label or path, _reason(exc))) from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(label or path, st.st_mode)
    return st


def _open_regular(path, label):
    """An fd of the regular file ``path``, opened without blocking; None when it does not exist."""
    if regular_stat(path, label) is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, 'O_CLOEXEC', 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise StoreError('reading %s failed: %s; nothing was changed' % (label, _reason(exc))) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):   # swapped between stat() and open()
        os.close(fd)
        raise _refuse(label, st.st_mode)
    return fd


# The largest configuration file read (every app's real file is far smaller): a bigger one is refused before it is
# read, with a message naming it, instead of minutes of parsing and gigabytes of memory.
MAX_FILE_BYTES = 16 * 1024 * 1024


def _too_big(label):
    return StoreError('%s is larger than %d MiB, the most this module reads of a configuration file; nothing was '
                      'changed' % (label, MAX_FILE_BYTES // (1024 * 1024)))


def _read_fd(fd, label):
    if os.fstat(fd).st_size > MAX_FILE_BYTES:
        raise _too_big(label)
    chunks = []
    size = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b''.join(chunks)
        size += len(chunk)
        if size > MAX_FILE_BYTES:  # it grew while being read
            raise _too_big(label)
        chunks.append(chunk)


def read_bytes(path):
    """The file's bytes, or None when it does not exist (a dangling symlink does not exist either)."""
    label = _label(path, resolve(path))
    fd = _open_regular(path, label)
    if fd is None:
        return None
    try:
        return _read_fd(fd, label)
    except OSError as exc:
        raise StoreError('reading %s failed: %s; nothing was changed' % (label, _reason(exc))) from None
    finally:
        os.close(fd)


def read_text(path):
    """The file's text (UTF-8, BOM and newlines untouched), or None when it does not exist."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise StoreError('%s is not UTF-8 text' % path) from None


def file_stat(path):
    """(inode, mtime_ns, size) or None: used by tests and by callers that want to prove nothing changed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


# --------------------------------------------------------------------------- locking

def lock_path_for(target):
    directory, name = os.path.split(target)
    return os.path.join(directory, '.%s.%s.lock' % (name, TEMP_MARK))


class StoreLock(object):
    """An advisory ``flock`` on ``.<name>.mailops.lock`` next to the file that ``path`` resolves to.

    ``exclusive=True`` creates the lock file (0600) when needed; a shared lock only uses an existing one, so
    readers never create anything. ``release()`` (or process exit, even by ``kill -9``) frees it.
    """

    def __init__(self, path, exclusive=True, wait=LOCK_WAIT):
        self.path = path
        self.exclusive = exclusive
        self.wait = wait
        self.fd = None
        self.lock_path = None

    def acquire(self):
        import fcntl

        target = resolve(self.path)
        directory = os.path.dirname(target)
        if not os.path.isdir(directory):
            return self   # nothing to protect: reading finds no file, writing fails naming the directory
        self.lock_path = lock_path_for(target)
        flags = os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | getattr(os, 'O_CLOEXEC', 0)
        flags |= (os.O_RDWR | os.O_CREAT) if self.exclusive else os.O_RDONLY
        try:
            fd = os.open(self.lock_path, flags, NEW_FILE_MODE)
        except OSError as exc:
            if not self.exclusive and exc.errno in (errno.ENOENT, errno.EACCES):
                return self   # no writer has locked this file yet, or we may not read the lock: reads are atomic
            raise StoreError('%s %s failed: cannot open the lock file %s: %s; nothing was changed'
                             % ('writing' if self.exclusive else 'reading', _label(self.path, target),
                                self.lock_path, _reason(exc))) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError('locking %s failed: the lock file %s is not a regular file; nothing was changed'
                             % (_label(self.path, target), self.lock_path))
        operation = (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        give_up = time.monotonic() + self.wait
        pause = 0.02
        while True:
            try:
                fcntl.flock(fd, operation)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise StoreError('locking %s failed: %s; nothing was changed'
                                     % (_label(self.path, target), _reason(exc))) from None
            if time.monotonic() >= give_up:
                os.close(fd)
                raise StoreError('%s is locked by another run (lock file %s) for more than %d seconds; '
                                 'nothing was changed' % (_label(self.path, target), self.lock_path, self.wait))
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
        self.fd = fd
        return self

    def release(self):
        if self.fd is not None:
            os.close(self.fd)   # closing the only descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()


# --------------------------------------------------------------------------- temporary files

def _temp_pattern(name):
    return re.compile(r'^\.%s\.%s-(?P<pid>[0-9]+)-[0-9a-f]+\.tmp$' % (re.escape(name), TEMP_MARK))


def _legacy_temp_pattern(name):
    # tempfile.mkstemp(prefix='.<name>.', suffix='.tmp') of mailops.smtp 1.0.0
    return re.compile(r'^\.%s\.[a-z0-9_]{8}\.tmp$' % re.escape(name))


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_temps(path, now=None):
    """Remove our temporary files next to the file ``path`` resolves to whose run is gone; return their paths.

    Call it while holding the exclusive ``StoreLock``: every writer creates its temporary files under that
    lock, so a file whose pid is dead (or that is older than ``STALE_AGE``, in case the pid was reused)
    belongs to a run that was killed. Errors are ignored: cleaning up must never fail a run.
    """
    target = resolve(path)
    directory, name = os.path.split(target)
    ours, legacy = _temp_pattern(name), _legacy_temp_pattern(name)
    now = time.time() if now is None else now
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        match = ours.match(entry)
        if match is None and not legacy.match(entry):
            continue
        full = os.path.join(directory, entry)
        try:
            st = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        old = now - st.st_mtime > STALE_AGE
        if match is not None:
            pid = int(match.group('pid'))
            stale = pid != os.getpid() and (old or not _pid_alive(pid))
        else:
            stale = old and stat.S_IMODE(st.st_mode) == 0o600
        if not stale:
            continue
        try:
            os.unlink(full)
            removed.append(full)
        except OSError:
            pass
    return removed


def _create_temp(directory, name):
    """(fd, path) of a new 0600 temporary file for ``name`` in ``directory`` (O_EXCL, never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)
    for _attempt in range(100):
        temp = os.path.join(directory, '.%s.%s-%d-%s.tmp' % (name, TEMP_MARK, os.getpid(), os.urandom(4).hex()))
        try:
            return os.open(temp, flags, NEW_FILE_MODE), temp
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, 'cannot find a free temporary file name')


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_owner(fd, st):
    if st is None:
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        pass   # not root: the new file keeps our owner, as atomic_move does


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _selinux_context(module, target, exists):
    if module is None or not module.selinux_enabled():
        return None
    return module.selinux_context(target) if exists else module.selinux_default_context(target)


def _place(module, target, data, mode, st, context_from, check=None):
    """Write ``data`` to a temp file and rename it over ``target``. Raises OSError.

    The temp file is in ``target``'s directory and named after ``context_from`` (the configuration file: for a
    backup too), so that ``remove_stale_temps()`` of that file finds it when this run is killed.
    ``check(temp_path)``, when given, runs on the complete candidate before the rename and raises to refuse it.
    """
    directory = os.path.dirname(target)
    fd, temp = _create_temp(directory, os.path.basename(context_from))
    placed = False
    try:
        try:
            _write_all(fd, data)
            os.fchmod(fd, mode)
            _copy_owner(fd, st)
            os.fsync(fd)
        finally:
            os.close(fd)
        context = _selinux_context(module, context_from, os.path.exists(context_from))
        if context is not None:
            module.set_context_if_different(temp, context, False)
        if check is not None:
            check(temp)
        os.rename(temp, target)
        placed = True
    finally:
        if not placed:
            try:
                os.unlink(temp)
            except OSError:
                pass
    _fsync_directory(directory)


def _write_in_place(target, data):
    """unsafe_writes: rewrite the file's content in place (not atomic; only for files that rename cannot replace)."""
    fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_TRUNC)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_name(target):
    """Ansible's backup name (``backup_local()``): ``<file>.<pid>.<YYYY-MM-DD@HH:MM:SS>~``."""
    return '%s.%s.%s' % (target, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime()))


def write_backup(module, target, st, label):
    """Atomically copy ``target`` to its backup name, mode capped at 0600; return the backup's path."""
    fd = _open_regular(target, label)
    if fd is None:
        return None
    try:
        data = _read_fd(fd, label)
    except OSError as exc:
        raise StoreError('reading %s for its backup failed: %s; nothing was changed' % (label, _reason(exc))) \
            from None
    finally:
        os.close(fd)
    backup = backup_name(target)
    try:
        _place(module, backup, data, stat.S_IMODE(st.st_mode) & BACKUP_MODE_MASK, st, target)
    except OSError as exc:
        raise StoreError('writing the backup %s failed: %s; nothing was changed' % (backup, _reason(exc))) \
            from None
    return backup


def validate_command(command):
    """The argument list of a ``validate`` command, or None; checked before any I/O (SettingsError)."""
    if command is None:
        return None
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise SettingsError('validate', 'validate: cannot split the command into arguments: %s' % exc) from None
    if not argv:
        raise SettingsError('validate', 'validate: the command is empty')
    if not any('%s' in arg for arg in argv):
        raise SettingsError('validate', 'validate: the command must contain %s, which is replaced by the path of '
                            'the candidate file (for example: php -l %s)')
    return argv


def _output_tail(text, lines=6, limit=600):
    tail = '\n'.join(line.rstrip() for line in (text or '').strip().splitlines()[-lines:])
    return tail if len(tail) <= limit else '...' + tail[-limit:]


class ValidateError(StoreError):
    """The ``validate`` command refused the candidate (or could not run); nothing was changed."""

    option = 'validate'


def run_validate(module, argv, candidate, label):
    """Run the ``validate`` command on ``candidate``, the temp file that would replace ``label``'s target."""
    args = [arg.replace('%s', candidate) for arg in argv]
    try:
        rc, out, err = module.run_command(args, expand_user_and_vars=False, handle_exceptions=False)
    except (IOError, OSError) as exc:
        raise ValidateError('validate: cannot run %s: %s; nothing was changed' % (argv[0], _reason(exc))) \
            from None
    if rc != 0:
        output = _output_tail('\n'.join(part for part in (out, err) if part))
        raise ValidateError('validate: %s rejected the new content of %s (exit %d)%s; nothing was changed'
                            % (argv[0], label, rc, ': %s' % output if output else ''))


def write_text(module, path, text, backup=False, validate=None):
    """Atomically replace (or create) the file ``path`` resolves to with ``text``.

    Returns ``{'backup_file': ...}`` when a backup was made. Raises StoreError, with the target untouched, for
    anything that is not a regular file and for every OS error. ``validate``: the argument list from
    ``validate_command()``, run on the candidate before the rename (ValidateError when it refuses).
    """
    target = resolve(path)
    label = _label(path, target)
    directory = os.path.dirname(target)
    try:
        if not stat.S_ISDIR(os.stat(directory).st_mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise StoreError('writing %s failed: the directory %s does not exist; nothing was changed'
                             % (label, directory)) from None
        raise StoreError('writing %s failed: %s: %s; nothing was changed' % (label, directory, _reason(exc))) \
            from None
    st = regular_stat(target, label)
    result = {}
    if st is not None and backup:
        made = write_backup(module, target, st, label)
        if made:
            result['backup_file'] = made
    data = text.encode('utf-8')
    mode = stat.S_IMODE(st.st_mode) if st is not None else NEW_FILE_MODE
    check = None
    if validate:
        def check(candidate):
            run_validate(module, validate, candidate, label)
    try:
        _place(module, target, data, mode, st, target, check=check)
    except ValidateError:
        if result.get('backup_file'):  # the refused write changes nothing: no backup either
            try:
                os.unlink(result['backup_file'])
            except OSError:
                pass
        raise
    except OSError as exc:
        unsafe = bool(module is not None and module.params.get('unsafe_writes'))
        if st is not None and exc.errno in (errno.EBUSY, errno.EXDEV) and unsafe:
            try:
                _write_in_place(target, data)
                return result
            except OSError as again:
                exc = again
        hint = ''
        if exc.errno == errno.EBUSY and not unsafe:
            hint = '; set unsafe_writes: true to write it in place'
        raise StoreError('writing %s failed: %s%s; nothing was changed' % (label, _reason(exc), hint)) from None
    return result


def world_readable(path):
    """True when the file ``path`` resolves to exists and every user may read it."""
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def apply_file_attributes(module, path, changed, diff=None):
    """Apply mode/owner/group/seuser... from the module's file common arguments to the file ``path`` resolves
    to (never to the symlink itself); return the new changed."""
    target = resolve(path)
    if not os.path.exists(target) and not module.check_mode:
        return changed
    file_args = module.load_file_common_arguments(module.params, path=target)
    if not os.path.exists(target):
        return changed
    return module.set_fs_attributes_if_different(file_args, changed, diff=diff)
