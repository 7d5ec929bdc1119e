"""ca_path where the app cannot store a CA file: refused before anything changes (DESIGN.md "The app connects the
way it was tested").

Apps without a CA setting verify the server with the host's trust store; a test that trusted ca_path would pass
where the app then fails. So outgoing_server (apply and check mode), outgoing_server_info and the role refuse
ca_path for them, naming ca_path and the app and saying what to do; the file keeps its bytes, inode and mtime, and
the SMTP server sees no connection. The advice works: the same task with the CA in the trust store the test reads
(SSL_CERT_FILE naming the host's CAs plus the private one) passes. An app that stores a CA file (Redmine) takes
ca_path in the same run.
"""

import json

import pytest

from outgoing_helpers import file_state, fixture_copy, parse_file_state, run_hosts

USER = 'apps@example.test'
PASSWORD = 'Private-CA relay 19'

# app -> fixture: one per store format (INI, JSON, YAML, .env, PHP) among the apps without a CA setting
REFUSING = {'grafana': 'grafana.ini', 'mattermost': 'config.json', 'synapse': 'homeserver.yaml',
            'dotenv': 'mastodon.env', 'nextcloud': 'config.php'}

ROLE_PLAY = """
- name: The role, a private CA given as ca_path to an app without a CA setting
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
"""


@pytest.fixture(scope='module')
def refused(tmp_path_factory):
    from smtp_sandbox import SmtpSandbox

    tmp_path = tmp_path_factory.mktemp('ca-path')
    relay = SmtpSandbox(security='starttls', users={USER: PASSWORD}).start()
    try:
        hosts, before, paths = {}, {}, {}
        for app, fixture in REFUSING.items():
            path = paths[app] = fixture_copy(tmp_path, app, fixture)
            before[app] = file_state(path)
            args = dict(app=app, path=path, server=relay.server, ca_path=relay.ca_path, username=USER,
                        password='{{ smtp_password }}', from_email=USER, test='auth', timeout=5, deadline=10)
            hosts[app] = dict(case_path=path, case_args=args,
                              case_info=dict(app=app, path=path, ca_path=relay.ca_path, test='auth', timeout=5),
                              case_fixed=dict((k, v) for k, v in args.items() if k != 'ca_path'),
                              ssl_cert_file=relay.ca_bundle)
        results, output = run_hosts(tmp_path, hosts, [
            {'mailops.smtp.outgoing_server': '{{ case_args }}', 'diff': True},
            {'mailops.smtp.outgoing_server': '{{ case_args }}', 'check_mode': True, 'diff': True},
            {'mailops.smtp.outgoing_server_info': '{{ case_info }}'},
            {'file_state': True},
        ], extra_vars={'smtp_password': PASSWORD})
        sessions_after_refusals = relay.connections_accepted
        # the advice: the private CA in the trust store the module's test reads (and the app), no ca_path
        (tmp_path / 'fixed').mkdir()
        fixed, _output = run_hosts(tmp_path / 'fixed', {'grafana': dict(hosts['grafana'])}, [
            {'mailops.smtp.outgoing_server': '{{ case_fixed }}', 'check_mode': True},
            {'mailops.smtp.outgoing_server': '{{ case_fixed }}', 'check_mode': True,
             'environment': {'SSL_CERT_FILE': '{{ ssl_cert_file }}'}},
        ], extra_vars={'smtp_password': PASSWORD})
        yield dict(results=results, output=output, before=before, paths=paths, sessions=sessions_after_refusals,
                   fixed=fixed['grafana'])
    finally:
        relay.stop()


@pytest.mark.parametrize('app', sorted(REFUSING))
def test_ca_path_is_refused_naming_ca_path_and_the_app_and_nothing_changes(refused, app):
    apply, check, info, state = refused['results'][app]
    for result in (apply, check, info):
        assert result.get('failed') is True, result
        assert result['msg'].startswith('ca_path: %s has no setting for a CA file' % app), result['msg']
        assert 'update-ca-certificates' in result['msg'] and 'leave ca_path out' in result['msg']
        assert result.get('changed') is not True and 'probe' not in result
    assert 'nothing was changed' in apply['msg'] and 'nothing was changed' in check['msg']
    assert 'diff' not in apply and 'diff' not in check
    after, original = parse_file_state(state), refused['before'][app]
    assert (after['sha1'], after['inode']) == (original['sha1'], original['inode'])
    current = file_state(refused['paths'][app])
    assert current['data'] == original['data'] and current['mtime'] == original['mtime']


def test_the_server_saw_no_connection_and_no_password_was_shown(refused):
    assert refused['sessions'] == 0   # refused before the test: nothing was sent anywhere
    assert PASSWORD not in refused['output'] and PASSWORD not in json.dumps(refused['results'])


def test_the_go_and_python_apps_are_told_about_ssl_cert_file(refused):
    assert 'SSL_CERT_FILE' in refused['results']['grafana'][0]['msg']   # Go crypto/x509 reads it
    assert 'SSL_CERT_FILE' in refused['results']['dotenv'][0]['msg']    # Python's ssl default paths


def test_the_advice_works_the_ca_in_the_trust_store_the_test_reads(refused):
    unknown, trusted = refused['fixed']
    # without ca_path and without the CA in the trust store: the server's CA is unknown to the test, as to Grafana
    assert unknown.get('failed') is True and unknown['diagnosis']['category'] == 'tls_certificate_invalid', unknown
    assert trusted.get('failed') is not True and trusted['changed'] is True, trusted.get('msg')
    assert trusted['probe']['level'] == 'auth'


def test_an_app_that_stores_a_ca_file_takes_ca_path(tmp_path, smtp_sandbox):
    relay = smtp_sandbox(security='starttls', users={USER: PASSWORD})
    path = str(tmp_path / 'msmtprc')
    args = dict(app='msmtp', path=path, create=True, mode='0600', server=relay.server, ca_path=relay.ca_path,
                username=USER, password='{{ smtp_password }}', from_email=USER, test='auth', timeout=5)
    results, _output = run_hosts(tmp_path, {'msmtp': dict(case_args=args)}, [
        {'mailops.smtp.outgoing_server': '{{ case_args }}'}], extra_vars={'smtp_password': PASSWORD})
    (applied,) = results['msmtp']
    assert applied.get('failed') is not True and applied['changed'] is True, applied.get('msg')
    with open(path) as handle:
        assert 'tls_trust_file %s' % relay.ca_path in handle.read()


def test_the_role_refuses_it_too_and_its_report_says_why(tmp_path, smtp_sandbox, run_playbook):
    relay = smtp_sandbox(security='starttls', users={USER: PASSWORD})
    path = fixture_copy(tmp_path, 'grafana', 'grafana.ini')
    before = file_state(path)
    playbook = tmp_path / 'role.yml'
    playbook.write_text(ROLE_PLAY)
    reports = tmp_path / 'reports'
    run = run_playbook(str(playbook), extra_vars=dict(
        outgoing_server_app='grafana', outgoing_server_path=path, outgoing_server_server=relay.server,
        outgoing_server_ca_path=relay.ca_path, outgoing_server_username=USER, outgoing_server_password=PASSWORD,
        outgoing_server_from_email=USER, outgoing_server_mode='apply', outgoing_server_service_restart=False,
        outgoing_server_fail_on_error=False, outgoing_server_report_formats=['json'],
        outgoing_server_report_dir=str(reports)))
    report = json.loads((reports / 'outgoing-server-apply.json').read_text())
    (row,) = report['hosts']
    assert row['status'] != 'changed' and 'ca_path' in row['message'] and 'grafana' in row['message'], row
    after = file_state(path)
    assert after['data'] == before['data'] and (after['inode'], after['mtime']) == (before['inode'], before['mtime'])
    # the role's one module run per host refuses before its test: no login reached the relay
    assert not any(c.upper().startswith('AUTH') for session in relay.sessions for c in session['commands'])
    assert PASSWORD not in run.all_output()
