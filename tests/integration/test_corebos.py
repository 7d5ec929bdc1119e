"""app: corebos through real ansible-playbook runs, against a real MariaDB and the SMTP sandbox.

The MariaDB server (tests/mariadb) is a throwaway one started once per session; every test gets a fresh
database holding coreBOS's vtiger_systems (as schema/DatabaseSchema.xml defines it) and vtiger_systems_seq.
What we assert is what coreBOS relies on: the row's columns, its id, the sequence, the rows we must not
touch, and that no password leaks.
"""

import base64
import json
import os
import shutil
import subprocess
import venv

import pytest
import yaml

pytest_plugins = ['mariadb.pytest_plugin']

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = 'crm@example.test'
# Plain text with what HTML cares about: coreBOS reads it the same on every page, so it is stored as it is.
PASSWORD = 'S3cret& pa$$ <"q\'>;'
OTHER_PASSWORD = 'N3w-secret!'


@pytest.fixture
def play(run_playbook, tmp_path):
    """``play(tasks, python=None, verbosity=0)`` runs module tasks in one play through the ``run_playbook``
    helper of conftest.py and returns (results, all output). Every task may fail (ignore_errors), and
    ``results[i]`` is task i's result. ``python`` sets the target's interpreter (play vars win over the
    helper's inventory)."""
    counter = [0]

    def run(tasks, python=None, verbosity=0):
        counter[0] += 1
        play_tasks = []
        for index, task in enumerate(tasks):
            task = dict(task)
            task['name'] = 'step %d' % index
            task['ignore_errors'] = True
            play_tasks.append(task)
        spec = {'hosts': 'localhost', 'gather_facts': False, 'tasks': play_tasks}
        if python:
            spec['vars'] = {'ansible_python_interpreter': python}
        playbook = tmp_path / ('corebos-%d.yml' % counter[0])
        playbook.write_text(yaml.safe_dump([spec]))
        os.chmod(str(playbook), 0o600)
        outcome = run_playbook(str(playbook), verbosity=verbosity, env={'ANSIBLE_PIPELINING': 'true'})
        assert outcome.rc == 0, outcome.all_output()[-6000:]
        results = []
        for index in range(len(tasks)):
            result = dict(outcome.result('step %d' % index))
            result['failed'] = outcome.status('step %d' % index) == 'failed'
            results.append(result)
        return results, outcome.all_output()

    return run


def corebos_task(db, sandbox=None, **options):
    """An outgoing_server task for ``db`` (login_* options) testing against ``sandbox``."""
    args = {'app': 'corebos', 'login_host': db.host, 'login_port': db.port, 'login_user': db.user,
            'login_password': db.password, 'login_db': db.name}
    if sandbox is not None:
        args.update({'server': sandbox.server, 'username': USER, 'password': PASSWORD,
                     'from_email': USER, 'test': 'auth', 'timeout': 5, 'deadline': 10})
    args.update(options)
    module = args.pop('module', 'mailops.smtp.outgoing_server')
    environment = args.pop('environment', sandbox.ca_env if sandbox is not None else None)
    task = {module: args}
    if environment:   # coreBOS has no CA setting: the sandbox CA reaches the test through SSL_CERT_FILE
        task['environment'] = environment
    for keyword in ('check_mode', 'diff'):
        if keyword in args:
            task[keyword] = args.pop(keyword)
    return task


def info_task(db, **options):
    options['module'] = 'mailops.smtp.outgoing_server_info'
    return corebos_task(db, **options)


def leaks(text, *secrets):
    """The secrets (in clear or base64, as AUTH PLAIN/LOGIN would send them) found in ``text``."""
    found = []
    for secret in secrets:
        forms = [secret, base64.b64encode(secret.encode()).decode(),
                 base64.b64encode(('\0%s\0%s' % (USER, secret)).encode()).decode()]
        found.extend(form for form in forms if form in text)
    return found


@pytest.fixture
def starttls_sandbox(smtp_sandbox):
    return smtp_sandbox(security='starttls', users={USER: PASSWORD})


def as_tuple(row):
    return tuple(sorted(row.items()))


# ------------------------------------------------------------------------------------------------ writing

def test_insert_into_an_empty_table_takes_the_id_from_the_sequence(play, corebos_db, starttls_sandbox):
    results, output = play([corebos_task(corebos_db, starttls_sandbox)], verbosity=4)
    result = results[0]
    assert result['changed'] is True, result
    assert corebos_db.email_rows() == [{
        'id': 1, 'server': 'tls://127.0.0.1:%d' % starttls_sandbox.port, 'server_port': 0,
        'server_username': USER, 'server_password': PASSWORD, 'server_type': 'email',
        'smtp_auth': 'tls', 'server_path': '', 'from_email_field': USER}]
    assert corebos_db.seq() == 1
    assert result['settings']['password'] == '********' and result['settings']['password_set'] is True
    assert result['settings']['security'] == 'starttls' and result['settings']['port'] == starttls_sandbox.port
    assert not leaks(output + json.dumps(results), PASSWORD, corebos_db.password)


def test_update_in_place_keeps_the_id_and_the_sequence(play, corebos_db, starttls_sandbox):
    corebos_db.insert(id=7, server='old.example.com', server_port=0, server_username='old',
                      server_password='old-secret-1', server_type='email', smtp_auth='true', server_path='',
                      from_email_field='old@example.com')
    corebos_db.execute('UPDATE vtiger_systems_seq SET id = 7')
    results, _output = play([corebos_task(corebos_db, starttls_sandbox, diff=True)])
    assert results[0]['changed'] is True
    rows = corebos_db.email_rows()
    assert [(row['id'], row['server'], row['smtp_auth'], row['server_username'], row['from_email_field'])
            for row in rows] == [(7, 'tls://127.0.0.1:%d' % starttls_sandbox.port, 'tls', USER, USER)]
    assert corebos_db.seq() == 7
    diff = results[0]['diff']
    assert diff['before']['server'] == 'old.example.com' and diff['before']['server_password'] == '********'
    assert diff['after']['smtp_auth'] == 'tls' and diff['after']['server_password'] == '******** (changed)'


def test_second_run_is_idempotent_and_leaves_the_row_alone(play, corebos_db, starttls_sandbox):
    task = corebos_task(corebos_db, starttls_sandbox)
    results, _output = play([task])
    assert results[0]['changed'] is True
    before = [as_tuple(row) for row in corebos_db.rows()]
    keep = corebos_task(corebos_db, starttls_sandbox, password=OTHER_PASSWORD, update_password='on_create')
    results, _output = play([task, dict(task, check_mode=True), keep])
    # on_create: the stored password is kept, and it is the one the SMTP test logs in with.
    assert [result['changed'] for result in results] == [False, False, False]
    assert not results[2]['failed'], results[2]
    assert [as_tuple(row) for row in corebos_db.rows()] == before
    assert corebos_db.seq() == 1


def test_a_row_written_by_the_ui_is_not_rewritten_when_it_already_says_the_same(play, corebos_db,
                                                                                starttls_sandbox):
    # The UI's spelling: no tls:// prefix (smtp_auth says tls), server_port 0.
    corebos_db.insert(id=1, server='127.0.0.1:%d' % starttls_sandbox.port, server_port=0, server_username=USER,
                      server_password=PASSWORD, server_type='email', smtp_auth='tls',
                      server_path='', from_email_field=USER)
    before = corebos_db.rows()
    results, _output = play([corebos_task(corebos_db, starttls_sandbox)])
    assert results[0]['changed'] is False, results[0]
    assert corebos_db.rows() == before


def test_check_mode_tests_and_predicts_but_writes_nothing(play, corebos_db, starttls_sandbox):
    results, output = play([corebos_task(corebos_db, starttls_sandbox, check_mode=True,
                                         diff=True)])
    result = results[0]
    assert result['changed'] is True and not result.get('failed'), result
    assert corebos_db.rows() == []
    assert corebos_db.seq() == 0
    assert not result['diff']['before'] and result['diff']['after']['server_password'] == '********'
    assert starttls_sandbox.sessions, 'the SMTP test must run in check mode too'
    assert not leaks(output + json.dumps(results), PASSWORD)


def test_a_failing_smtp_test_leaves_the_row_untouched(play, corebos_db, starttls_sandbox):
    corebos_db.insert(id=1, server='tls://127.0.0.1:%d' % starttls_sandbox.port, server_port=0, server_username=USER,
                      server_password='old-secret-1', server_type='email', smtp_auth='tls', server_path='',
                      from_email_field=USER)
    before = corebos_db.rows()
    results, output = play([corebos_task(corebos_db, starttls_sandbox, password=OTHER_PASSWORD)])
    result = results[0]
    assert result.get('failed') is True and result['changed'] is False
    assert result['diagnosis']['category'] == 'auth_failed'
    assert 'nothing was changed' in result['msg'].lower()
    assert corebos_db.rows() == before
    assert not leaks(output + json.dumps(results), OTHER_PASSWORD)


def test_backup_rows_sharing_the_table_and_sequence_are_never_touched(play, corebos_db, starttls_sandbox):
    backups = corebos_db.add_backup_rows()
    results, _output = play([corebos_task(corebos_db, starttls_sandbox),
                             corebos_task(corebos_db, state='absent')])
    assert [result['changed'] for result in results] == [True, True]
    assert corebos_db.rows("server_type <> 'email'") == backups
    assert corebos_db.email_rows() == []
    assert corebos_db.seq() == 3  # GenID gave the email row id 3 after the backup rows' 1 and 2


def test_absent_deletes_the_email_row_only_and_is_idempotent(play, corebos_db):
    backups = corebos_db.add_backup_rows()
    corebos_db.insert(id=3, server='mail.example.com', server_port=0, server_username='u',
                      server_password='stored-secret-1', server_type='email', smtp_auth='true', server_path='',
                      from_email_field='')
    results, _output = play([corebos_task(corebos_db, state='absent', check_mode=True),
                             corebos_task(corebos_db, state='absent', diff=True),
                             corebos_task(corebos_db, state='absent')])
    assert [result['changed'] for result in results] == [True, True, False]
    assert results[1]['diff']['before']['server'] == 'mail.example.com'
    assert not results[1]['diff']['after']
    assert corebos_db.email_rows() == []
    assert corebos_db.rows("server_type <> 'email'") == backups


def test_missing_sequence_table_is_created_as_adodb_does(play, corebos_db_without_seq, starttls_sandbox):
    db = corebos_db_without_seq
    results, _output = play([corebos_task(db, starttls_sandbox)])
    assert results[0]['changed'] is True
    assert [row['id'] for row in db.email_rows()] == [1]
    assert db.seq() == 1


def test_tls_without_auth_and_backup_servers(play, corebos_db, smtp_sandbox):
    main = smtp_sandbox(security='tls')
    backup = smtp_sandbox(security='starttls')
    server = '%s;%s' % (main.server, backup.server)
    results, _output = play([corebos_task(corebos_db, server=server, environment=main.ca_env,
                                          test='tls', timeout=5, deadline=10)])
    assert results[0]['changed'] is True, results[0]
    row = corebos_db.email_rows()[0]
    assert row['server'] == 'ssl://127.0.0.1:%d;tls://127.0.0.1:%d' % (main.port, backup.port)
    assert (row['smtp_auth'], row['server_username'], row['server_password']) == ('false', '', '')


def test_security_none_is_tested_as_phpmailer_sends_it_upgrading_to_starttls_when_offered(
        play, corebos_db, smtp_sandbox):
    # modules/Emails/mail.php leaves PHPMailer's SMTPAutoTLS on: a server without tls:// that offers STARTTLS
    # gets STARTTLS, its certificate checked. A relay whose certificate coreBOS's PHP does not trust fails the
    # test (coreBOS would fail to send), and nothing is written; the same relay with its CA in the trust store the
    # test reads passes, upgraded, the password sent only over TLS.
    untrusted = smtp_sandbox(security='starttls', cert='self_signed', users={USER: PASSWORD})
    relay = smtp_sandbox(security='starttls', users={USER: PASSWORD})
    before = corebos_db.email_rows()
    plain = 'smtp://%s:%d'
    results, _output = play([
        corebos_task(corebos_db, untrusted, server=plain % (untrusted.host, untrusted.port), environment={}),
        corebos_task(corebos_db, relay, server=plain % (relay.host, relay.port)),
    ])
    refused, passed = results
    assert refused['failed'] is True and refused['diagnosis']['category'] == 'tls_certificate_invalid', refused
    assert refused['probe']['auto_starttls'] is True and refused.get('changed') is not True
    assert not untrusted.wait_sessions_closed(1)[0].get('authenticated_as')
    assert passed.get('failed') is not True and passed['changed'] is True, passed.get('msg')
    assert passed['probe']['auto_starttls'] is True
    assert any('upgrades to it by itself' in warning for warning in passed['warnings'])
    session = relay.wait_sessions_closed(1)[0]
    assert session.get('tls') and session['authenticated_as'] == USER
    row = corebos_db.email_rows()[0]
    assert before == [] and (row['server'], row['smtp_auth']) == ('127.0.0.1:%d' % relay.port, 'true')


# ------------------------------------------------------------------------------------------------ refusals

REFUSED = [
    # options changed from a valid task -> the option named, words in the message
    ({'from_name': 'CRM'}, 'from_name', 'corebos'),
    ({'from_email': 'a' * 45 + '@example.test'}, 'from_email', 'at most 50'),
    ({'auth': False, 'username': None, 'password': None, 'validate_certs': False},
     'validate_certs', 'corebos'),
    # coreBOS's tables are utf8 (3 bytes): a 4-byte character would be cut silently by a non-strict server.
    ({'password': 'key\U0001F511'}, 'password', 'SET NAMES utf8'),
]


def test_settings_corebos_cannot_store_fail_clearly_and_change_nothing(play, corebos_db, starttls_sandbox):
    corebos_db.insert(id=1, server='mail.example.com', server_port=0, server_username='u',
                      server_password='stored-secret-1', server_type='email', smtp_auth='true', server_path='',
                      from_email_field='')
    before = corebos_db.rows()
    tasks = []
    for options, _option, _words in REFUSED:
        task = corebos_task(corebos_db, starttls_sandbox)
        args = task['mailops.smtp.outgoing_server']
        for key, value in options.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = value
        tasks.append(task)
    results, _output = play(tasks)
    for result, (_options, option, words) in zip(results, REFUSED):
        assert result.get('failed') is True
        assert words in result['msg'] and result.get('option') == option, result
    assert not starttls_sandbox.sessions, 'bad input must be refused before the SMTP test'
    assert corebos_db.rows() == before


def test_missing_pymysql_is_reported_with_missing_required_lib(play, tmp_path, corebos_db):
    # A real Python without PyMySQL: a bare venv of the interpreter running the tests.
    bare = tmp_path / 'bare-venv'
    venv.create(str(bare), with_pip=False, symlinks=True)
    python = str(bare / 'bin' / 'python')
    probe = subprocess.run([python, '-c', 'import pymysql'], capture_output=True, check=False)
    assert probe.returncode != 0
    results, _output = play([corebos_task(corebos_db, server='smtp://127.0.0.1:25', test='none')],
                            python=python)
    assert results[0].get('failed') is True
    assert 'PyMySQL' in results[0]['msg'] and 'Failed to import the required Python library' in results[0]['msg']
    assert corebos_db.rows() == []


def test_unreachable_database_or_missing_store_options_are_clear_errors(play, corebos_db):
    task = corebos_task(corebos_db, server='smtp://127.0.0.1:25', test='none', login_password='wrong-db-pass')
    no_store = {'mailops.smtp.outgoing_server': {'app': 'corebos', 'server': 'smtp://127.0.0.1:25', 'test': 'none'}}
    no_user = {'mailops.smtp.outgoing_server': {'app': 'corebos', 'server': 'smtp://127.0.0.1:25', 'test': 'none',
                                                'login_db': corebos_db.name}}
    results, output = play([task, no_store, no_user])
    assert [result['failed'] for result in results] == [True, True, True]
    assert 'cannot connect to the database' in results[0]['msg'] and corebos_db.name in results[0]['msg']
    assert 'wrong-db-pass' not in output
    assert results[1]['option'] == 'path' and 'config.inc.php' in results[1]['msg']
    assert results[2]['option'] == 'login_user'
    assert corebos_db.rows() == []


# ------------------------------------------------------------------------------------------------ reading

def test_info_reads_a_row_written_by_the_corebos_ui(play, corebos_db):
    # As Settings > Outgoing Server saves it: no port (port 0), smtp_auth 'true'.
    corebos_db.insert(id=4, server='Mail.Example.com', server_port=0, server_username='crm@example.com',
                      server_password='p&ss <w">', server_type='email', smtp_auth='true', server_path='',
                      from_email_field='crm@example.com')
    desired = {'server': 'smtp://mail.example.com:25', 'username': 'crm@example.com', 'password': 'p&ss <w">',
               'from_email': 'crm@example.com'}
    wrong = {**desired, 'password': 'other', 'server': 'tls://mail.example.com:587'}
    results, output = play([info_task(corebos_db), info_task(corebos_db, **desired),
                            info_task(corebos_db, **wrong)])
    settings = results[0]['settings']
    assert {key: settings[key] for key in ('server', 'host', 'port', 'security', 'validate_certs', 'auth',
                                           'username', 'password', 'password_set', 'from_email', 'from_name')} == {
        'server': 'smtp://mail.example.com:25', 'host': 'mail.example.com', 'port': 25, 'security': 'none',
        'validate_certs': True, 'auth': True, 'username': 'crm@example.com', 'password': '********',
        'password_set': True, 'from_email': 'crm@example.com', 'from_name': None}
    assert results[0]['configured'] is True
    assert results[1]['in_sync'] is True, results[1]['drift']
    assert sorted(item['setting'] for item in results[2]['drift']) == ['password', 'port', 'security']
    assert 'p&ss <w">' not in output


def test_a_password_corebos_reads_differently_from_page_to_page_is_drift(play, corebos_db):
    # HTML-encoded text (as a hand edit or an old release left it): cron mail logs in with "p&amp;ss", an
    # Ajax send with "p&ss". No password the module may write makes that row right: it is drift, always.
    corebos_db.insert(id=4, server='tls://mail.example.com:587', server_port=0, server_username='crm@example.com',
                      server_password='p&amp;ss', server_type='email', smtp_auth='tls', server_path='',
                      from_email_field='crm@example.com')
    desired = {'server': 'tls://mail.example.com:587', 'username': 'crm@example.com', 'password': 'p&ss',
               'from_email': 'crm@example.com'}
    results, output = play([info_task(corebos_db, **desired),
                            corebos_task(corebos_db, test='none', update_password='on_create', **desired)])
    assert results[0]['in_sync'] is False
    assert [item['setting'] for item in results[0]['drift']] == ['password']
    # on_create keeps the stored password byte for byte, even this one
    assert results[1]['changed'] is False and not results[1]['failed'], results[1]
    assert corebos_db.email_rows()[0]['server_password'] == 'p&amp;ss'
    more, more_output = play([corebos_task(corebos_db, test='none', **desired), info_task(corebos_db, **desired)])
    output += more_output
    assert more[0]['changed'] is True, more[0]
    assert corebos_db.email_rows()[0]['server_password'] == 'p&ss'
    assert more[1]['in_sync'] is True, more[1]
    assert 'p&amp;ss' not in output and "'p&ss'" not in output


DECODED = [
    # smtp_auth, server column -> security, port, auth, validate_certs
    ('false', 'tls://mail.example.com:587', ('starttls', 587, False, True)),
    ('tlsnc', 'mail.example.com:587', ('starttls', 587, True, False)),
    ('ssl', 'mail.example.com:465', ('tls', 465, True, True)),
    ('', 'mail.example.com', ('none', 25, True, True)),
]


def test_info_decodes_smtp_auth_and_prefixes(play, mariadb_server):
    databases = [mariadb_server.create_corebos_database() for _case in DECODED]
    try:
        for db, (smtp_auth, server, _expected) in zip(databases, DECODED):
            db.insert(id=1, server=server, server_port=0, server_username='u', server_password='stored-secret-1',
                      server_type='email', smtp_auth=smtp_auth, server_path='', from_email_field='')
        results, _output = play([info_task(db) for db in databases])
    finally:
        for db in databases:
            mariadb_server.drop_database(db.name)
    decoded = [(r['settings']['security'], r['settings']['port'], r['settings']['auth'],
                r['settings']['validate_certs']) for r in results]
    assert decoded == [expected for _smtp_auth, _server, expected in DECODED]


def test_info_on_a_fresh_install_or_an_empty_server_says_nothing_is_configured(play, corebos_db, mariadb_server):
    emptied = mariadb_server.create_corebos_database()
    try:
        # What the page leaves when the admin clears Server Name: mail.php then sends nothing.
        emptied.insert(id=1, server='', server_port=0, server_username='', server_password='', server_type='email',
                       smtp_auth='false', server_path='', from_email_field='')
        results, _output = play([info_task(corebos_db), info_task(emptied)])
    finally:
        mariadb_server.drop_database(emptied.name)
    assert [(result['configured'], result['settings']) for result in results] == [(False, None), (False, None)]


# ------------------------------------------------------------------------------------------------ config.inc.php

def test_corebos_root_with_config_inc_php(play, tmp_path, corebos_db, starttls_sandbox):
    root = corebos_db.write_config_inc(str(tmp_path / 'corebos'), env_overrides=True)
    task = {'mailops.smtp.outgoing_server': {
        'app': 'corebos', 'path': root, 'server': starttls_sandbox.server,
        'username': USER, 'password': PASSWORD, 'from_email': USER, 'test': 'auth', 'timeout': 5, 'deadline': 10},
        'environment': starttls_sandbox.ca_env}
    info = {'mailops.smtp.outgoing_server_info': {'app': 'corebos', 'path': root}}
    results, output = play([task, info, task], verbosity=4)
    assert [result['changed'] for result in results] == [True, False, False], results
    assert corebos_db.email_rows()[0]['server'] == 'tls://127.0.0.1:%d' % starttls_sandbox.port
    assert results[1]['settings']['username'] == USER
    assert any('COREBOS_DBUSER' in warning for warning in results[0].get('warnings', []))
    assert not leaks(output + json.dumps(results), PASSWORD, corebos_db.password)


# ------------------------------------------------------------------------------------------------ PHP agreement

def _php_json(code, payload, tmp_path):
    php = shutil.which('php')
    assert php, 'php-cli is installed by scripts/system-deps.sh'
    source = tmp_path / 'in.json'
    source.write_text(json.dumps(payload))
    proc = subprocess.run([php, '-r', '$in = json_decode(file_get_contents($argv[1]), true);' + code, str(source)],
                          capture_output=True, check=True)
    return json.loads(proc.stdout)


def test_html_entity_decode_and_htmlentities_agree_with_php(tmp_path):
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles.corebos import html_entity_decode, htmlentities
    samples = ['plain', 'a&amp;b', '&lt;&gt;&quot;&#039;', '&#x41;&#66;', '&amp', '&apos;', '&nosuch;', '&AMP;',
               '&eacute;t&eacute;', 'S3cret&amp; pa$$', '&&amp;&amp;amp;', '\u00fc&uuml;', '&#X41;&#x;&#;',
               '&#0065;&#x000041;', '&am&amp;', '&#12&amp;', '&lang;&rang;&thetasym;', "o'brien <x> \"q\"",
               '\u00a0\u20ac\u03c0\u2013\u015d\u200b\u2028']
    # every numeric reference PHP may or may not decode, at the edges of its ranges
    for code in (0, 1, 8, 9, 10, 11, 13, 31, 32, 126, 127, 128, 159, 160, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFDD0,
                 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF, 0x110000, 10 ** 20):
        samples += ['&#%d;' % code, '&#x%X;' % code]
    decoded = _php_json("echo json_encode(array_map(function ($s) { return html_entity_decode($s, ENT_QUOTES, "
                        "'UTF-8'); }, $in));", samples, tmp_path)
    assert decoded == [html_entity_decode(value) for value in samples]
    # htmlentities over every character of the HTML 4.01 table and its neighbours, one string per block
    blocks = [''.join(chr(c) for c in range(start, start + 256)) for start in range(0x20, 0x2700, 256)]
    blocks += samples
    encoded = _php_json("echo json_encode(array_map(function ($s) { return htmlentities($s, ENT_QUOTES, "
                        "'UTF-8'); }, $in));", blocks, tmp_path)
    assert encoded == [htmlentities(value) for value in blocks]


def test_php_reads_back_exactly_the_password_we_wrote_and_a_refused_one_changes_nothing(play, corebos_db):
    """coreBOS's own reading (tests/readers/php/corebos.php): mysqli, query_result/to_html, html_entity_decode."""
    import readers
    password = 'p\u00e4ss&w\u00f6rd <x> & "q\' \u20ac;'
    results, _output = play([corebos_task(corebos_db, server='tls://smtp.example.com:587', username=USER,
                                          password=password, test='none')])
    assert results[0]['changed'] is True, results[0]
    connection = {'host': corebos_db.host, 'port': corebos_db.port, 'user': corebos_db.user,
                  'password': corebos_db.password}
    pages = readers.corebos_many(connection, [corebos_db.name])[0]
    for page in readers.COREBOS_PAGES:
        assert pages[page]['server_password'] == password, page
        assert (pages[page]['server'], pages[page]['smtp_auth']) == ('tls://smtp.example.com:587', 'tls')
    before = corebos_db.rows()
    results, output = play([corebos_task(corebos_db, server='tls://smtp.example.com:587', username=USER,
                                         password='p&lt;ss-Word', test='none'),
                            corebos_task(corebos_db, server='tls://smtp.example.com:587', username="o'brien",
                                         password=password, test='none')])
    assert [result['option'] for result in results] == ['password', 'username'], results
    assert results[0]['msg'].startswith('password: cannot be stored in corebos because it contains an HTML')
    assert 'nothing was changed' in results[0]['msg']
    assert corebos_db.rows() == before
    assert 'p&lt;ss-Word' not in output and 'lt;ss' not in output
