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
  in the target's directory, is flushed to disk, gets the target's mode, owner and SELinux context (or the
  requested ones), and is renamed over the target. A ``kill -9`` at any moment leaves the old or the new file,
  never an empty or partial one. Temporary files are named ``.<name>.mailops-<pid>-<random>.tmp``: a later run
  that holds the lock removes those whose process is gone or that are older than ``STALE_AGE``.
* **Backups** are written the same way (temp + rename) and created 0600, whatever the original's mode: a
  configuration file is where the password lives.
* **One writer at a time.** ``StoreLock`` takes an advisory ``flock`` on the target's directory: no lock file is
  left beside the config. (The target is replaced on every write, so locking the target itself would lock an
  inode that the next rename throws away.) Writers hold it exclusively from read to write; readers (check mode,
  ``outgoing_server_info``) take it shared.
* **Attributes before the rename.** ``requested_attributes()`` checks ``owner``/``group``/``mode`` before any I/O;
  the temp file gets them (and the target's own where none is asked) before the rename. A run that cannot give
  the new file the target's owner or group (not root) is refused before writing, never silently changes them;
  with ``unsafe_writes`` a file this user may write is rewritten in place instead.
* **Several files, all or nothing.** ``prepare()`` makes each candidate; ``commit()`` renames them in order, keeping
  each target's old inode as a hard link until the last rename succeeded, and puts them all back when one fails.
* **Validated before the rename.** ``validate`` (the module option, as in ``template`` and ``lineinfile``) is a
  command run on the candidate temp file, after it is written and before the rename, with ``%s`` replaced by its
  path. When it fails, the temp file and the backup just made are removed and the target keeps its bytes, inode
  and mtime.
* **Clear errors.** Every OS error becomes ``StoreError("writing <path> failed: <reason>; nothing was
  changed")``: no traceback, and the target is untouched.
"""

from __future__ import annotations

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


# --------------------------------------------------------------------------- locking

LEGACY_LOCK = '.%s.' + TEMP_MARK + '.lock'   # the lock file of mailops.smtp 1.2.0 and older, removed when seen


class StoreLock:
    """An advisory ``flock`` on the directory of the file that ``path`` resolves to: no file is created.

    The directory is never replaced by a write (the file is, on every write, so locking the file itself would
    lock an inode that the next rename throws away), and every run on any file of that directory locks the same
    inode. Writers hold it exclusively from read to write; readers (check mode, ``outgoing_server_info``) take it
    shared, and do without it when they may not open the directory (reads are atomic). ``release()`` (or process
    exit, even by ``kill -9``) frees it.
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
        self.lock_path = directory
        flags = os.O_RDONLY | os.O_NOCTTY | getattr(os, 'O_DIRECTORY', 0) | getattr(os, 'O_CLOEXEC', 0)
        try:
            fd = os.open(directory, flags)
        except OSError as exc:
            if not self.exclusive and exc.errno == errno.EACCES:
                return self   # we may not read the directory: reads are atomic, no lock needed
            raise StoreError('%s %s failed: cannot open its directory %s to lock it: %s; nothing was changed'
                             % ('writing' if self.exclusive else 'reading', _label(self.path, target),
                                directory, _reason(exc))) from None
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
                raise StoreError('%s is locked by another run (a lock on its directory %s) for more than %d '
                                 'seconds; nothing was changed' % (_label(self.path, target), directory, self.wait))
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
    # ``.tmp`` and what postmap makes of it (``.tmp.db``, ``.tmp.lmdb``...), and the saved links of a transaction
    return re.compile(r'^\.%s\.%s-(?P<pid>[0-9]+)-[0-9a-f]+\.(tmp|old)(\.[a-z]+)?$' % (re.escape(name), TEMP_MARK))


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
    legacy_lock = LEGACY_LOCK % name
    for entry in entries:
        if entry == legacy_lock:
            _remove_legacy_lock(os.path.join(directory, entry), removed)
            continue
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


def _remove_legacy_lock(path, removed):
    """The empty lock file older versions left beside the config: nothing but the user's backups should stay."""
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_size == 0:
            os.unlink(path)
            removed.append(path)
    except OSError:
        pass


def _create_temp(directory, name, kind='tmp'):
    """(fd, path) of a new 0600 temporary file for ``name`` in ``directory`` (O_EXCL, never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)
    for _attempt in range(100):
        unique = '%d-%s' % (os.getpid(), os.urandom(4).hex())
        temp = os.path.join(directory, '.%s.%s-%s.%s' % (name, TEMP_MARK, unique, kind))
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
        pass   # a backup (0600) may keep our owner: it is ours to read, nobody else's


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


def _place(module, target, data, mode, st, context_from):
    """Write ``data`` to a temp file and rename it over ``target`` (backups). Raises OSError.

    The temp file is in ``target``'s directory and named after ``context_from`` (the configuration file), so that
    ``remove_stale_temps()`` of that file finds it when this run is killed.
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
            _set_context(temp, context, None)
        os.rename(temp, target)
        placed = True
    finally:
        if not placed:
            _unlink_quietly(temp)
    _fsync_directory(directory)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


# --------------------------------------------------------------------------- file attributes

SELINUX_OPTIONS = ('seuser', 'serole', 'setype', 'selevel')


class _ModeBase:
    """The one ``stat`` field Ansible's symbolic-mode parser reads."""

    def __init__(self, mode):
        self.st_mode = stat.S_IFREG | mode


def _symbolic_mode(current, symbolic):
    from ansible.module_utils.basic import AnsibleModule
    return AnsibleModule._symbolic_mode_to_octal(_ModeBase(current), symbolic)


class Attributes:
    """The ``owner``, ``group``, ``mode`` and SELinux options of a run, checked before any I/O.

    ``requested_attributes(params)`` builds it (SettingsError naming the option for an unknown user or group or a
    mode that is neither octal nor symbolic). ``final(st)`` says what the written file gets: the option where one
    is given, else what the file has now (a new file: 0600 and the creating user).
    """

    def __init__(self, uid=None, gid=None, mode=None, owner=None, group=None, secontext=None, flags=None):
        self.uid = uid
        self.gid = gid
        self.mode = mode          # an int, a symbolic string (applied to the current mode), or None
        self.owner = owner        # as given, for messages
        self.group = group
        self.secontext = secontext  # [seuser, serole, setype, selevel] (None: keep) or None: nothing asked
        self.flags = flags        # the ``attributes`` option (chattr flags): (operator, letters) or None

    def final_mode(self, current):
        if self.mode is None:
            return current
        if isinstance(self.mode, int):
            return self.mode
        return _symbolic_mode(current, self.mode)

    def final(self, st):
        """(uid, gid, mode) for a file whose current stat is ``st`` (None: a new file; uid/gid -1: as created)."""
        mode = stat.S_IMODE(st.st_mode) if st is not None else NEW_FILE_MODE
        uid = st.st_uid if st is not None else -1
        gid = st.st_gid if st is not None else -1
        return (self.uid if self.uid is not None else uid, self.gid if self.gid is not None else gid,
                self.final_mode(mode))


KEEP = Attributes()


def _check_mode_value(mode):
    if isinstance(mode, bool):
        raise SettingsError('mode', 'mode: %r is neither an octal mode (\'0640\') nor a symbolic one (u=rw,g=r)'
                            % (mode,))
    if isinstance(mode, int):
        value = mode
    else:
        text = str(mode).strip()
        try:
            value = int(text, 8)
        except ValueError:
            try:
                _symbolic_mode(NEW_FILE_MODE, text)
            except (ValueError, IndexError, KeyError, TypeError) as exc:   # Ansible's own parser
                raise SettingsError('mode', 'mode: %r is neither an octal mode (\'0640\') nor a symbolic one '
                                    '(u=rw,g=r): %s' % (text, exc)) from None
            return text
    if value < 0 or value != stat.S_IMODE(value):
        raise SettingsError('mode', 'mode: %r is out of range: only permission bits (0 to 07777) are allowed'
                            % (mode,))
    return value


def _lookup(option, value, by_name, field, what):
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        raise SettingsError(option, '%s: empty; give a %s name or a numeric id' % (option, what))
    try:
        number = int(text)
    except ValueError:
        try:
            return getattr(by_name(text), field)
        except KeyError:
            raise SettingsError(option, '%s: there is no %s named %r on this host' % (option, what, text)) from None
    if number < 0:
        raise SettingsError(option, '%s: %r is not a valid numeric id' % (option, text))
    return number


def requested_attributes(params, module=None):
    """The file attributes the module options ask for, checked before any I/O (SettingsError naming the option)."""
    import grp
    import pwd

    mode = params.get('mode')
    context = None
    if any(params.get(name) is not None for name in SELINUX_OPTIONS):
        context = [params.get(name) for name in SELINUX_OPTIONS]
        for name, value in zip(SELINUX_OPTIONS, context):
            if value is not None and (not str(value) or any(ch.isspace() or ch == ':' for ch in str(value))):
                raise SettingsError(name, '%s: %r is not one part of an SELinux context' % (name, value))
        if module is None or not module.selinux_enabled():
            context = None   # as Ansible's file options do: ignored where SELinux is off
    return Attributes(uid=_lookup('owner', params.get('owner'), pwd.getpwnam, 'pw_uid', 'user'),
                      gid=_lookup('group', params.get('group'), grp.getgrnam, 'gr_gid', 'group'),
                      mode=_check_mode_value(mode) if mode is not None else None,
                      owner=params.get('owner'), group=params.get('group'), secontext=context,
                      flags=check_flags(params.get('attributes')))


# --------------------------------------------------------------------------- chattr flags (option attributes)
#
# The order, for a file whose content changes: the flags are checked before any I/O (check_flags); before the SMTP
# test, preflight() sets them on a scratch file beside the target, which proves this host, this filesystem and
# this user accept them (``C`` on ext4, ``i`` without CAP_LINUX_IMMUTABLE are refused there, naming the option);
# prepare() gives the candidate temp file the flags the new file will have -- except ``i`` and ``a``: an immutable
# or append-only file cannot be renamed, so the temp file gets them and loses them again (one more proof), and
# they are set on the target right after the rename. Without the option, the temp file gets the target's own
# flags (``lsattr``), so a replaced file keeps ``A``, ``d``, ``s``...; a target that is immutable or append-only
# now cannot be replaced at all (rename is refused, nothing changes).

FLAG_LETTERS = 'aAcCdDeFijmPsStTux'    # what chattr sets (lsattr also shows read-only ones: E, I, N, h, V...)
_NO_RENAME = frozenset('ia')           # flags that make the temp file impossible to rename


def check_flags(value):
    """The ``attributes`` option as (operator, letters) -- operator ``+``, ``-`` or ``=`` (none given) -- or None;
    SettingsError naming the option for anything chattr would not take."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    operator = '='
    if text[0] in '+-=':
        operator, text = text[0], text[1:]
    wrong = sorted(set(ch for ch in text if ch not in FLAG_LETTERS))
    if not text or wrong:
        raise SettingsError('attributes', 'attributes: %r is not a set of chattr flags: %s; give letters of %s, '
                            'optionally after +, - or = (for example +i or =A)' % (
                                value, 'unknown %s' % ', '.join(repr(ch) for ch in wrong) if wrong else 'no flag',
                                FLAG_LETTERS))
    return operator, ''.join(sorted(set(text), key=FLAG_LETTERS.index))


def _run(module, argv):
    """(rc, output) of a short command (chattr, lsattr) through ``module.run_command``; rc None when it is not
    installed (or there is no module to run it: nothing to read or set then)."""
    finder = getattr(module, 'get_bin_path', None)   # None for the few callers without a real module
    binary = finder(argv[0]) if finder is not None else None
    if binary is None:
        return None, '%s is not installed on this host' % argv[0]
    try:
        rc, out, err = module.run_command([binary] + list(argv[1:]))
    except (IOError, OSError) as exc:
        return 1, str(exc)
    return rc, '\n'.join(part.strip() for part in (out, err) if part and part.strip())


def current_flags(module, path):
    """The chattr flags ``path`` has now (a set of letters chattr can set), or None when they cannot be read."""
    rc, out = _run(module, ['lsattr', '-d', '--', path])
    if rc != 0 or not out:
        return None
    return set(ch for ch in out.split()[0] if ch in FLAG_LETTERS)


def final_flags(flags, current):
    """The flags a file whose flags are ``current`` has after ``flags`` ((operator, letters))."""
    operator, letters = flags
    if operator == '+':
        return set(current) | set(letters)
    if operator == '-':
        return set(current) - set(letters)
    return set(letters) | (set(current) & {'e'})   # chattr keeps extents; it cannot clear them


def _chattr(module, path, spec, shown, label):
    """``chattr spec path``; AttributeRefusal naming option attributes when refused (``shown``: the option value)."""
    rc, out = _run(module, ['chattr', spec, '--', path])
    if rc != 0:
        reason = out.replace(path, label).splitlines()[-1] if out else 'exit %s' % rc
        raise AttributeRefusal('attributes', 'attributes: this host refuses the flags %s for %s: %s; nothing was '
                               'changed' % (shown, label, reason))


def _spec(flags):
    return '%s%s' % flags


def _give_flags(module, temp, wanted, label, shown):
    """Give the temp file ``temp`` the flags ``wanted`` before the rename: all but ``i``/``a``, which it gets and
    loses again (so they are proven; they are set on the target after the rename)."""
    settable = ''.join(ch for ch in FLAG_LETTERS if ch in wanted and ch not in _NO_RENAME and ch != 'e')
    if settable:
        _chattr(module, temp, '+' + settable, shown, label)
    blocking = ''.join(ch for ch in FLAG_LETTERS if ch in wanted and ch in _NO_RENAME)
    if blocking:
        _chattr(module, temp, '+' + blocking, shown, label)
        _chattr(module, temp, '-ia', shown, label)


def probe_flags(module, path, flags):
    """Set ``flags`` on a scratch file beside the file ``path`` resolves to (removed again): AttributeRefusal
    naming option attributes when this host, filesystem or user refuses them. Nothing else changes."""
    target = resolve(path)
    label = _label(path, target)
    try:
        fd, scratch = _create_temp(os.path.dirname(target), os.path.basename(target))
    except OSError as exc:
        raise StoreError('writing %s failed: %s; nothing was changed' % (label, _reason(exc))) from None
    os.close(fd)
    try:
        _chattr(module, scratch, _spec(flags), _spec(flags), label)
    finally:
        if set(flags[1]) & _NO_RENAME and flags[0] != '-':
            _run(module, ['chattr', '-ia', '--', scratch])
        _unlink_quietly(scratch)


def flags_differ(module, path, flags):
    """Would ``flags`` change the flags of the file ``path`` resolves to? (True when they cannot be read.)"""
    current = current_flags(module, resolve(path))
    return current is None or final_flags(flags, current) != current


def _user_name(uid):
    import pwd
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return 'uid %d' % uid


def _group_name(gid):
    import grp
    try:
        return '%s (gid %d)' % (grp.getgrgid(gid).gr_name, gid)
    except KeyError:
        return 'gid %d' % gid


class AttributeRefusal(StoreError):
    """The file's owner, group or mode cannot be given to (or kept for) the new file; nothing was changed."""

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option


def _owner_refusal(label, st, attributes, which, in_place_possible):
    """The refusal naming ``owner`` or ``group`` (``st``: the file whose owner and group the new file must have)."""
    me = _user_name(os.geteuid())
    if st is None:   # a new file: only an owner or group asked for can be out of reach
        st = os.stat_result((0, 0, 0, 0, os.geteuid(), os.getegid(), 0, 0, 0, 0))
    if which == 'owner':
        if attributes.uid is not None and (st is None or attributes.uid != st.st_uid):
            what = 'cannot give %s the owner %s: only root can' % (label, _user_name(attributes.uid))
        else:
            what = ('%s belongs to %s; this run (as %s) cannot create a file with that owner, so replacing the '
                    'file would change its owner' % (label, _user_name(st.st_uid), me))
    else:
        if attributes.gid is not None and (st is None or attributes.gid != st.st_gid):
            what = 'cannot give %s the group %s: this run (as %s) is not a member' % (
                label, _group_name(attributes.gid), me)
        else:
            what = ('%s has the group %s; this run (as %s) cannot create a file with that group, so replacing the '
                    'file would change its group' % (label, _group_name(st.st_gid), me))
    hint = 'run it as root (become: true)'
    if in_place_possible:
        hint += ', or set unsafe_writes: true to rewrite the file in place (its owner, group, mode and inode stay;' \
                ' not atomic)'
    return AttributeRefusal(which, '%s: %s; %s; nothing was changed' % (which, what, hint))


def _give_owner(fd, uid, gid):
    """fchown in two steps, so that a refusal names the owner or the group. Returns None, 'owner' or 'group'."""
    if uid != -1:
        try:
            os.fchown(fd, uid, -1)
        except PermissionError:
            return 'owner'
    if gid != -1:
        try:
            os.fchown(fd, -1, gid)
        except PermissionError:
            return 'group'
    return None


def _set_context(path, context, option):
    """Give ``path`` the SELinux ``context`` (a list of parts); StoreError naming ``option`` when refused."""
    from ansible.module_utils.compat import selinux
    try:
        rc = selinux.lsetfilecon(path, ':'.join(part for part in context if part is not None))
    except OSError as exc:
        rc = exc
    if rc != 0:
        raise AttributeRefusal(option, '%s: the SELinux context %s is refused by this host%s' % (
            option or 'setype', ':'.join(part for part in context if part is not None),
            ': %s' % _reason(rc) if isinstance(rc, OSError) else ''))


def _merged_context(module, target, exists, attributes):
    current = _selinux_context(module, target, exists)
    if current is None:
        return None, None
    wanted = list(current)
    asked = None
    for index, part in enumerate(attributes.secontext or ()):
        if part is not None and index < len(wanted):
            wanted[index] = part
            asked = asked or SELINUX_OPTIONS[index]
    return wanted, asked


# --------------------------------------------------------------------------- candidates and transactions

class Candidate:
    """A complete new version of one file in a temporary file beside it, with its final attributes, validated;
    ``commit()`` renames it over the target (or, ``in_place``, rewrites the target's content)."""

    def __init__(self, target, label, temp, st, data, in_place=False):
        self.target = target
        self.label = label
        self.temp = temp
        self.st = st
        self.data = data
        self.in_place = in_place

    def discard(self):
        if self.temp is not None:
            _unlink_quietly(self.temp)
            self.temp = None


def _check_directory(label, directory):
    try:
        if not stat.S_ISDIR(os.stat(directory).st_mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise StoreError('writing %s failed: the directory %s does not exist; nothing was changed'
                             % (label, directory)) from None
        raise StoreError('writing %s failed: %s: %s; nothing was changed' % (label, directory, _reason(exc))) \
            from None


def _unsafe(module):
    return bool(module is not None and module.params.get('unsafe_writes'))


def _finish(module, fd, temp, target, label, st, attributes, like=None):
    """Give the open temp file its final mode, owner and SELinux context; fsync; close. Raises StoreError."""
    uid, gid, mode = attributes.final(like if like is not None else st)
    os.fchmod(fd, mode)
    refused = _give_owner(fd, uid, gid)
    if refused is not None:
        in_place = (st is not None and like is None and os.access(target, os.W_OK)
                    and (uid, gid, mode) == (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))
        if not (in_place and _unsafe(module)):
            raise _owner_refusal(label, like if like is not None else st, attributes, refused, in_place)
        return True
    os.fsync(fd)
    context, asked = _merged_context(module, target, st is not None, attributes)
    if context is not None:
        _set_context(temp, context, asked)
    return False


def prepare(module, path, data, attributes=KEEP, validate=None):
    """The Candidate that would replace (or create) the file ``path`` resolves to with the bytes ``data``.

    Nothing visible changes: the temp file gets ``attributes`` (the target's own where no option is given), and
    ``validate`` (``validate_command()``'s list) runs on it. Raises StoreError/ValidateError with the temp file
    removed. When this run cannot keep the target's owner or group, that is a refusal naming ``owner``/``group``
    -- or, with ``unsafe_writes``, a candidate to write in place (the file keeps owner, group, mode and inode).
    """
    target = resolve(path)
    label = _label(path, target)
    directory = os.path.dirname(target)
    _check_directory(label, directory)
    st = regular_stat(target, label)
    try:
        fd, temp = _create_temp(directory, os.path.basename(target))
    except OSError as exc:
        writable = st is not None and exc.errno == errno.EACCES and os.access(target, os.W_OK)
        if writable and _unsafe(module) and not validate and attributes.final(st) == (
                st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)):
            return Candidate(target, label, None, st, data, in_place=True)
        hint = ''
        if writable:
            hint = ('; this run may write the file but not its directory: set unsafe_writes: true to write it in '
                    'place (not atomic; without validate, owner, group or mode changes)')
        raise StoreError('writing %s failed: %s%s; nothing was changed' % (label, _reason(exc), hint)) from None
    candidate = Candidate(target, label, temp, st, data)
    try:
        try:
            # the flags first, on the empty file: some (btrfs's C) can only be set before there is content
            _flags_before_rename(module, temp, target, label, st, attributes)
            _write_all(fd, data)
            candidate.in_place = _finish(module, fd, temp, target, label, st, attributes)
        finally:
            os.close(fd)
        if validate:
            run_validate(module, validate, temp, label)
    except StoreError:
        candidate.discard()
        raise
    except OSError as exc:
        candidate.discard()
        raise StoreError('writing %s failed: %s; nothing was changed' % (label, _reason(exc))) from None
    if candidate.in_place:
        candidate.discard()
    return candidate


def _flags_before_rename(module, temp, target, label, st, attributes):
    """The chattr flags the new file will have, given to the temp file (option ``attributes``, else the target's
    own): see the order above ``check_flags()``."""
    current = current_flags(module, target) if st is not None else set()
    if attributes.flags is None:
        if current and current - {'e'}:
            _give_flags(module, temp, current, label, 'the file has now (%s)' % ''.join(sorted(current)))
        return
    _give_flags(module, temp, final_flags(attributes.flags, current or set()), label, _spec(attributes.flags))


def adopt(module, produced, path, like):
    """A Candidate from a file another program made beside ``path`` (postmap's compiled map of a temp copy),
    given the mode and owner of ``like`` (the stat of the text map). Raises StoreError; ``produced`` is removed."""
    target = resolve(path)
    label = _label(path, target)
    st = regular_stat(target, label)
    candidate = Candidate(target, label, produced, st, None)
    try:
        fd = os.open(produced, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0))
        try:
            _finish(module, fd, produced, target, label, st, KEEP, like=like)   # never in place: like is given
        finally:
            os.close(fd)
    except StoreError:
        candidate.discard()
        raise
    except OSError as exc:
        candidate.discard()
        raise StoreError('writing %s failed: %s; nothing was changed' % (label, _reason(exc))) from None
    return candidate


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


def _save(target):
    """A hard link to ``target``'s current inode (its rollback), or None when there is no file yet."""
    if not os.path.lexists(target):
        return None
    directory, name = os.path.split(target)
    for _attempt in range(100):
        saved = os.path.join(directory, '.%s.%s-%d-%s.old' % (name, TEMP_MARK, os.getpid(), os.urandom(4).hex()))
        try:
            os.link(target, saved)
            return saved
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, 'cannot find a free name to keep the old file')


def _drop_backups(result):
    for key, path in list(result.items()):
        if key.endswith('backup_file'):
            _unlink_quietly(path)


def commit(module, candidates, backups=()):
    """Put every prepared Candidate in place, in order: all or nothing.

    ``backups``: {target: result key} of the files to back up first (their content before this commit). With
    several renames, each target's old inode is kept as a hard link until the last rename succeeded; when one
    fails, every renamed target gets its old inode back (bytes, inode, mtime, owner, mode as they were), a
    target that did not exist goes again, and the backups just made are removed. A target may appear more
    than once (an intermediate version, then the final one). Returns {result key: backup path}.
    """
    result = {}
    pending = [c for c in candidates if c is not None]
    try:
        for candidate in pending:
            key = dict(backups).get(candidate.target)
            if key and key not in result and candidate.st is not None:
                made = write_backup(module, candidate.target, candidate.st, candidate.label)
                if made:
                    result[key] = made
    except StoreError:
        _drop_backups(result)
        for candidate in pending:
            candidate.discard()
        raise
    several = len(pending) > 1
    if several and any(c.in_place for c in pending):
        for candidate in pending:
            candidate.discard()
        raise StoreError('writing %s failed: several files change together and this one can only be rewritten in '
                         'place, which cannot be undone if a later step fails; nothing was changed'
                         % [c for c in pending if c.in_place][0].label)
    saved = {}
    done = []
    current = None
    try:
        for current in pending:
            if several and current.target not in saved:
                saved[current.target] = _save(current.target)
            if current.in_place:
                _write_in_place(current.target, current.data)
            else:
                try:
                    os.rename(current.temp, current.target)
                except OSError as exc:
                    if not (exc.errno in (errno.EBUSY, errno.EXDEV) and _unsafe(module) and not several
                            and current.st is not None):
                        raise
                    _write_in_place(current.target, current.data)   # unsafe_writes: a bind-mounted file
                    current.discard()
                current.temp = None
            done.append(current)
    except OSError as exc:
        for target, old in saved.items():
            if not any(c.target == target for c in done):
                if old is not None:
                    _unlink_quietly(old)
                continue
            try:
                if old is not None:
                    os.rename(old, target)
                else:
                    os.unlink(target)
            except OSError:
                pass
        for candidate in pending:
            candidate.discard()
        _drop_backups(result)
        unsafe = _unsafe(module)
        hint = '; set unsafe_writes: true to write it in place' if exc.errno == errno.EBUSY and not unsafe else ''
        raise StoreError('writing %s failed: %s%s; nothing was changed'
                         % (current.label if current is not None else 'the files', _reason(exc), hint)) from None
    for old in saved.values():
        if old is not None:
            _unlink_quietly(old)
    for directory in sorted(set(os.path.dirname(c.target) for c in pending)):
        _fsync_directory(directory)
    return result


def write_text(module, path, text, backup=False, validate=None, attributes=KEEP):
    """Atomically replace (or create) the file ``path`` resolves to with ``text``.

    Returns ``{'backup_file': ...}`` when a backup was made. Raises StoreError, with the target untouched, for
    anything that is not a regular file, for every OS error, and (option ``owner``/``group``) when the new file
    cannot keep the owner or group it must have. ``validate``: the argument list from ``validate_command()``,
    run on the candidate before the rename (ValidateError when it refuses). ``attributes``: from
    ``requested_attributes()``, given to the candidate before the rename.
    """
    candidate = prepare(module, path, text.encode('utf-8'), attributes=attributes, validate=validate)
    return commit(module, [candidate], backups={candidate.target: 'backup_file'} if backup else {})


def world_readable(path):
    """True when the file ``path`` resolves to exists and every user may read it."""
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def _may_create_with(uid, gid):
    """Would a file this run creates be allowed to get ``uid``/``gid``? (None: yes, else 'owner'/'group')."""
    if os.geteuid() == 0:
        return None
    if uid not in (-1, os.geteuid()):
        return 'owner'
    if gid not in (-1, os.getegid()) and gid not in os.getgroups():
        return 'group'
    return None


def preflight(module, path, attributes=KEEP, rewrite=True):
    """Refuse now, before the SMTP test and any write, what the write would refuse for lack of privileges.

    ``rewrite``: the content changes (a new file replaces the target); else only the attributes may change in
    place. Raises the StoreError ``prepare()``/``apply_attributes()`` would raise (option owner, group or mode).
    The real write checks again (``fchown`` on the temp file); this only predicts it from uid and groups.
    """
    target = resolve(path)
    label = _label(path, target)
    st = regular_stat(target, label)
    uid, gid, mode = attributes.final(st)
    if attributes.flags is not None and not (module is not None and module.check_mode) and (
            rewrite or st is None or flags_differ(module, target, attributes.flags)):
        probe_flags(module, target, attributes.flags)
    if rewrite:
        refused = _may_create_with(uid, gid)
        if refused is None:
            return
        in_place = (st is not None and os.access(target, os.W_OK)
                    and (uid, gid, mode) == (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))
        if not (in_place and _unsafe(module)):
            raise _owner_refusal(label, st, attributes, refused, in_place)
        return
    if st is None or os.geteuid() == 0:
        return
    if uid != st.st_uid:
        raise _owner_refusal(label, st, attributes, 'owner', False)
    if (gid != st.st_gid or mode != stat.S_IMODE(st.st_mode)) and st.st_uid != os.geteuid():
        option = 'group' if gid != st.st_gid else 'mode'
        raise AttributeRefusal(option, '%s: only root or the owner of %s (%s) can change its %s; nothing was '
                               'changed' % (option, label, _user_name(st.st_uid), option))
    if gid != st.st_gid and _may_create_with(-1, gid):
        raise _owner_refusal(label, st, attributes, 'group', False)


def apply_attributes(module, path, attributes, changed):
    """Give the file ``path`` resolves to, whose content stays, the requested owner, group and mode in place;
    then the SELinux parts and ``attributes`` (chattr flags) through Ansible's own code. Returns changed.

    Checked first (``preflight(rewrite=False)``), so a refusal changes nothing. In check mode only says whether
    something would change.
    """
    target = resolve(path)
    st = regular_stat(target, _label(path, target))
    if st is None:
        return changed
    preflight(module, path, attributes, rewrite=False)
    uid, gid, mode = attributes.final(st)
    if (uid, gid, mode) != (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)):
        if not module.check_mode:
            try:
                if (uid, gid) != (st.st_uid, st.st_gid):
                    os.chown(target, uid, gid)   # before chmod: chown clears set-id bits
                os.chmod(target, mode)
            except OSError as exc:
                raise StoreError('setting the owner, group or mode of %s failed: %s'
                                 % (_label(path, target), _reason(exc))) from None
        changed = True
    file_args = module.load_file_common_arguments(module.params, path=target)
    file_args.update(owner=None, group=None, mode=None, attributes=None)
    changed = module.set_fs_attributes_if_different(file_args, changed)
    if attributes.flags is not None and flags_differ(module, target, attributes.flags):
        # last: an immutable file takes no chown/chmod; compared as sets, so a second run is not changed
        if not module.check_mode:
            _chattr(module, target, _spec(attributes.flags), _spec(attributes.flags), _label(path, target))
        changed = True
    return changed


def final_mode(path, attributes=KEEP):
    """The mode the file ``path`` resolves to has after a write with ``attributes`` (None: it does not exist)."""
    st = regular_stat(resolve(path))
    return attributes.final(st)[2] if st is not None else attributes.final_mode(NEW_FILE_MODE)
