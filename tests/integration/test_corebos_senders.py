"""coreBOS sends as its users when "Email From" is empty: the module checks that before saving.

A real MariaDB (tests/mariadb) holds coreBOS's vtiger_systems and vtiger_users; a real Postfix + Dovecot submission
server (tests/mta) lets the CRM account send only as the addresses it owns (smtpd_sender_login_maps +
reject_sender_login_mismatch). outgoing_server runs through ansible-playbook.
"""

import json

import pytest

pytest_plugins = ['mariadb.pytest_plugin', 'mta.pytest_plugin']

CRM = 'crm@example.test'
PASSWORD = 'Crm-submission 7'
USERS = [
    dict(id=1, user_name='admin', email1=CRM, status='Active', deleted=0),
    dict(id=2, user_name='ann', email1='ann@example.test', status='Active', deleted=0),
    dict(id=3, user_name='bob', email1='bob@example.test', status='Active', deleted=0),
    dict(id=4, user_name='carol', email1='carol@example.test', status='Inactive', deleted=0),
    dict(id=5, user_name='dave', email1='dave@example.test', status='Active', deleted=1),
    dict(id=6, user_name='erin', email1='erin@example.test', status='Active', deleted=0),
]
OWNERS = {u['email1']: [u['email1']] for u in USERS}


def task(db, server, **options):
    args = dict(app='corebos', login_host=db.host, login_port=db.port, login_user=db.user,
                login_password=db.password, login_db=db.name, server=server.server,
                username=CRM, password=PASSWORD, test_recipient='someone@example.org',
                ehlo_name='crm.example.test', timeout=5, deadline=20)
    args.update(options)
    # coreBOS has no CA setting: the test CA reaches the module's test as it reaches PHP, through the trust store
    return {'name': 'outgoing', 'mailops.smtp.outgoing_server': args, 'ignore_errors': True,
            'environment': server.ca_env}


def run(run_playbook, tmp_path, tasks):
    playbook = tmp_path / 'corebos-senders.yml'
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    outcome = run_playbook(str(playbook))
    return outcome.result('outgoing'), outcome.status('outgoing'), outcome.all_output()


@pytest.fixture
def crm(corebos_db):
    corebos_db.add_users(*USERS)
    # the system sender (HelpDesk_Support_EMail, a default Global Variable record): the account's own address
    corebos_db.add_global_variable('HelpDesk_Support_EMail', CRM)
    return corebos_db


def test_the_install_default_system_sender_is_refused_before_anything(run_playbook, tmp_path, corebos_db,
                                                                      submission_server):
    """No HelpDesk_Support_EMail record: coreBOS sends system mail as support@your_support_domain.tld."""
    corebos_db.add_users(*USERS)
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    result, status, output = run(run_playbook, tmp_path, [task(corebos_db, server)])
    assert status == 'failed' and result['option'] == 'from_email'
    assert 'HelpDesk_Support_EMail' in result['msg'] and 'support@your_support_domain.tld' in result['msg']
    assert 'Global Variables' in result['msg'] and 'nothing was changed' in result['msg']
    assert corebos_db.email_rows() == []
    assert PASSWORD not in output


def test_the_system_sender_is_tried_and_a_refusal_names_the_global_variable(run_playbook, tmp_path, corebos_db,
                                                                            submission_server):
    corebos_db.add_users(*USERS)
    corebos_db.add_global_variable('HelpDesk_Support_EMail', 'helpdesk@example.test')
    owners = dict(OWNERS)
    for user in USERS[1:]:
        owners[user['email1']] = [user['email1'], CRM]  # the users' addresses are granted, the help desk's not
    server = submission_server({CRM: PASSWORD}, sender_logins=owners)
    result, status, _output = run(run_playbook, tmp_path, [task(corebos_db, server)])
    assert status == 'failed'
    assert corebos_db.email_rows() == []
    assert result['probe']['test_senders'] == ['ann@example.test', 'bob@example.test', 'erin@example.test',
                                               'helpdesk@example.test']
    assert result['diagnosis']['sender'] == 'helpdesk@example.test'
    assert 'HelpDesk_Support_EMail' in result['msg'] and 'Global Variables' in result['msg']


def test_no_from_email_fails_before_saving_and_names_the_refused_user(run_playbook, tmp_path, crm,
                                                                      submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    result, status, output = run(run_playbook, tmp_path, [task(crm, server)])
    assert status == 'failed'
    assert crm.email_rows() == []  # nothing was saved
    diagnosis = result['diagnosis']
    assert (diagnosis['category'], diagnosis['stage'], diagnosis['sender']) == (
        'sender_not_permitted', 'rcpt', 'ann@example.test')
    # the default test_senders: the first three active, not deleted users other than the account (the admin's
    # address is the test sender itself): ann, bob, erin
    assert result['probe']['test_senders'] == ['ann@example.test', 'bob@example.test', 'erin@example.test']
    msg = result['msg']
    assert 'ann@example.test' in msg and 'not owned by user crm@example.test' in msg
    assert 'set from_email' in msg.lower() and 'Send As rights' in msg  # the two fixes
    assert 'Nothing was changed' in msg
    assert PASSWORD not in output and crm.password not in output


def test_setting_from_email_is_the_first_fix(run_playbook, tmp_path, crm, submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    result, status, _output = run(run_playbook, tmp_path, [task(crm, server, from_email=CRM)])
    assert status == 'ok', result.get('msg')
    assert [row['from_email_field'] for row in crm.email_rows()] == [CRM]
    assert result['probe']['test_senders'] == []


def test_granting_send_as_is_the_second_fix(run_playbook, tmp_path, crm, submission_server):
    owners = dict(OWNERS)
    for user in USERS[1:]:
        owners[user['email1']] = [user['email1'], CRM]
    server = submission_server({CRM: PASSWORD}, sender_logins=owners)
    result, status, _output = run(run_playbook, tmp_path, [task(crm, server)])
    assert status == 'ok', result.get('msg')
    assert [row['from_email_field'] for row in crm.email_rows()] == ['']
    assert result['probe']['test_senders'] == ['ann@example.test', 'bob@example.test', 'erin@example.test']


def test_an_empty_test_senders_turns_the_check_off(run_playbook, tmp_path, crm, submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    result, status, _output = run(run_playbook, tmp_path, [task(crm, server, test_senders=[])])
    assert status == 'ok', result.get('msg')
    assert len(crm.email_rows()) == 1


def test_the_audit_of_a_stored_row_without_email_from_names_the_refused_user(run_playbook, tmp_path, crm,
                                                                             submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    crm.insert(id=1, server=server.server, server_port=0, server_username=CRM, server_password=PASSWORD,
               server_type='email', smtp_auth='tls', server_path='', from_email_field='')
    before = crm.rows()
    audit = {'name': 'outgoing', 'ignore_errors': True, 'mailops.smtp.outgoing_server_info': dict(
        app='corebos', login_host=crm.host, login_port=crm.port, login_user=crm.user, login_password=crm.password,
        login_db=crm.name, test='envelope', test_recipient='someone@example.org',
        ehlo_name='crm.example.test', timeout=5, deadline=20), 'environment': server.ca_env}
    result, status, output = run(run_playbook, tmp_path, [audit])
    assert status == 'ok' and result['test_ok'] is False
    assert result['diagnosis']['sender'] == 'ann@example.test'
    assert 'send as ann@example.test' in result['test_msg'] and 'Send As rights' in result['test_msg']
    assert crm.rows() == before
    assert PASSWORD not in output
