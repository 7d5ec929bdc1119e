# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a new user meets in the first hour, through real ansible-playbook runs:

- a password-only change is a visible change: ``--check --diff`` shows ``******** (changed)`` on the after side
  (both sides are masked, so the diff used to be empty while the task said ``changed``), for every file profile;
- the role shows the module's masked diff under ``--check --diff`` (its module task was ``no_log``), and the
  password appears nowhere in the ``-vvvv`` output, in clear text or base64;
- an audit predicts what apply will say: a missing file without ``create`` is an error in both (the module pair
  and the role's report), and a malformed file is an error in the audit report too, not "compliant";
- ``validate`` runs a real validator (``php -l``, ``amtool check-config``) on the candidate before the rename; a
  refusal fails naming the option, with the validator's reason, and changes nothing (bytes, inode, mtime, no
  backup, no temp file); bad ``validate`` input is refused before anything is read.
"""

import base64
import json
import os
import shutil
import subprocess

import pytest
import yaml

from outgoing_helpers import file_state, fixture_copy, parse_php, run_hosts, run_tasks
from test_outgoing_profiles import CASES

OLD_PASSWORD = 'Old-Pass;#1'
NEW_PASSWORD = 'New-Pass;#2'
USER = 'mailer@example.com'
CHANGED_MASK = '******** (changed)'


def _forms(*secrets):
    forms = []
    for secret in secrets:
        forms += [secret, base64.b64encode(secret.encode()).decode(),
                  base64.b64encode(('\0%s\0%s' % (USER, secret)).encode()).decode()]
    return forms


def _assert_no_secret(text, *secrets):
    for form in _forms(*secrets):
        assert form not in text, 'a password (or its base64 form) leaked'


# ---------------------------------------------------------------------------------------------- password diff

def test_a_password_only_change_shows_in_the_diff_for_every_file_profile(tmp_path):
    hosts = {}
    for name, case in CASES.items():
        (tmp_path / name).mkdir()  # each file under its own name (Postfix reads only a file named main.cf)
        path = str(tmp_path / name / os.path.basename(case['fixture']))
        shutil.copyfile(fixture_copy(tmp_path / name, case['app'], case['fixture']), path)
        args = dict(case['params'], app=case['app'], path=path, server='smtp.example.com:587', username=USER,
                    test='none')
        hosts[name] = dict(case_path=path, old=dict(args, password=OLD_PASSWORD),
                           new=dict(args, password=NEW_PASSWORD))
    results, output = run_hosts(tmp_path, hosts, [
        {'mailops.smtp.outgoing_server': '{{ old }}'},
        {'file_state': True},
        {'mailops.smtp.outgoing_server': '{{ new }}', 'check_mode': True, 'diff': True},
        {'mailops.smtp.outgoing_server': '{{ old }}', 'check_mode': True, 'diff': True},
        {'file_state': True},
    ], verbosity=4)
    for name, (write, before, check, same, after) in results.items():
        assert not write.get('failed'), (name, write.get('msg'))
        assert check['changed'] is True, name
        diff = check['diff']
        assert CHANGED_MASK in diff['after'], (name, diff['after'])
        assert '********' in diff['before'] and CHANGED_MASK not in diff['before'], name
        assert diff['before'] != diff['after'], name
        assert same['changed'] is False and CHANGED_MASK not in same['diff']['after'], name
        assert before == after, '%s: check mode changed the file' % name
    _assert_no_secret(output, OLD_PASSWORD, NEW_PASSWORD)


# ---------------------------------------------------------------------------------------------- validate

ALERTMANAGER = """global:
  resolve_timeout: 5m
route:
  receiver: ops
receivers:
  - name: ops
"""
# Alertmanager reads host:port in smtp_smarthost; a generic mapping that writes the server URL there is the
# kind of mistake a validator catches before the service refuses to start.
ALERTMANAGER_ARGS = dict(app='generic', format='yaml', keys={'server': 'global.smtp_smarthost',
                                                             'username': 'global.smtp_auth_username',
                                                             'password': 'global.smtp_auth_password',
                                                             'from_email': 'global.smtp_from'},
                         server='tls://smtp.example.com:587', username=USER, password=NEW_PASSWORD,
                         from_email=USER, test='none')


def _dir_listing(path):
    """The config file's neighbours that a write could leave: backups and temp files (named after it).

    There is no lock file: the advisory lock is on the directory (plugins/module_utils/_files.py, StoreLock).
    """
    name = os.path.basename(path)
    return sorted(n for n in os.listdir(os.path.dirname(path)) if name in n)


def test_validate_accepts_a_candidate_php_reads(tmp_path):
    path = fixture_copy(tmp_path, 'nextcloud', 'config.php', prefix='valid')
    args = dict(app='nextcloud', path=path, server='ssl://smtp.example.com:465', username=USER,
                password=NEW_PASSWORD, from_email=USER, test='none', validate='php -l %s', backup=True)
    results, output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': args},
                                           {'mailops.smtp.outgoing_server': args}])
    first, second = results
    assert first['changed'] is True and not first.get('failed'), first.get('msg')
    assert second['changed'] is False
    config = parse_php(path)
    assert config['mail_smtphost'] == 'smtp.example.com' and config['mail_smtppassword'] == NEW_PASSWORD
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith('.tmp')]


def test_validate_refusal_fails_naming_the_option_and_changes_nothing(tmp_path):
    config = tmp_path / 'am' / 'alertmanager.yml'
    config.parent.mkdir()
    config.write_text(ALERTMANAGER)
    os.chmod(str(config), 0o640)
    path = str(config)
    assert subprocess.run(['amtool', 'check-config', path], stdout=subprocess.PIPE, check=False).returncode == 0
    before, listing = file_state(path), _dir_listing(path)
    results, output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        ALERTMANAGER_ARGS, path=path, backup=True, validate='amtool check-config %s')}])
    result = results[0]
    assert result['failed'] is True and result['changed'] is False
    assert result['option'] == 'validate'
    assert 'validate: amtool rejected the new content of %s (exit 1)' % path in result['msg']
    assert 'too many colons in address' in result['msg']
    assert 'nothing was changed' in result['msg']
    assert file_state(path) == before
    assert _dir_listing(path) == listing  # no backup, no temp file
    _assert_no_secret(output, NEW_PASSWORD)


def test_validate_refusal_on_create_leaves_no_file(tmp_path):
    path = str(tmp_path / 'new' / 'alertmanager.yml')
    os.makedirs(os.path.dirname(path))
    results, _output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        ALERTMANAGER_ARGS, path=path, create=True, validate='amtool check-config %s')}])
    assert results[0]['failed'] is True and results[0]['option'] == 'validate'
    assert not os.path.exists(path) and _dir_listing(path) == []


@pytest.mark.parametrize('validate,words', [
    ('php -l', 'the command must contain %s'),
    ('', 'the command is empty'),
    ('php -l "%s', 'cannot split the command'),
])
def test_bad_validate_is_refused_before_anything_is_read(tmp_path, validate, words):
    path = fixture_copy(tmp_path, 'nextcloud', 'config.php', prefix='bad')
    before = file_state(path)
    results, _output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        app='nextcloud', path=path, server='smtp.example.com:587', username=USER, password=NEW_PASSWORD,
        test='none', validate=validate)}])
    assert results[0]['failed'] is True and results[0]['option'] == 'validate'
    assert words in results[0]['msg']
    assert file_state(path) == before


def test_a_validator_that_cannot_run_changes_nothing(tmp_path):
    path = fixture_copy(tmp_path, 'nextcloud', 'config.php', prefix='norun')
    before, listing = file_state(path), _dir_listing(path)
    results, _output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        app='nextcloud', path=path, server='smtp.example.com:587', username=USER, password=NEW_PASSWORD,
        test='none', validate='/nonexistent/validator %s')}])
    assert results[0]['failed'] is True and results[0]['option'] == 'validate'
    assert 'validate: cannot run /nonexistent/validator' in results[0]['msg']
    assert file_state(path) == before and _dir_listing(path) == listing


def test_validate_is_refused_for_a_profile_that_writes_several_files(tmp_path):
    os.makedirs(str(tmp_path / 'postfix'))
    path = str(tmp_path / 'postfix' / 'main.cf')
    shutil.copyfile(fixture_copy(tmp_path / 'postfix', 'postfix', 'main.cf'), path)
    before = file_state(path)
    results, _output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        app='postfix', path=path, server='smtp.example.com:587', username=USER, password=NEW_PASSWORD,
        test='none', validate='postfix -c %s check')}])
    assert results[0]['failed'] is True and results[0]['option'] == 'validate'
    assert 'postfix writes more than one file' in results[0]['msg']
    assert file_state(path) == before


def test_validate_is_refused_for_a_database_profile(tmp_path):
    results, _output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': dict(
        app='corebos', path=str(tmp_path / 'corebos'), server='smtp.example.com:587', test='none',
        validate='php -l %s')}])
    assert results[0]['failed'] is True and results[0]['option'] == 'validate'
    assert 'corebos' in results[0]['msg']


# ---------------------------------------------------------------------------------------------- audit = apply

def test_info_predicts_that_apply_fails_on_a_missing_file(tmp_path):
    path = str(tmp_path / 'missing' / 'grafana.ini')
    os.makedirs(os.path.dirname(path))
    args = dict(app='grafana', path=path, server='smtp.example.com:587', username=USER, password=NEW_PASSWORD)
    results, _output = run_tasks(tmp_path, [
        {'mailops.smtp.outgoing_server': dict(args, test='none')},
        {'mailops.smtp.outgoing_server_info': args},
        {'mailops.smtp.outgoing_server_info': dict(args, create=True)},
        {'mailops.smtp.outgoing_server_info': dict(app='grafana', path=path)},
    ])
    apply, audit, audit_create, read_only = results
    reason = '%s does not exist (use create: true to create it)' % path
    assert apply['failed'] is True and reason in apply['msg']
    assert audit['failed'] is True and reason in audit['msg'] and audit['exists'] is False
    assert not audit_create.get('failed') and audit_create['exists'] is False
    assert {'host', 'port', 'password'} <= set(d['setting'] for d in audit_create['drift'])
    assert not read_only.get('failed') and read_only['exists'] is False
    assert not os.path.exists(path)


ROLE_PLAY = """
- name: The outgoing_server role, one host
  hosts: all
  gather_facts: false
  environment:   # Grafana and Mattermost have no CA setting: the relay's private CA is in the trust store
    SSL_CERT_FILE: "{{ relay_ca }}"
  vars:
    outgoing_server_app: grafana
    outgoing_server_server: "{{ relay_server }}"
    outgoing_server_username: mailer@example.com
    outgoing_server_password: "{{ relay_password }}"
    outgoing_server_from_email: mailer@example.com
    outgoing_server_test: auth
    outgoing_server_service_restart: false
    outgoing_server_report_formats: [json]
    outgoing_server_fail_on_error: false
  roles:
    - role: mailops.smtp.outgoing_server
"""


@pytest.fixture
def role_run(tmp_path, run_playbook):
    playbook = tmp_path / 'role.yml'
    playbook.write_text(ROLE_PLAY)

    def run(path, mode, check=False, diff=False, verbosity=0, **extra):
        reports = tmp_path / ('reports-%s-%d' % (mode, len(os.listdir(str(tmp_path)))))
        extra_vars = dict(extra, outgoing_server_path=path, outgoing_server_mode=mode,
                          outgoing_server_report_dir=str(reports))
        result = run_playbook(str(playbook), extra_vars=extra_vars, check=check, diff=diff, verbosity=verbosity)
        report_file = reports / ('outgoing-server-%s.json' % mode)
        report = json.loads(report_file.read_text()) if report_file.exists() else None
        return result, report

    return run


def test_role_audit_and_apply_agree_on_a_missing_file(smtp_sandbox, role_run, tmp_path):
    relay = smtp_sandbox(security='starttls', users={USER: NEW_PASSWORD})
    creds = dict(relay_server=relay.server, relay_ca=relay.ca_bundle, relay_password=NEW_PASSWORD)
    path = str(tmp_path / 'absent' / 'grafana.ini')
    os.makedirs(os.path.dirname(path))
    reason = '%s does not exist (use outgoing_server_create: true to create it)' % path  # in role terms
    rows = {}
    for mode, check in (('audit', False), ('apply', True), ('apply', False)):
        run, report = role_run(path, mode, check=check, **creds)
        assert report is not None, run.stdout[-3000:]
        rows[(mode, check)] = report['hosts'][0]
    for key, row in rows.items():
        assert row['status'] == 'error', (key, row)
        assert reason in row['message'], (key, row)
    assert not os.path.exists(path)
    run, report = role_run(path, 'audit', outgoing_server_create=True, **creds)
    assert report['hosts'][0]['status'] == 'drifted'
    run, report = role_run(path, 'apply', outgoing_server_create=True, **creds)
    assert report['hosts'][0]['status'] == 'compliant' and report['hosts'][0]['changed'] is True


def test_role_audit_reports_a_malformed_file_as_an_error_like_apply(smtp_sandbox, role_run, tmp_path):
    relay = smtp_sandbox(security='starttls', users={USER: NEW_PASSWORD})
    creds = dict(relay_server=relay.server, relay_ca=relay.ca_bundle, relay_password=NEW_PASSWORD)
    path = tmp_path / 'config.json'
    path.write_text('{"EmailSettings": {"SMTPServer": "x",, }\n')
    statuses = []
    for mode in ('audit', 'apply'):
        run, report = role_run(str(path), mode, outgoing_server_app='mattermost', **creds)
        statuses.append((report['hosts'][0]['status'], 'cannot parse' in report['hosts'][0]['message']))
    assert statuses == [('error', True), ('error', True)]


def test_role_check_diff_shows_the_masked_diff_and_no_password_at_vvvv(smtp_sandbox, role_run, tmp_path):
    relay = smtp_sandbox(security='starttls', users={USER: NEW_PASSWORD})
    creds = dict(relay_server=relay.server, relay_ca=relay.ca_bundle, relay_password=NEW_PASSWORD)
    path = fixture_copy(tmp_path, 'grafana', 'grafana.ini', prefix='role')
    with open(path, 'a') as handle:
        handle.write('\n[smtp]\nenabled = true\nhost = %s:%d\nuser = %s\npassword = `%s`\nfrom_address = %s\n'
                     'startTLS_policy = MandatoryStartTLS\n' % (relay.host, relay.port, USER, OLD_PASSWORD, USER))
    before = file_state(path)
    run, report = role_run(path, 'apply', check=True, diff=True, verbosity=4, **creds)
    assert run.rc == 0, run.stdout[-3000:]
    output = run.all_output()
    assert '-password = ********' in run.stdout and '+password = %s' % CHANGED_MASK in run.stdout
    assert report['hosts'][0]['status'] == 'drifted' and report['hosts'][0]['drift'] == ['password']
    assert file_state(path) == before
    _assert_no_secret(output, OLD_PASSWORD, NEW_PASSWORD)
    # and for real: the diff of the write, then nothing to do
    run, report = role_run(path, 'apply', diff=True, verbosity=4, **creds)
    assert '+password = %s' % CHANGED_MASK in run.stdout and report['hosts'][0]['changed'] is True
    _assert_no_secret(run.all_output(), OLD_PASSWORD, NEW_PASSWORD)
    with open(path) as handle:
        assert 'password = `%s`\n' % NEW_PASSWORD in handle.read()  # go-ini quoting: ;# would start a comment
    assert yaml.safe_load(ROLE_PLAY)[0]['roles'][0]['role'] == 'mailops.smtp.outgoing_server'
