# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading and safely writing the configuration files of file-backed app profiles.

``write_text()`` follows the safe-writer pattern for files holding secrets: the new content goes to a
temporary file created 0600 in the destination's directory, then ``module.atomic_move()`` renames it over
the destination, which keeps the destination's mode, owner and SELinux context. A file that does not exist
yet is first created empty with mode 0600 (``O_EXCL``), so the password is never readable by others, not
even for a moment. The file common arguments (mode, owner, group, ...) are applied afterwards.

``validate`` (the module option, as in ``template`` and ``lineinfile``): a command run on the candidate temp
file, after it is written and before the rename, with ``%s`` replaced by its path. When it fails, the temp file
(and a new file's placeholder) is removed, no backup is made, and the target keeps its bytes, inode and mtime.
"""

from __future__ import annotations

__metaclass__ = type

import os
import shlex
import tempfile

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError

NEW_FILE_MODE = 0o600


def read_text(path):
    """The file's text (UTF-8, newlines untouched), or None when it does not exist."""
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        raise StoreError('%s is a directory, not a configuration file' % path)
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise StoreError('cannot read %s: %s' % (path, exc.strerror or exc)) from None
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


def run_validate(module, argv, candidate, path):
    """Run the ``validate`` command on ``candidate`` (the temp file that would replace ``path``)."""
    args = [arg.replace('%s', candidate) for arg in argv]
    try:
        rc, out, err = module.run_command(args, expand_user_and_vars=False, handle_exceptions=False)
    except (IOError, OSError) as exc:
        raise ValidateError('validate: cannot run %s: %s; nothing was changed'
                            % (argv[0], exc.strerror or exc)) from None
    if rc != 0:
        output = _output_tail('\n'.join(part for part in (out, err) if part))
        raise ValidateError('validate: %s rejected the new content of %s (exit %d)%s; nothing was changed'
                            % (argv[0], path, rc, ': %s' % output if output else ''))


def write_text(module, path, text, backup=False, validate=None):
    """Atomically replace ``path`` with ``text``; return ``{'backup_file': ...}`` when a backup was made.

    ``validate``: the argument list from ``validate_command()``; it checks the candidate before the rename.
    """
    result = {}
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise StoreError('cannot create %s: the directory %s does not exist' % (path, directory))
    creating = not os.path.exists(path)
    placeholder = False
    if creating:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
            os.close(fd)
            placeholder = True
        except OSError as exc:
            raise StoreError('cannot create %s: %s' % (path, exc.strerror or exc)) from None
    tmp_path = None
    try:
        fd, tmp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
        module.add_cleanup_file(tmp_path)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(text.encode('utf-8'))
            handle.flush()
            os.fsync(handle.fileno())
        if validate:
            run_validate(module, validate, tmp_path, path)
        if not creating and backup:
            result['backup_file'] = module.backup_local(path)
        module.atomic_move(tmp_path, path, unsafe_writes=module.params.get('unsafe_writes', False))
        placeholder = False
        tmp_path = None
    except (IOError, OSError) as exc:
        raise StoreError('cannot write %s: %s' % (path, exc.strerror or exc)) from None
    finally:
        if tmp_path is not None:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass
        if placeholder:
            try:
                os.unlink(path)
            except OSError:
                pass
    return result


def apply_file_attributes(module, path, changed, diff=None):
    """Apply mode/owner/group/seuser... from the module's file common arguments; return the new changed."""
    if not os.path.exists(path) and not module.check_mode:
        return changed
    file_args = module.load_file_common_arguments(module.params, path=path)
    if not os.path.exists(path):
        return changed
    return module.set_fs_attributes_if_different(file_args, changed, diff=diff)
