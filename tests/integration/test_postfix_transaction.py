# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""app=postfix as one transaction over main.cf, the SASL map and its compiled file (issue 20; docs/security.md).

Through ``ansible-playbook``, with the real ``postconf``/``postmap`` (each case its own Postfix configuration
directory): a ``postmap`` that fails (``myorigin = /missing/mailname``) leaves every file as it was, run after run;
the compiled map gets the text map's mode and owner (a stale 0644 ``.db`` too); a missing or stale compiled map is
found by asking it (``postmap -q``) and compiled again; moving to another relay leaves only its entry; ``lmdb``
works the same; and a rename that fails half way (an immutable main.cf) puts the map and the compiled map back
(bytes, inode, mtime, owner, mode).
"""

import os
import pathlib
import stat
import subprocess

from mta.postfix import MASTER_CF, POSTMAP
from outgoing_helpers import run_hosts

USER = 'relay@example.com'
PASSWORD = 'Tx-relay pass#1'
NEW_PASSWORD = 'Tx-relay pass#2'
MAIN_CF = 'compatibility_level = 3.6\nmyhostname = client.mailops.test\n# local changes below\n'


def state(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    with open(path, 'rb') as handle:
        data = handle.read()
    return (data, st.st_ino, st.st_mtime_ns, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))


def query(config_dir, key, table):
    proc = subprocess.run([POSTMAP, '-c', config_dir, '-q', key, table], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=30, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def make_dir(base, name, extra=''):
    directory = base / name
    directory.mkdir()
    (directory / 'main.cf').write_text(MAIN_CF + extra)
    (directory / 'master.cf').write_text(MASTER_CF)
    return str(directory)


def args(directory, server='relay-a.example.com:587', password='{{ pw1 }}'):
    return dict(app='postfix', path=os.path.join(directory, 'main.cf'), server=server, username=USER,
                password=password, test='none', backup=True)


def test_main_cf_the_map_and_the_compiled_map_change_all_or_nothing(tmp_path):
    base = tmp_path / 'cases'
    base.mkdir()
    dirs = dict(
        mailname_missing=make_dir(base, 'mailname_missing', 'myorigin = /nonexistent-mailops/mailname\n'),
        db_mode=make_dir(base, 'db_mode'),
        db_missing=make_dir(base, 'db_missing'),
        db_stale=make_dir(base, 'db_stale'),
        relay_move=make_dir(base, 'relay_move'),
        lmdb=make_dir(base, 'lmdb', 'default_database_type = lmdb\n'),
        immutable=make_dir(base, 'immutable'),
    )
    untouched = {name: {n: state(os.path.join(dirs['mailname_missing'], n))
                        for n in os.listdir(dirs['mailname_missing'])} for name in ('mailname_missing',)}
    sasl = {name: os.path.join(d, 'sasl_passwd') for name, d in dirs.items()}
    tamper = dict(
        db_mode='chmod 0644 %s.db' % sasl['db_mode'],
        db_missing='rm %s.db' % sasl['db_missing'],
        # the text says the new password, the compiled map still the old one (postmap not run by hand)
        db_stale="sed -i 's/pass#1/pass#2/' %s" % sasl['db_stale'],
    )
    hosts = {name: dict(first=args(d), tamper=tamper.get(name, 'true')) for name, d in dirs.items()}
    run1 = tmp_path / 'run1'
    run1.mkdir()
    setup, output1 = run_hosts(run1, hosts, [
        {'mailops.smtp.outgoing_server': '{{ first }}'},
        {'ansible.builtin.shell': '{{ tamper }}'},
        {'mailops.smtp.outgoing_server': '{{ first }}'},
    ], extra_vars=dict(pw1=PASSWORD, pw2=NEW_PASSWORD))
    assert PASSWORD not in output1 and 'Traceback' not in output1

    # postmap fails (myorigin names a missing file): nothing at all is written, run after run
    for step in (setup['mailname_missing'][0], setup['mailname_missing'][2]):
        assert step['failed'] is True and step['changed'] is False, step
        assert 'postmap hash:%s failed' % sasl['mailname_missing'] in step['msg'], step['msg']
        assert '/nonexistent-mailops/mailname' in step['msg'] and step['msg'].endswith('nothing was changed')
    assert {n: state(os.path.join(dirs['mailname_missing'], n)) for n in os.listdir(dirs['mailname_missing'])} \
        == untouched['mailname_missing']

    for name in ('db_mode', 'db_missing', 'db_stale', 'relay_move', 'lmdb', 'immutable'):
        assert setup[name][0]['changed'] is True, (name, setup[name][0])
    assert setup['db_mode'][2]['changed'] is False
    # a missing or stale compiled map is drift, found by asking it
    assert setup['db_missing'][2]['changed'] is True, setup['db_missing'][2]
    assert setup['db_stale'][2]['changed'] is True, setup['db_stale'][2]
    key = '[relay-a.example.com]:587'
    assert query(dirs['db_missing'], key, 'hash:' + sasl['db_missing']) == '%s:%s' % (USER, PASSWORD)
    assert query(dirs['db_stale'], key, 'hash:' + sasl['db_stale']) == '%s:%s' % (USER, PASSWORD)
    assert query(dirs['lmdb'], key, 'lmdb:' + sasl['lmdb']) == '%s:%s' % (USER, PASSWORD)
    assert stat.S_IMODE(os.stat(sasl['lmdb'] + '.lmdb').st_mode) == 0o600
    assert not os.path.exists(sasl['lmdb'] + '.db')

    subprocess.run(['chattr', '+i', os.path.join(dirs['immutable'], 'main.cf')], check=True, timeout=30)
    try:
        immutable_before = {n: state(os.path.join(dirs['immutable'], n)) for n in os.listdir(dirs['immutable'])}
        hosts = {name: dict(second=args(d, password='{{ pw2 }}')) for name, d in dirs.items()}
        for name in ('relay_move', 'immutable'):
            hosts[name]['second'] = args(dirs[name], server='relay-b.example.com:465', password='{{ pw2 }}')
        run2 = tmp_path / 'run2'
        run2.mkdir()
        results, output2 = run_hosts(run2, hosts, [
            {'mailops.smtp.outgoing_server': '{{ second }}', 'diff': True},
            {'mailops.smtp.outgoing_server': '{{ second }}'},
        ], extra_vars=dict(pw1=PASSWORD, pw2=NEW_PASSWORD))
        immutable_after = {n: state(os.path.join(dirs['immutable'], n)) for n in os.listdir(dirs['immutable'])}
    finally:
        subprocess.run(['chattr', '-i', os.path.join(dirs['immutable'], 'main.cf')], check=False, timeout=30)
    assert PASSWORD not in output2 and NEW_PASSWORD not in output2 and 'Traceback' not in output2

    # the compiled map gets the text map's mode and owner, also when it was world-readable before
    first, again = results['db_mode']
    assert first['changed'] is True and again['changed'] is False, (first, again)
    text_st, db_st = os.stat(sasl['db_mode']), os.stat(sasl['db_mode'] + '.db')
    assert stat.S_IMODE(db_st.st_mode) == stat.S_IMODE(text_st.st_mode) == 0o600
    assert (db_st.st_uid, db_st.st_gid) == (text_st.st_uid, text_st.st_gid)
    assert query(dirs['db_mode'], key, 'hash:' + sasl['db_mode']) == '%s:%s' % (USER, NEW_PASSWORD)
    assert not any('every user on the host can read it' in w for w in first.get('warnings', []))

    # another relay: main.cf names it, the compiled map has its entry only, the old relay's is gone
    first, again = results['relay_move']
    assert first['changed'] is True and again['changed'] is False, (first, again)
    table = 'hash:' + sasl['relay_move']
    assert query(dirs['relay_move'], '[relay-b.example.com]:465', table) == '%s:%s' % (USER, NEW_PASSWORD)
    assert query(dirs['relay_move'], key, table) is None
    with open(sasl['relay_move']) as handle:
        assert 'relay-a' not in handle.read()

    # a rename that fails half way (main.cf immutable): the map and its compiled file get their old inodes back
    first = results['immutable'][0]
    assert first['failed'] is True and 'operation not permitted' in first['msg'] and \
        first['msg'].endswith('nothing was changed'), first
    assert 'backup_file' not in first
    assert immutable_after == immutable_before   # the same names too: no backup, no temp file, no saved link
    assert query(dirs['immutable'], key, 'hash:' + sasl['immutable']) == '%s:%s' % (USER, PASSWORD)

    for name, directory in dirs.items():
        assert not [n for n in os.listdir(directory) if '.mailops' in n], (name, os.listdir(directory))
    assert pathlib.Path(dirs['lmdb'], 'sasl_passwd.lmdb').exists()
