"""coreBOS with ``security: none``: PHPMailer's SMTPAutoTLS, which coreBOS's modules/Emails/mail.php leaves on,
upgrades to STARTTLS whenever the server offers it and then checks the certificate. The module's test does the
same (probe.auto_starttls), proven against real PHP and Debian's PHPMailer set up as mail.php sets it up
(corebos_mail.php, shared with test_app_connects_redmine_corebos.py):

- a relay that offers STARTTLS with a certificate coreBOS's PHP trusts: the test and coreBOS both upgrade, log in
  over TLS only, and send as tested;
- the same with a certificate PHP does not trust: the test fails (tls_certificate_invalid) and writes nothing; the
  row the module would have written (test: none) makes coreBOS send nothing, as its test said.
"""

import pytest

from app_sessions import (
    FROM,
    PASSWORD,
    RCPT,
    USER,
    assert_app_sent_nothing,
    corebos_send,
    host_store_with_sandbox_ca,
    run_corebos_tasks,
    session_of,
)

pytest_plugins = ['mariadb.pytest_plugin']


@pytest.fixture(scope='module')
def host_store(tmp_path_factory):
    return host_store_with_sandbox_ca(tmp_path_factory.mktemp('host-store'))


def _task(name, db, sandbox, test):
    args = dict(app='corebos', login_host=db.host, login_port=db.port, login_user=db.user,
                login_password=db.password, login_db=db.name, server='%s:%d' % (sandbox.host, sandbox.port),
                security='none', username=USER, password=PASSWORD, from_email=FROM, test=test,
                test_recipient=RCPT, ehlo_name='crm.example.test', timeout=3, deadline=8)
    return {'name': name, 'mailops.smtp.outgoing_server': args, 'ignore_errors': True}


def test_security_none_upgrades_as_phpmailer_does_and_both_send_over_tls(smtp_sandbox, tmp_path, corebos_db,
                                                                         host_store, run_playbook):
    sandbox = smtp_sandbox(security='starttls', users={USER: PASSWORD})
    outcome = run_corebos_tasks(run_playbook, tmp_path, [_task('outgoing', corebos_db, sandbox, 'send')], host_store)
    result = outcome.result('outgoing')
    assert outcome.status('outgoing') == 'ok' and result['changed'], result.get('msg')
    assert result['probe']['auto_starttls'] is True
    row = corebos_db.email_rows()[0]
    assert (row['server'], row['smtp_auth']) == ('%s:%d' % (sandbox.host, sandbox.port), 'true')  # no tls://
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    assert corebos_send(corebos_db, host_store) == {'sent': True}
    test, app = session_of(sandbox, sessions - 1), session_of(sandbox, sessions)
    assert test['tls'] is app['tls'] is True, (test, app)   # both upgraded: the password went over TLS only
    assert test['login'] == app['login'] == USER and test['mechanism'] == app['mechanism']
    assert test['mail_from'] == app['mail_from'] == FROM
    assert len(sandbox.messages) == messages + 1


def test_security_none_with_an_untrusted_certificate_fails_the_test_as_corebos_fails(smtp_sandbox, tmp_path,
                                                                                     corebos_db, host_store,
                                                                                     run_playbook):
    sandbox = smtp_sandbox(security='starttls', cert='self_signed', users={USER: PASSWORD})
    tasks = [_task('outgoing', corebos_db, sandbox, 'send'), _task('unchecked', corebos_db, sandbox, 'none')]
    outcome = run_corebos_tasks(run_playbook, tmp_path, tasks, host_store)
    result = outcome.result('outgoing')
    assert outcome.status('outgoing') == 'failed', result
    assert result['diagnosis']['category'] == 'tls_certificate_invalid' and result['probe']['auto_starttls']
    assert outcome.status('unchecked') == 'ok' and len(corebos_db.email_rows()) == 1
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    done = corebos_send(corebos_db, host_store)
    assert 'error' in done, done   # PHPMailer upgraded too, and refused the certificate
    assert_app_sent_nothing(sandbox, sessions - 1, messages)
