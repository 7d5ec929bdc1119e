# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""App profiles: model <-> each app's spelling, unsupported settings, and (hypothesis) for every profile:
what is written reads back as the same settings, a second plan is a no-op, and masked diffs hold no password."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import PROFILES, get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    format_from,
    parse_from,
    split_host_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures')


def fixture_text(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8') as handle:
        return handle.read()


def make(app, **params):
    params.setdefault('path', '/nonexistent/%s.conf' % app)
    return get_profile(app)(None, params)


def desired(**params):
    params.setdefault('validate_certs', True)
    return settings_from_params(params)


def plan_on(profile, text, settings, update_password='always'):
    stored = profile.extract(profile.parse(text)) if text else None
    snapshot = Snapshot(bool(text), stored, handle=text)
    return profile.plan(snapshot, settings, 'present', update_password)


@pytest.mark.parametrize('app, params, option, words', [
    ('grafana', dict(server='ssl://mail.example.com:2465'), 'security', ('grafana', '465')),
    ('grafana', dict(server='mail.example.com:465', security='starttls'), 'security', ('grafana', '465')),
    ('grafana', dict(server='mail.example.com', username='u', password='p', auth=None), None, ()),
    ('nextcloud', dict(server='smtp://mail.example.com'), 'security', ('nextcloud', 'STARTTLS')),
    ('nextcloud', dict(server='mail.example.com', from_name='Cloud'), 'from_name', ('nextcloud',)),
    ('redmine', dict(server='mail.example.com', from_email='a@example.com'), 'from_email', ('redmine', 'mail_from')),
    ('discourse', dict(server='mail.example.com', from_name='Forum'), 'from_name', ('discourse',)),
    ('gitea', dict(server='a.example.com;b.example.com'), 'server', ('gitea', 'several')),
    ('mattermost', dict(server='a.example.com;b.example.com'), 'server', ('mattermost',)),
    ('dotenv', dict(server='mail.example.com', validate_certs=False), 'validate_certs', ('dotenv',)),
])
def test_what_an_app_cannot_store_is_an_error_naming_app_and_setting(app, params, option, words):
    profile = make(app)
    settings = desired(**params)
    if option is None:
        profile.check(settings, 'present')
        return
    with pytest.raises(SettingsError) as info:
        profile.check(settings, 'present')
    assert info.value.option == option
    assert option in str(info.value)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize('params, option', [
    (dict(), 'format'),
    (dict(format='ini'), 'keys'),
    (dict(format='ini', keys={'host': 'mail.host'}), 'port'),
    (dict(format='ini', keys={'hostname': 'mail.host'}), 'keys'),
    (dict(format='ini', keys={'host': 'mail.host', 'port': 'mail.port', 'security': 'mail.security'},
          values={'security': 'TLS'}), 'values'),
])
def test_generic_needs_format_and_keys(params, option):
    profile = make('generic', **params)
    with pytest.raises(SettingsError) as info:
        profile.check(desired(server='mail.example.com'), 'present')
    assert info.value.option == option


def test_generic_refuses_a_setting_without_a_key():
    profile = make('generic', format='env', keys={'host': 'H', 'port': 'P', 'security': 'S'})
    with pytest.raises(SettingsError) as info:
        profile.check(desired(server='mail.example.com', username='u', password='p'), 'present')
    assert info.value.option == 'username'


def test_grafana_reads_implicit_tls_from_port_465_and_policy():
    profile = make('grafana')
    text = '[smtp]\nhost = mail.example.com:465\nuser = u\npassword = """p#w"""\nstartTLS_policy = NoStartTLS\n'
    model = profile.extract(profile.parse(text))
    expected = ('mail.example.com', 465, 'tls', 'p#w')
    assert (model['host'], model['port'], model['security'], model['password']) == expected
    model = profile.extract(profile.parse('[smtp]\nhost = [2001:db8::1]:25\nstartTLS_policy = NoStartTLS\n'))
    assert (model['host'], model['port'], model['security'], model['auth']) == ('2001:db8::1', 25, 'none', False)


def test_gitea_legacy_keys_are_read_then_removed():
    profile = make('gitea')
    text = fixture_text('gitea', 'app-legacy.ini')
    model = profile.extract(profile.parse(text))
    assert (model['host'], model['port'], model['from_name']) == ('mail.example.com', 465, 'Git Server')
    plan = plan_on(profile, text, desired(server='ssl://mail.example.com:465', username='git@example.com',
                                          password='old;secret'))
    assert plan.changed
    for key in ('HOST =', 'IS_TLS_ENABLED', 'MAILER_TYPE', 'SKIP_VERIFY'):
        assert key not in plan.payload.split('[mailer]')[1].split('[service]')[0]
    assert 'PROTOCOL = smtps' in plan.payload
    assert 'old;secret' not in plan.before and 'old;secret' not in plan.after


def test_nextcloud_php_types_and_php_truthiness():
    profile = make('nextcloud')
    model = profile.extract(profile.parse(fixture_text('nextcloud', 'config.php')))
    assert model['port'] == 465 and model['auth'] is True and model['security'] == 'tls'
    assert model['from_email'] == 'noreply@files.example.net'
    text = "<?php\n$CONFIG = array('mail_smtphost' => 'h', 'mail_smtpauth' => 'false');\n"
    model = profile.extract(profile.parse(text))
    assert model['auth'] is True  # the string 'false' is true in PHP


def test_redmine_keeps_existing_authentication_symbol():
    profile = make('redmine', environment='production')
    text = fixture_text('redmine', 'configuration-production.yml')
    plan = plan_on(profile, text, desired(server='mail.example.com', username='u@example.com', password='x'))
    assert 'authentication: :plain' in plan.payload
    assert 'delivery_method: :smtp' in plan.payload


@pytest.mark.parametrize('text, expected', [
    ('"Name" <a@example.com>', ('Name', 'a@example.com')),
    ('Name <a@example.com>', ('Name', 'a@example.com')),
    ('a@example.com', (None, 'a@example.com')),
    ('"A \\"quoted\\" name" <a@example.com>', ('A "quoted" name', 'a@example.com')),
    ('', (None, None)),
])
def test_parse_from(text, expected):
    assert parse_from(text) == expected


@given(name=st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc')), min_size=1, max_size=20))
def test_from_round_trips(name):
    name = name.strip()
    if not name:
        return
    assert parse_from(format_from(name, 'a@example.com')) == (name, 'a@example.com')


@pytest.mark.parametrize('text, expected', [
    ('mail.example.com:587', ('mail.example.com', 587)),
    ('[::1]:25', ('::1', 25)),
    ('mail.example.com', ('mail.example.com', None)),
    ('', (None, None)),
])
def test_split_host_port(text, expected):
    assert split_host_port(text) == expected


# ------------------------------------------------------------------ properties for every profile

GENERIC = {
    'ini': dict(format='ini', keys={'host': 'mail.host', 'port': 'mail.port', 'security': 'mail.security',
                                    'validate_certs': 'mail.verify', 'username': 'mail.user',
                                    'password': 'mail.password', 'from_email': 'mail.from',
                                    'from_name': 'mail.name'}),
    'json': dict(format='json', keys={'server': 'mail.server', 'validate_certs': 'mail.verify',
                                      'auth': 'mail.auth', 'username': 'mail.user', 'password': 'mail.pass',
                                      'from': 'mail.from'}),
    'yaml': dict(format='yaml', keys={'host': 'a.b.host', 'port': 'a.b.port', 'use_tls': 'a.b.tls',
                                      'use_ssl': 'a.b.ssl', 'skip_verify': 'a.b.insecure', 'username': 'a.b.user',
                                      'password': 'a.b.password', 'from_email': 'a.from'}),
    'env': dict(format='env', keys={'host': 'H', 'port': 'P', 'security': 'S', 'validate_certs': 'V',
                                    'username': 'U', 'password': 'PW', 'from': 'FROM'},
                values={'security': {'none': '', 'starttls': 'STARTTLS', 'tls': 'TLS'}}),
    'php': dict(format='php', keys={'host': 'CONFIG.h', 'port': 'CONFIG.p', 'security': 'CONFIG.s',
                                    'validate_certs': 'CONFIG.v', 'username': 'CONFIG.u', 'password': 'CONFIG.pw',
                                    'from_email': 'CONFIG.f', 'from_name': 'CONFIG.n'}),
}

# (app, profile params, fixture or starting text, what the app stores)
TARGETS = [
    ('grafana', {}, ('grafana', 'grafana.ini'), dict(tls465=True, from_name=True, validate=True)),
    ('gitea', {}, ('gitea', 'app.ini'), dict(from_name=True, validate=True, none=True)),
    ('gitea', {}, ('gitea', 'app-legacy.ini'), dict(from_name=True, validate=True, none=True)),
    ('nextcloud', {}, ('nextcloud', 'config.php'), dict(no_none=True, validate=True)),
    ('nextcloud', {}, ('nextcloud', 'config.sample.php'), dict(no_none=True, validate=True)),
    ('mattermost', {}, ('mattermost', 'config.json'), dict(from_name=True, validate=True, none=True)),
    ('redmine', {}, ('redmine', 'configuration.yml'), dict(no_from=True, validate=True)),
    ('redmine', {'environment': 'production'}, ('redmine', 'configuration-production.yml'),
     dict(no_from=True, validate=True)),
    ('discourse', {}, ('discourse', 'app.yml'), dict(validate=True, none=True)),
    ('dotenv', {}, ('dotenv', '.env'), dict(from_name=True, none=True)),
    ('generic', GENERIC['ini'], ('generic', 'mail.ini'), dict(from_name=True, validate=True, none=True)),
    ('generic', GENERIC['json'], ('generic', 'mail.json'), dict(from_name=True, validate=True, none=True)),
    ('generic', GENERIC['yaml'], ('generic', 'mail.yml'), dict(validate=True, none=True)),
    ('generic', GENERIC['env'], ('generic', 'mail.env'), dict(from_name=True, validate=True, none=True)),
    ('generic', GENERIC['php'], None, dict(from_name=True, validate=True, none=True)),
    ('alertmanager', {}, ('alertmanager', 'alertmanager.yml'),
     dict(tls465=True, from_name=True, none=True, ascii_names=True, no_ipv6=True, login_needs_tls=True)),
    ('gitlab', {}, ('gitlab', 'gitlab.rb'), dict(from_name=True, validate=True, none=True)),
    ('gitlab', {}, None, dict(from_name=True, validate=True, none=True)),
    ('synapse', {}, ('synapse', 'homeserver.yaml'), dict(from_name=True, none=True, ascii_names=True)),
    ('synapse', {}, None, dict(from_name=True, none=True, ascii_names=True)),
    ('msmtp', {}, ('msmtp', 'msmtprc'), dict(validate=True, none=True)),
    ('msmtp', {'account': 'relay'}, ('msmtp', 'msmtprc'), dict(validate=True, none=True)),
    ('msmtp', {'account': 'company'}, ('msmtp', 'msmtprc'), dict(validate=True, none=True)),
]

secret_text = st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc'),
                                             blacklist_characters='\x85\u2028\u2029'), min_size=4,
                      max_size=24).filter(lambda s: s.strip() == s and '********' not in s)
hosts = st.sampled_from(['smtp.example.com', 'mail.example.org', '127.0.0.1', '2001:db8::25', 'xn--bcher-kva.example'])
names = st.text(alphabet=st.characters(whitelist_categories=('L', 'N', 'Zs'), max_codepoint=0x2FF),
                min_size=1, max_size=16).map(lambda s: s.strip()).filter(bool)


@st.composite
def target_settings(draw, caps):
    security = draw(st.sampled_from(['starttls', 'tls'] + (['none'] if caps.get('none') else [])))
    if caps.get('tls465'):
        port = 465 if security == 'tls' else draw(st.sampled_from([25, 587, 2525]))
    else:
        port = draw(st.integers(min_value=1, max_value=65535))
    # login_needs_tls: the app will not send a password without TLS (Alertmanager's Go PlainAuth)
    auth = draw(st.booleans()) and not (caps.get('login_needs_tls') and security == 'none')
    params = dict(server=draw(hosts.filter(lambda host: ':' not in host) if caps.get('no_ipv6') else hosts),
                  port=port, security=security)
    if caps.get('tls465') and security == 'none':
        pass
    if auth:
        params.update(username=draw(st.sampled_from(['u@example.com', 'mailer', 'ops+mail@example.org'])),
                      password=draw(secret_text))
    if caps.get('validate') and security != 'none':
        params['validate_certs'] = draw(st.booleans())
    if not caps.get('no_from'):
        params['from_email'] = draw(st.sampled_from(['noreply@example.com', 'ops.team@sub.example.org']))
        if caps.get('from_name') and draw(st.booleans()):
            params['from_name'] = draw(names.filter(str.isascii) if caps.get('ascii_names') else names)
    return desired(**params)


def _compare(model, settings, caps):
    assert model['host'] == settings.host
    assert model['port'] == settings.port
    assert model['security'] == settings.security
    assert model['auth'] == settings.auth
    if settings.auth:
        assert model['username'] == settings.username
        assert model['password'] == settings.password
    if caps.get('validate'):
        assert model['validate_certs'] == settings.validate_certs
    if not caps.get('no_from'):
        assert model['from_email'] == settings.from_email
        if settings.from_name is not None:
            assert model['from_name'] == settings.from_name


@pytest.mark.parametrize('app, params, fixture, caps', TARGETS,
                         ids=['%s-%s' % (t[0], t[2][1] if t[2] else 'new') for t in TARGETS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_profile_writes_what_it_reads_back_and_is_idempotent(app, params, fixture, caps, data):
    profile = make(app, **params)
    settings_ = data.draw(target_settings(caps))
    if caps.get('tls465') and settings_.security == 'none' and settings_.port == 465:
        return
    profile.check(settings_, 'present')
    text = fixture_text(*fixture) if fixture else ''
    try:
        plan = plan_on(profile, text, settings_)
    except SettingsError as exc:
        # A value the app's own reader cannot be given exactly is refused, naming the option
        # (tests/unit/plugins/module_utils/test_app_readers.py proves both sides with the real readers).
        assert exc.option in ('password', 'username', 'from_name', 'from_email', 'server'), exc
        assert 'cannot be stored in %s' % app in str(exc)
        return
    written = plan.payload
    model = profile.extract(profile.parse(written))
    _compare(model, settings_, caps)
    assert plan.stored_after == model
    again = plan_on(profile, written, settings_)
    assert again.changed is False
    assert again.payload == written
    if settings_.password:
        assert settings_.password not in plan.after
        assert settings_.password not in plan.before


def test_every_profile_file_is_registered_under_its_own_name():
    """Adding an app is one file in _profiles/ plus one registry line: a file without its line is caught here."""
    from ansible_collections.mailops.smtp.plugins.module_utils import _profiles
    folder = os.path.dirname(_profiles.__file__)
    files = sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and not name.startswith('_'))
    assert files == sorted(PROFILES)
    for app, cls in PROFILES.items():
        assert cls.name == app
        assert cls.__module__.endswith('._profiles.%s' % app)
