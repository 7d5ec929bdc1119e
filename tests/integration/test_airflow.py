# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""app: airflow through the real module (ansible-playbook), then REAL Airflow 3 (apache-airflow-core from PyPI,
in a venv the test tooling builds: tests/readers/appvenv.py) sending with what the module wrote.

Per scenario the module tests the settings against a loopback SMTP sandbox and writes airflow.cfg and the
connection file; Airflow then starts with that airflow.cfg and the environment systemd's ``EnvironmentFile=``
reader makes of the connection file, reads every value through its own ``conf`` and connection lookup, and
``airflow.utils.email.send_email`` (``send_email_smtp``) sends one message through the same sandbox, which
checks the login and password, the TLS mode and the envelope sender. A second run changes nothing; a login
without ``connection_file`` is refused with nothing changed; an ``AIRFLOW__SMTP__*`` variable in the
connection file is warned about; the password is in no output.
"""

import email
import os
import pathlib

import pytest

import readers
from outgoing_helpers import fixture_copy, parse_file_state, run_hosts
from smtp_sandbox._certs import ca_pem

USER = 'airflow@example.test'
PASSWORD = 'Air %flow$HOME \'q" #;:@/x~'
FROM = 'airflow@example.test'
RCPT = 'oncall@example.net'
SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
# scenario -> (sandbox security, module security, extra module args, connection file before)
SCENARIOS = {
    'starttls': ('starttls', 'starttls', {}, None),
    'tls': ('tls', 'tls', {}, '# Airflow services environment\nAIRFLOW__CORE__LOAD_EXAMPLES=False\n'),
    'override-warned': ('starttls', 'starttls', {}, 'AIRFLOW__SMTP__SMTP_TIMEOUT=10\n'),
    'login-without-connection-file': ('starttls', 'starttls', {'connection_file': None}, None),
}


@pytest.fixture(scope='module')
def host_store(tmp_path_factory):
    """The host's trust store plus the sandbox CA (Airflow has no CA setting: SSL_CERT_FILE for both)."""
    bundle = tmp_path_factory.mktemp('airflow-store') / 'ca-certificates.crt'
    bundle.write_bytes(pathlib.Path(SYSTEM_BUNDLE).read_bytes() + b'\n' + ca_pem())
    return str(bundle)


@pytest.fixture(scope='module')
def runs(tmp_path_factory, host_store):
    from smtp_sandbox import SmtpSandbox
    tmp_path = tmp_path_factory.mktemp('airflow')
    sandboxes = {name: SmtpSandbox(security=scenario[0], users={USER: PASSWORD}).start()
                 for name, scenario in SCENARIOS.items()}
    try:
        hosts = {}
        for name, (_sandbox_security, security, extra, conn_before) in SCENARIOS.items():
            path = fixture_copy(tmp_path, 'airflow', 'airflow.cfg', prefix=name)
            conn_path = str(tmp_path / ('%s-airflow.env' % name))
            if conn_before is not None:
                with open(conn_path, 'w', encoding='utf-8') as handle:
                    handle.write(conn_before)
            args = dict(app='airflow', path=path, connection_file=conn_path, server='127.0.0.1',
                        port=sandboxes[name].port, security=security, username=USER, password=PASSWORD,
                        from_email=FROM, test_recipient=RCPT)
            args.update(extra)
            hosts[name] = dict(case_path=path, case_args=args, conn_path=conn_path)
        tasks = [{'file_state': True},
                 {'mailops.smtp.outgoing_server': '{{ case_args }}', 'environment': {'SSL_CERT_FILE': host_store}},
                 {'mailops.smtp.outgoing_server': '{{ case_args }}', 'environment': {'SSL_CERT_FILE': host_store}},
                 {'file_state': True}]
        results, output = run_hosts(tmp_path, hosts, tasks)
        yield results, output, hosts, sandboxes
    finally:
        for sandbox in sandboxes.values():
            sandbox.stop()


def _read(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read()


@pytest.mark.parametrize('name', ['starttls', 'tls', 'override-warned'])
def test_airflow_sends_with_what_the_module_wrote(name, runs, host_store):
    results, output, hosts, sandboxes = runs
    sandbox_security, security, _extra, _conn_before = SCENARIOS[name]
    _before, first, second, _after = results[name]
    assert first.get('failed') is not True, first.get('msg')
    assert first['changed'] is True and second['changed'] is False, second
    assert PASSWORD not in output
    sandbox = sandboxes[name]
    tested = len(sandbox.wait_sessions_closed(2))   # the module's SMTP test, once per run
    env = readers.airflow_env(_read(hosts[name]['conn_path']))
    seen = readers.airflow_send(_read(hosts[name]['case_path']), dict(env, SSL_CERT_FILE=host_store), RCPT)
    # Airflow's own reading of every value the module wrote
    assert (seen['smtp_host'], seen['smtp_port']) == ('127.0.0.1', sandbox.port)
    assert (seen['smtp_starttls'], seen['smtp_ssl']) == (security == 'starttls', security == 'tls')
    assert seen['smtp_mail_from'] == FROM and seen['ssl_context'] == 'default'
    assert (seen['email_conn_id'], seen['login'], seen['password']) == ('smtp_default', USER, PASSWORD)
    assert seen['sent'] is True
    # the sandbox's record of Airflow's session: TLS as tested, the login (the sandbox checked the password)
    session = sandbox.wait_sessions_closed(tested + 1)[tested]
    assert bool(session.get('tls')) is True and session['authenticated_as'] == USER
    message = sandbox.messages[-1]
    assert message['mail_from'] == FROM and message['rcpt_tos'] == [RCPT]
    assert email.utils.parseaddr(email.message_from_bytes(message['data'])['From'])[1] == FROM
    assert sandbox_security in ('starttls', 'tls')


def test_the_connection_file_keeps_its_other_lines_and_the_override_is_warned(runs):
    results, _output, hosts, _sandboxes = runs
    conn = _read(hosts['tls']['conn_path'])
    assert conn.startswith('# Airflow services environment\nAIRFLOW__CORE__LOAD_EXAMPLES=False\n')
    assert os.stat(hosts['starttls']['conn_path']).st_mode & 0o777 == 0o600   # created 0600: it holds the password
    warned = results['override-warned'][1].get('warnings') or []
    assert any('AIRFLOW__SMTP__SMTP_TIMEOUT' in warning for warning in warned), warned
    assert not any('AIRFLOW__' in warning for warning in results['starttls'][1].get('warnings') or [])


def test_a_login_without_the_connection_file_is_refused_and_nothing_changes(runs):
    results, _output, hosts, sandboxes = runs
    before, first, _second, after = results['login-without-connection-file']
    assert first['failed'] is True
    assert first['msg'].startswith('connection_file: '), first['msg']
    assert 'no login' in first['msg']
    before, after = parse_file_state(before), parse_file_state(after)
    assert (after['sha1'], after['inode'], after['mtime']) == (before['sha1'], before['inode'], before['mtime'])
    assert not os.path.exists(hosts['login-without-connection-file']['conn_path'])
    assert sandboxes['login-without-connection-file'].sessions == []   # refused before any SMTP
