# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""owner, group, mode: checked before anything is written, given to the new file before the rename, and never
silently changed -- also when the run is not root (issue 20; docs/security.md "Files").

Through ``ansible-playbook`` only. The non-root cases run the module as a user this test creates (``useradd``,
removed at the end) through ``become_method: su`` and the system Python (a target's interpreter). Every
refusal is checked on the file itself: bytes, inode, mtime, owner, group and mode exactly as before, and nothing
left beside it.
"""

import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid

import pytest

import readers
from outgoing_helpers import run_hosts

PASSWORD = 'Attr-Secret-42!'
GRAFANA = '[server]\nhttp_port = 3000\n\n[smtp]\nenabled = false\n'
SYSTEM_PYTHON = '/usr/bin/python3'


def state(path):
    st = os.lstat(path)
    with open(path, 'rb') as handle:
        data = handle.read()
    return dict(data=data, inode=st.st_ino, mtime=st.st_mtime_ns, uid=st.st_uid, gid=st.st_gid,
                mode=stat.S_IMODE(st.st_mode))


def beside(path):
    return sorted(os.listdir(os.path.dirname(path)))


@pytest.fixture(scope='module')
def account():
    """A user and a group of its own (plus a group it is a member of), removed at the end."""
    tag = uuid.uuid4().hex[:6]
    user, member_of, other = 'mofs-%s' % tag, 'mofsg-%s' % tag, 'mofso-%s' % tag
    subprocess.run(['groupadd', member_of], check=True, timeout=60)
    subprocess.run(['groupadd', other], check=True, timeout=60)
    try:
        subprocess.run(['useradd', '-M', '-s', '/bin/sh', '-G', member_of, user], check=True, timeout=60)
        try:
            yield dict(user=user, uid=pwd.getpwnam(user).pw_uid, gid=pwd.getpwnam(user).pw_gid,
                       group=member_of, group_id=grp.getgrnam(member_of).gr_gid, other=other,
                       other_id=grp.getgrnam(other).gr_gid)
        finally:
            subprocess.run(['userdel', user], check=False, timeout=60)
    finally:
        subprocess.run(['groupdel', member_of], check=False, timeout=60)
        subprocess.run(['groupdel', other], check=False, timeout=60)
        subprocess.run(['groupdel', user], check=False, timeout=60, stderr=subprocess.DEVNULL)


@pytest.fixture
def public(tmp_path):
    """A directory every user can enter (pytest's tmp_path is root's only)."""
    path = tempfile.mkdtemp(prefix='mailops-attrs-')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def make(directory, name, owner, mode, dir_owner=None, dir_mode=0o755, text=GRAFANA):
    sub = os.path.join(directory, name)
    os.mkdir(sub)
    path = os.path.join(sub, 'grafana.ini')
    with open(path, 'w') as handle:
        handle.write(text)
    os.chown(path, owner[0], owner[1])
    os.chmod(path, mode)
    if dir_owner is not None:
        os.chown(sub, dir_owner[0], dir_owner[1])
    os.chmod(sub, dir_mode)
    return path


def args(path, **extra):
    base = dict(app='grafana', path=path, server='smtp.example.com:587', username='crm@example.com',
                password='{{ smtp_password }}', test='none')
    base.update(extra)
    return base


def as_user(user):
    return dict(run_as=user)


# The module tasks run as the host's ``run_as`` user (su from root) with the system Python, the rest as root.
AS_USER = {'become': '{{ run_as is defined }}', 'become_method': 'su', 'become_user': "{{ run_as | default('root') }}",
           'vars': {'ansible_python_interpreter': "{{ '%s' if run_as is defined else ansible_playbook_python }}"
                    % SYSTEM_PYTHON}}


def test_file_attributes_are_checked_first_and_kept_or_refused_through_ansible_playbook(public, account):
    root = (0, 0)
    me = (account['uid'], account['gid'])
    cases = {}

    def case(name, path, module_args, host=None, second=None):
        cases[name] = dict(path=path, args=module_args, host=host or {}, second=second or module_args)

    # bad input, as root: refused before any I/O, naming the option
    for name, extra in (('no_user', dict(owner='nosuchuser-mailops')), ('no_group', dict(group='nosuchgroup-mailops')),
                        ('bad_symbolic', dict(mode='u+q')), ('bad_octal', dict(mode='12345')),
                        ('not_octal', dict(mode='0989'))):
        path = make(public, name, root, 0o640)
        case(name, path, args(path, backup=True, **extra))
    # valid attributes, as root: the new file has them, a second run changes nothing
    path = make(public, 'valid', root, 0o644)
    case('valid', path, args(path, owner=account['user'], group=account['group'], mode='u=rw,g=r,o='))
    # only the mode changes (the content is already right): changed, in place, content and inode kept
    path = make(public, 'mode_only', root, 0o640)
    case('mode_only', path, args(path), second=args(path, mode='0600'))
    # not root: a root:<group> 0660 file in a directory the group may write -> refused, then in place
    path = make(public, 'group_file', (0, account['group_id']), 0o660, dir_owner=(0, account['group_id']),
                dir_mode=0o770)
    case('group_file', path, args(path, backup=True), host=as_user(account['user']))
    path = make(public, 'group_file_in_place', (0, account['group_id']), 0o660,
                dir_owner=(0, account['group_id']), dir_mode=0o770)
    case('group_file_in_place', path, args(path, unsafe_writes=True), host=as_user(account['user']))
    # not root: a read-only root:root 0644 file in a directory the user owns -> refused (never replaced)
    path = make(public, 'readonly_root', root, 0o644, dir_owner=me, dir_mode=0o755)
    case('readonly_root', path, args(path, unsafe_writes=True), host=as_user(account['user']))
    # not root: a root:<group> 0660 file in root's 0755 directory: refused with the unsafe_writes hint, then in place
    path = make(public, 'closed_dir', (0, account['group_id']), 0o660)
    case('closed_dir', path, args(path), host=as_user(account['user']))
    path = make(public, 'closed_dir_in_place', (0, account['group_id']), 0o660)
    case('closed_dir_in_place', path, args(path, unsafe_writes=True), host=as_user(account['user']))
    # not root, own file: group of one's own groups works; owner root and a group one is not in are refused
    path = make(public, 'own', me, 0o640, dir_owner=me)
    case('own', path, args(path, group=account['group']), host=as_user(account['user']))
    for name, extra in (('own_to_root', dict(owner='root')), ('own_to_other_group', dict(group=account['other']))):
        path = make(public, name, me, 0o640, dir_owner=me)
        case(name, path, args(path, **extra), host=as_user(account['user']))

    # not root: a root:root 0600 file the user cannot even read (EACCES) -> refused naming the file, untouched
    path = make(public, 'unreadable', root, 0o600, text=GRAFANA + 'password = Unreadable-Old-7\n')
    case('unreadable', path, args(path), host=as_user(account['user']))

    before = {name: state(c['path']) for name, c in cases.items()}
    listing = {name: beside(c['path']) for name, c in cases.items()}
    hosts = {}
    for name, c in cases.items():
        hosts[name] = dict(c['host'], args=c['args'], second=c['second'])
    work = os.path.join(public, 'run')
    os.mkdir(work)
    import pathlib
    results, output = run_hosts(pathlib.Path(work), hosts, [
        dict(AS_USER, **{'mailops.smtp.outgoing_server': '{{ args }}', 'diff': True}),
        dict(AS_USER, **{'mailops.smtp.outgoing_server': '{{ second }}'}),
    ], extra_vars={'smtp_password': PASSWORD})
    assert 'Traceback' not in output and PASSWORD not in output and 'Unreadable-Old-7' not in output

    def refused(name, option, words):
        first = results[name][0]
        assert first.get('failed') is True and first.get('changed') is False, (name, first)
        assert first.get('option') == option, (name, first)
        assert words in first['msg'] and first['msg'].endswith('nothing was changed'), (name, first['msg'])
        assert state(cases[name]['path']) == before[name], name
        assert beside(cases[name]['path']) == listing[name], name

    refused('no_user', 'owner', "owner: there is no user named 'nosuchuser-mailops' on this host")
    refused('no_group', 'group', "group: there is no group named 'nosuchgroup-mailops' on this host")
    refused('bad_symbolic', 'mode', "mode: 'u+q' is neither an octal mode")
    refused('bad_octal', 'mode', "mode: '12345' is out of range")
    refused('not_octal', 'mode', "mode: '0989' is neither an octal mode")

    first, second = results['valid']
    assert first['changed'] is True and second['changed'] is False, (first, second)
    after = state(cases['valid']['path'])
    assert (after['uid'], after['gid'], after['mode']) == (account['uid'], account['group_id'], 0o640)
    assert readers.grafana(after['data'].decode())['smtp']['password'] == PASSWORD
    assert not any('every user on the host can read it' in w for w in first.get('warnings', []))

    first, second = results['mode_only']
    assert first['changed'] is True and second['changed'] is True, (first, second)   # content, then mode only
    after = state(cases['mode_only']['path'])
    assert after['mode'] == 0o600 and after['uid'] == 0

    # root:<group> 0660, group-writable directory: replacing would make it <user>:<user>; refused, untouched
    refused('group_file', 'owner', 'belongs to root (uid 0); this run (as %s (uid %d)) cannot create a file with '
            'that owner' % (account['user'], account['uid']))
    assert 'set unsafe_writes: true to rewrite the file in place' in results['group_file'][0]['msg']
    # ... and with unsafe_writes: written in place, owner, group, mode and inode kept; the second run is green
    first, second = results['group_file_in_place']
    assert first.get('failed') is not True and first['changed'] is True, first
    assert second.get('failed') is not True and second['changed'] is False, second
    after, old = state(cases['group_file_in_place']['path']), before['group_file_in_place']
    assert (after['inode'], after['uid'], after['gid'], after['mode']) == \
        (old['inode'], 0, account['group_id'], 0o660)
    assert readers.grafana(after['data'].decode())['smtp']['password'] == PASSWORD
    assert beside(cases['group_file_in_place']['path']) == listing['group_file_in_place']

    refused('readonly_root', 'owner', 'belongs to root (uid 0); this run (as %s' % account['user'])
    assert 'unsafe_writes' not in results['readonly_root'][0]['msg']   # not writable: no in-place way either

    refused('closed_dir', 'owner', 'set unsafe_writes: true to rewrite the file in place')
    first, second = results['closed_dir_in_place']
    assert first.get('failed') is not True and first['changed'] is True, first
    assert second.get('failed') is not True and second['changed'] is False, second
    old, after = before['closed_dir_in_place'], state(cases['closed_dir_in_place']['path'])
    assert (after['inode'], after['uid'], after['gid'], after['mode']) == \
        (old['inode'], 0, account['group_id'], 0o660)
    assert readers.grafana(after['data'].decode())['smtp']['host'] == 'smtp.example.com:587'

    first, second = results['own']
    assert first.get('failed') is not True and first['changed'] is True and second['changed'] is False, first
    after = state(cases['own']['path'])
    assert (after['uid'], after['gid'], after['mode']) == (account['uid'], account['group_id'], 0o640)

    for result in results['unreadable']:   # both runs: the module cannot read the file, and says so
        assert result.get('failed') is True and result.get('changed') is False, result
        assert 'reading %s failed: permission denied' % cases['unreadable']['path'] in result['msg'], result['msg']
        assert result['msg'].endswith('nothing was changed'), result['msg']
    assert state(cases['unreadable']['path']) == before['unreadable']
    assert beside(cases['unreadable']['path']) == listing['unreadable']

    refused('own_to_root', 'owner',
            'cannot give %s the owner root (uid 0): only root can' % cases['own_to_root']['path'])
    refused('own_to_other_group', 'group', 'cannot give %s the group %s (gid %d): this run (as %s' % (
        cases['own_to_other_group']['path'], account['other'], account['other_id'], account['user']))


def flags(path):
    out = subprocess.run(['lsattr', '-d', path], stdout=subprocess.PIPE, check=True, timeout=30,
                         universal_newlines=True).stdout
    return set(out.split()[0].replace('-', '')) - {'e'}


def chattr(spec, path):
    subprocess.run(['chattr', spec, path], check=True, timeout=30)


def test_chattr_flags_are_checked_before_any_write_and_kept_through_ansible_playbook(public, account):
    """``attributes``: a flag chattr does not know, one this filesystem refuses (``C``: no copy-on-write on ext4)
    and ``i`` for a user without CAP_LINUX_IMMUTABLE are refused before the SMTP test and any write, also when only
    the flags (and the mode) would change in place; valid ones are on the new file (``i`` after the rename) and a
    second run is not changed; a replaced file keeps the flags it had (``d``, ``A``) and ``+`` adds to them."""
    me = (account['uid'], account['gid'])
    cases = {}

    def case(name, path, first, second=None, host=None, before_flags=''):
        if before_flags:
            chattr('+' + before_flags, path)
        cases[name] = dict(path=path, args=first, second=second or first, host=host or {})

    path = make(public, 'flag_unknown', (0, 0), 0o640)
    case('flag_unknown', path, args(path, attributes='+Q', backup=True))
    path = make(public, 'flag_refused', (0, 0), 0o640)
    case('flag_refused', path, args(path, attributes='+C', mode='0600', backup=True))
    path = make(public, 'flag_refused_in_place', (0, 0), 0o640)   # the content is right after the first task
    case('flag_refused_in_place', path, args(path), second=args(path, attributes='+C', mode='0600'))
    path = make(public, 'flag_immutable', (0, 0), 0o640)
    case('flag_immutable', path, args(path, attributes='+i'))
    path = make(public, 'flag_equal', (0, 0), 0o640)
    case('flag_equal', path, args(path, attributes='=dA'), before_flags='s')
    path = make(public, 'flag_kept', (0, 0), 0o640)
    case('flag_kept', path, args(path), before_flags='dA')
    path = make(public, 'flag_added', (0, 0), 0o640)
    case('flag_added', path, args(path, attributes='+A'), before_flags='d')
    path = make(public, 'flag_user_immutable', me, 0o640, dir_owner=me)
    case('flag_user_immutable', path, args(path, attributes='+i'), host=as_user(account['user']))

    before = {name: state(c['path']) for name, c in cases.items()}
    before_flags = {name: flags(c['path']) for name, c in cases.items()}
    listing = {name: beside(c['path']) for name, c in cases.items()}
    hosts = {name: dict(c['host'], args=c['args'], second=c['second']) for name, c in cases.items()}
    work = os.path.join(public, 'run')
    os.mkdir(work)
    import pathlib
    try:
        results, output = run_hosts(pathlib.Path(work), hosts, [
            dict(AS_USER, **{'mailops.smtp.outgoing_server': '{{ args }}', 'diff': True}),
            dict(AS_USER, **{'mailops.smtp.outgoing_server': '{{ second }}'}),
        ], extra_vars={'smtp_password': PASSWORD})
        after_flags = {name: flags(c['path']) for name, c in cases.items()}
        after = {name: state(c['path']) for name, c in cases.items()}
    finally:
        for c in cases.values():
            subprocess.run(['chattr', '-ia', c['path']], check=False, timeout=30)
    assert 'Traceback' not in output and PASSWORD not in output

    def refused(result, name, words, old=None):
        assert result.get('failed') is True and result.get('changed') is False, (name, result)
        assert result.get('option') == 'attributes', (name, result)
        assert words in result['msg'] and result['msg'].endswith('nothing was changed'), (name, result['msg'])
        assert 'smtp_code' not in result and 'probe' not in result, (name, result)   # refused before the test
        old = old or before[name]
        assert after[name] == old and after_flags[name] == before_flags[name], name
        assert beside(cases[name]['path']) == listing[name], name

    for name in ('flag_unknown', 'flag_refused', 'flag_user_immutable'):
        assert results[name][1].get('failed') is True, name   # the second run is refused alike
    refused(results['flag_unknown'][0], 'flag_unknown', "attributes: '+Q' is not a set of chattr flags: unknown 'Q'")
    refused(results['flag_refused'][0], 'flag_refused',
            'attributes: this host refuses the flags +C for %s: ' % cases['flag_refused']['path'])
    assert 'not supported' in results['flag_refused'][0]['msg']
    refused(results['flag_user_immutable'][0], 'flag_user_immutable', 'this host refuses the flags +i for')
    assert 'not permitted' in results['flag_user_immutable'][0]['msg']

    first, second = results['flag_refused_in_place']
    assert first['changed'] is True and first.get('failed') is not True, first
    written = state(cases['flag_refused_in_place']['path'])
    refused(second, 'flag_refused_in_place', 'this host refuses the flags +C for', old=written)
    assert written['mode'] == 0o640   # the mode asked with the refused flag was not applied either

    first, second = results['flag_immutable']
    assert first['changed'] is True and second['changed'] is False and second.get('failed') is not True, second
    assert after_flags['flag_immutable'] == {'i'}
    assert after['flag_immutable']['inode'] != before['flag_immutable']['inode']   # replaced, then made immutable
    assert readers.grafana(after['flag_immutable']['data'].decode())['smtp']['password'] == PASSWORD
    for name, expected in (('flag_equal', {'d', 'A'}), ('flag_kept', {'d', 'A'}), ('flag_added', {'d', 'A'})):
        first, second = results[name]
        assert first['changed'] is True and first.get('failed') is not True, (name, first)
        assert second['changed'] is False, (name, second)
        assert after[name]['inode'] != before[name]['inode'], name   # a new file, with the flags
        assert after_flags[name] == expected, (name, after_flags[name])
        assert readers.grafana(after[name]['data'].decode())['smtp']['password'] == PASSWORD
        assert beside(cases[name]['path']) == listing[name], name
