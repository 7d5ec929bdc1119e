# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""outgoing_server / outgoing_server_info guarantees beyond the per-profile cycle, in one playbook run:
create (0600), missing file, backup, update_password: on_create, bad input and unsupported settings
(file untouched, option named), malformed store, state: absent, certificate checks with Nextcloud's
stream options, implicit TLS, the read-only info module with drift and a test -- all at -vvvv without
any password in the output."""

import os

import pytest

from outgoing_helpers import (
    HOST_TRUST_ENV,
    file_state,
    fixture_copy,
    parse_file_state,
    parse_ini,
    parse_php,
    run_hosts,
)
from smtp_sandbox import SmtpSandbox

USER = 'mailer@example.com'
PASSWORD = 'N3w pass;#word'
GIT_USER = 'git@example.com'
GIT_OLD_PASSWORD = 'old;secret'


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('behaviour')
    starttls = SmtpSandbox(security='starttls', users={USER: PASSWORD, GIT_USER: GIT_OLD_PASSWORD})
    implicit = SmtpSandbox(security='tls', cert='self_signed', users={USER: PASSWORD})
    ipv6 = SmtpSandbox(security='starttls', host='::1', users={USER: PASSWORD})
    starttls.start()
    implicit.start()
    ipv6.start()
    try:
        good = dict(server=starttls.server, username=USER, password='{{ smtp_password }}',
                    test='auth', timeout=5, deadline=10)
        paths = {}

        def copy(name, app, fixture):
            paths[name] = fixture_copy(tmp_path, app, fixture, prefix=name)
            return paths[name]

        new_ini = str(tmp_path / 'new' / 'grafana.ini')
        os.makedirs(os.path.dirname(new_ini))
        broken = str(tmp_path / 'broken.json')
        with open(broken, 'w') as handle:
            handle.write('{"EmailSettings": {"SMTPServer": "x",, }\n')
        paths['malformed'] = broken
        missing = str(tmp_path / 'missing' / 'app.ini')
        os.makedirs(os.path.dirname(missing))
        paths['missing'] = missing
        paths['create'] = new_ini
        hosts = {
            'create': dict(case_path=new_ini,
                           first=dict(good, app='grafana', path=new_ini, create=True, from_email=USER),
                           second=dict(good, app='grafana', path=new_ini, create=True, from_email=USER),
                           info=dict(app='grafana', path=new_ini, test='auth',
                                     server=starttls.server, username=USER, password='{{ smtp_password }}',
                                     from_email=USER)),
            'missing': dict(case_path=missing, first=dict(good, app='gitea', path=missing)),
            'backup': dict(case_path=copy('backup', 'grafana', 'grafana.ini'),
                           first=dict(good, app='grafana', path=paths['backup'], backup=True)),
            'on_create': dict(case_path=copy('on_create', 'gitea', 'app-legacy.ini'),
                              first=dict(good, app='gitea', path=paths['on_create'], username=GIT_USER,
                                         password='a brand new one', update_password='on_create')),
            'bad_input': dict(case_path=copy('bad_input', 'grafana', 'grafana.ini'),
                              first=dict(good, app='grafana', path=paths['bad_input'],
                                         from_name='Ops\r\nBcc: victim@example.com')),
            'unsupported_nc': dict(case_path=copy('unsupported_nc', 'nextcloud', 'config.php'),
                                   first=dict(good, app='nextcloud', path=paths['unsupported_nc'],
                                              server='smtp://127.0.0.1:%d' % starttls.port)),
            'unsupported_redmine': dict(case_path=copy('unsupported_redmine', 'redmine', 'configuration.yml'),
                                        first=dict(good, app='redmine', path=paths['unsupported_redmine'],
                                                   from_email=USER)),
            'unsupported_grafana': dict(case_path=copy('unsupported_grafana', 'grafana', 'grafana.ini'),
                                        first=dict(good, app='grafana', path=paths['unsupported_grafana'],
                                                   server='ssl://127.0.0.1:%d' % implicit.port)),
            'malformed': dict(case_path=broken, first=dict(good, app='mattermost', path=broken)),
            'absent': dict(case_path=copy('absent', 'gitea', 'app-legacy.ini'),
                           first=dict(app='gitea', path=paths['absent'], state='absent'),
                           info=dict(app='gitea', path=paths['absent'])),
            'nextcloud_tls': dict(case_path=copy('nextcloud_tls', 'nextcloud', 'config.sample.php'),
                                  first=dict(good, app='nextcloud', path=paths['nextcloud_tls'],
                                             server=implicit.server),
                                  second=dict(good, app='nextcloud', path=paths['nextcloud_tls'],
                                              server=implicit.server, validate_certs=False)),
            'attributes': dict(case_path=copy('attributes', 'mattermost', 'config.json'),
                               first=dict(good, app='mattermost', path=paths['attributes'], mode='0600'),
                               second=dict(good, app='mattermost', path=paths['attributes'], mode='0600')),
            'ipv6': dict(case_path=copy('ipv6', 'grafana', 'grafana.ini'),
                         first=dict(good, app='grafana', path=paths['ipv6'], server='[::1]:%d' % ipv6.port),
                         info=dict(app='grafana', path=paths['ipv6'], test='auth')),
            'info_drift': dict(case_path=copy('info_drift', 'nextcloud', 'config.php'),
                               info=dict(app='nextcloud', path=paths['info_drift'], server='tls://mail.example.com',
                                         username='noreply@files.example.net', password='{{ smtp_password }}')),
        }
        # None of these apps has a CA setting: the sandbox CA is in each host's trust store (SSL_CERT_FILE), but
        # nextcloud_tls's, which keeps the system's only (an unknown CA)
        for name, host in hosts.items():
            if name != 'nextcloud_tls':
                host['ssl_cert_file'] = starttls.ca_bundle
        states = {name: file_state(path) for name, path in paths.items() if os.path.exists(path)}
        results, output = run_hosts(tmp_path, hosts, [
            {'mailops.smtp.outgoing_server': '{{ first }}', 'diff': True, 'when': 'first is defined'},
            {'file_state': True},
            {'mailops.smtp.outgoing_server': '{{ second }}', 'diff': True, 'when': 'second is defined'},
            {'mailops.smtp.outgoing_server_info': '{{ info }}', 'when': 'info is defined'},
            {'file_state': True},
        ], extra_vars={'smtp_password': PASSWORD}, verbosity=4, environment=HOST_TRUST_ENV)
        yield dict(results=results, output=output, paths=paths, states=states)
    finally:
        starttls.stop()
        implicit.stop()
        ipv6.stop()


def steps(run, name):
    """The results of one scenario: first call, file state, second call, info call, final file state."""
    first, state1, second, info, state2 = run['results'][name]
    return dict(first=first, state=parse_file_state(state1), second=second, info=info,
                final=parse_file_state(state2))


def untouched(run, name, state, now=True):
    """Bytes and inode as recorded after the module ran (and the mtime now, for scenarios that never
    write) equal the original's."""
    original = run['states'][name]
    same_mtime = not now or os.stat(run['paths'][name]).st_mtime_ns == original['mtime']
    return state is not None and same_mtime and \
        (state['sha1'], state['inode']) == (original['sha1'], original['inode'])


def test_no_password_in_verbose_output(run):
    for secret in (PASSWORD, GIT_OLD_PASSWORD, 'a brand new one', "0ld-n3xt", 'pa$$word'):
        assert secret not in run['output']
        assert secret not in repr(run['results'])


def test_create_makes_a_0600_file_then_is_idempotent_and_info_tests_it(run):
    step = steps(run, 'create')
    first = step['first']
    state = step['state']
    second = step['second']
    info = step['info']
    assert first['changed'] is True, first.get('msg')
    assert state['mode'] == '600'
    ini = parse_ini(open(run['paths']['create']).read())
    assert ini[('smtp', 'password')] == PASSWORD and ini[('smtp', 'enabled')] == 'true'
    assert second['changed'] is False
    assert info['test_ok'] is True and info['in_sync'] is True and info['drift'] == []
    assert info['settings']['password'] == '********' and info['settings']['from_email'] == USER


def test_missing_file_without_create_fails_and_creates_nothing(run):
    step = steps(run, 'missing')
    first = step['first']
    state = step['state']
    assert first['failed'] is True and 'create' in first['msg']
    assert state is None and not os.listdir(os.path.dirname(run['paths']['missing']))


def test_backup_keeps_the_old_file(run):
    step = steps(run, 'backup')
    first = step['first']
    assert first['changed'] is True
    with open(first['backup_file'], 'rb') as handle:
        assert handle.read() == run['states']['backup']['data']


def test_update_password_on_create_keeps_and_tests_the_stored_password(run):
    step = steps(run, 'on_create')
    first = step['first']
    assert first.get('failed') is not True, first.get('msg')
    assert first['changed'] is True  # the legacy keys were migrated
    mailer = {k: v for (s, k), v in parse_ini(open(run['paths']['on_create']).read()).items() if s == 'mailer'}
    assert mailer['PASSWD'] == GIT_OLD_PASSWORD
    assert 'HOST' not in mailer and mailer['SMTP_ADDR'] == '127.0.0.1'


@pytest.mark.parametrize('name, option, words', [
    ('bad_input', 'from_name', ('from_name', 'CR')),
    ('unsupported_nc', 'security', ('nextcloud', 'security')),
    ('unsupported_redmine', 'from_email', ('redmine', 'from_email')),
    ('unsupported_grafana', 'security', ('grafana', 'security', '465')),
])
def test_refused_input_names_the_option_and_leaves_the_file(run, name, option, words):
    step = steps(run, name)
    first = step['first']
    state = step['state']
    assert first['failed'] is True
    assert first.get('option') == option
    for word in words:
        assert word in first['msg']
    assert 'probe' not in first  # refused before any network test
    assert untouched(run, name, state)


def test_malformed_store_fails_untouched(run):
    step = steps(run, 'malformed')
    first = step['first']
    state = step['state']
    assert first['failed'] is True and 'nothing was changed' in first['msg']
    assert 'Traceback' not in first['msg']
    assert untouched(run, 'malformed', state)


def test_state_absent_removes_the_settings(run):
    step = steps(run, 'absent')
    first = step['first']
    info = step['info']
    assert first['changed'] is True
    mailer = {k for (s, k), v in parse_ini(open(run['paths']['absent']).read()).items() if s == 'mailer'}
    assert not mailer & {'HOST', 'PASSWD', 'USER', 'SMTP_ADDR', 'FROM', 'MAILER_TYPE'}
    assert info['configured'] is False and info['exists'] is True


def test_nextcloud_certificate_check_and_stream_options(run):
    step = steps(run, 'nextcloud_tls')
    first = step['first']
    state = step['state']
    second = step['second']
    assert first['failed'] is True
    assert first['diagnosis']['category'] == 'tls_certificate_invalid'
    assert untouched(run, 'nextcloud_tls', state, now=False)  # the second call writes
    assert second['changed'] is True, second.get('msg')
    config = parse_php(run['paths']['nextcloud_tls'])
    assert config['mail_smtpsecure'] == 'ssl'
    assert config['mail_smtpstreamoptions'] == {'ssl': {'verify_peer': False, 'verify_peer_name': False,
                                                        'allow_self_signed': True}}
    assert second['settings']['validate_certs'] is False and second['settings']['security'] == 'tls'


def test_info_reports_drift_in_model_terms_without_writing(run):
    step = steps(run, 'info_drift')
    info = step['info']
    state = step['final']
    assert info['changed'] is False
    assert untouched(run, 'info_drift', state)
    settings = info['settings']
    assert settings['host'] == 'smtp.files.example.net' and settings['port'] == 465
    assert settings['security'] == 'tls' and settings['auth'] is True
    assert settings['from_email'] == 'noreply@files.example.net'
    assert settings['password'] == '********' and settings['password_set'] is True
    drift = {item['setting']: item for item in info['drift']}
    assert set(drift) == {'host', 'port', 'security', 'password'}
    assert drift['port'] == {'setting': 'port', 'before': 465, 'after': 587}
    assert drift['password'] == {'setting': 'password', 'before': '********', 'after': '********'}
    assert info['in_sync'] is False


def test_file_attributes_are_applied_and_idempotent(run):
    step = steps(run, 'attributes')
    assert step['first']['changed'] is True, step['first'].get('msg')
    assert step['state']['mode'] == '600'
    assert step['second']['changed'] is False


def test_ipv6_literal_is_tested_and_stored_in_grafanas_bracket_form(run):
    step = steps(run, 'ipv6')
    assert step['first']['changed'] is True, step['first'].get('msg')
    ini = parse_ini(open(run['paths']['ipv6']).read())
    assert ini[('smtp', 'host')] == '[::1]:%d' % step['first']['settings']['port']
    assert step['info']['settings']['host'] == '::1' and step['info']['test_ok'] is True
