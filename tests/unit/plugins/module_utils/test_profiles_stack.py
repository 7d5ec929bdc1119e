# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring and developer stack profiles (alertmanager, gitlab, synapse), read back by each app's reader.

* gitlab: ``readers.gitlab``: real Ruby evaluates the written gitlab.rb as Omnibus does;
* alertmanager: ``readers.alertmanager``: the real Debian Alertmanager 0.25 loads the written file
  (``amtool check-config`` and the server's parsed configuration), and mails through the SMTP sandbox, which
  accepts only the exact password;
* synapse: ``readers.synapse``: PyYAML ``safe_load`` of the whole file, then Synapse's EmailConfig and
  SendEmailHandler steps, including the ``notif_from % {"app": app_name}`` rule.

Each starts from a fixture in the shape of the app's own upstream sample (tests/integration/fixtures/<app>/,
see tests/unit/fixtures/README.md).
"""

import email
import email.header
import email.policy
import email.utils
import os

import pytest
import readers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readers.alertmanager_server import Alertmanager, check_config
from smtp_sandbox import SmtpSandbox

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params
from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import YamlStore

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, '..', '..', '..', 'integration', 'fixtures')


def fixture_text(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8', newline='') as handle:
        return handle.read()


GITLAB_RB = fixture_text('gitlab', 'gitlab.rb')
ALERTMANAGER_YML = fixture_text('alertmanager', 'alertmanager.yml')
HOMESERVER_YAML = fixture_text('synapse', 'homeserver.yaml')


def make(app, path='/nonexistent/config'):
    return get_profile(app)(None, {'path': path})


def desired(**params):
    params.setdefault('validate_certs', True)
    return settings_from_params(params)


def write(app, text, settings_):
    """What the profile writes over ``text`` for ``settings_`` (after its own checks), and a second plan."""
    profile = make(app)
    profile.check(settings_, 'present')
    stored = profile.extract(profile.parse(text)) if text else None
    plan = profile.plan(Snapshot(bool(text), stored, handle=text), settings_, 'present', 'always')
    again_profile = make(app)
    again = again_profile.plan(Snapshot(True, again_profile.extract(again_profile.parse(plan.payload)),
                                        handle=plan.payload), settings_, 'present', 'always')
    return plan, again


def changed_keys(before, after):
    """Lines that differ (a changed line compares with its counterpart; inserted lines count too)."""
    import difflib
    return [line[1:] for line in difflib.unified_diff(before.split('\n'), after.split('\n'), lineterm='', n=0)
            if line[:1] in '+-' and not line.startswith(('+++', '---'))]


# Any text the module accepts (it refuses only CR, LF and NUL): controls, NEL, U+2028, tabs, quotes, escapes.
ANY_CHAR = st.characters(blacklist_categories=('Cs',), blacklist_characters='\r\n\x00')
PASSWORDS = st.text(alphabet=ANY_CHAR, min_size=1, max_size=24).filter(lambda s: '********' not in s)
NAMES = st.text(alphabet=ANY_CHAR, min_size=1, max_size=20).filter(lambda s: s.strip())
ASCII_NAMES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1,
                      max_size=20).map(lambda s: s.strip()).filter(lambda s: s and '{{' not in s and '}}' not in s)
HOSTS = st.sampled_from(['smtp.example.com', '127.0.0.1', '2001:db8::25', 'xn--bcher-kva.example'])
USERS = st.sampled_from(['u@example.com', 'mailer', 'ops+mail@example.org'])


# --------------------------------------------------------------------------- gitlab (real Ruby)

@st.composite
def gitlab_settings(draw):
    params = dict(server=draw(HOSTS), port=draw(st.integers(1, 65535)),
                  security=draw(st.sampled_from(['none', 'starttls', 'tls'])))
    if draw(st.booleans()):
        params.update(username=draw(USERS), password=draw(PASSWORDS))
    if params['security'] != 'none':
        params['validate_certs'] = draw(st.booleans())
    params['from_email'] = draw(st.sampled_from(['gitlab@example.com', 'git.ops@sub.example.org']))
    if draw(st.booleans()):
        params['from_name'] = draw(NAMES)
    return desired(**params)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(gitlab_settings(), min_size=1, max_size=4))
def test_gitlab_ruby_reads_exactly_what_was_asked(batch):
    plans = [write('gitlab', GITLAB_RB, settings_) for settings_ in batch]
    seen = readers.gitlab_many([plan.payload for plan, _again in plans])
    for settings_, (plan, again), result in zip(batch, plans, seen):
        rails = result['gitlab_rails']
        assert rails['smtp_enable'] is True
        assert rails['smtp_address'] == settings_.host
        assert rails['smtp_port'] == settings_.port
        # the mail gem: tls/ssl -> implicit TLS; else enable_starttls -> required STARTTLS (never the opportunistic
        # enable_starttls_auto, written false)
        assert rails['smtp_tls'] is (settings_.security == 'tls')
        assert rails['smtp_enable_starttls_auto'] is False
        assert rails.get('smtp_enable_starttls') is (True if settings_.security == 'starttls' else None)
        assert 'smtp_ssl' not in rails
        if settings_.auth:
            assert rails['smtp_user_name'] == settings_.username
            assert rails['smtp_password'] == settings_.password
            assert rails['smtp_authentication'] == 'login'
        else:
            assert 'smtp_user_name' not in rails and 'smtp_password' not in rails
        assert (rails.get('smtp_openssl_verify_mode') == 'none') is (not settings_.validate_certs)
        assert rails['gitlab_email_from'] == settings_.from_email
        if settings_.from_name is not None:
            assert rails['gitlab_email_display_name'] == settings_.from_name
        assert again.changed is False and again.payload == plan.payload
        if settings_.password:
            assert settings_.password not in plan.after
        for line in changed_keys(GITLAB_RB, plan.payload):  # only our keys' lines, in place of their templates
            assert "gitlab_rails['smtp_" in line or "gitlab_rails['gitlab_email_" in line, line


def test_gitlab_reads_ruby_truthiness_and_refuses_expressions():
    profile = make('gitlab')
    model = profile.extract(profile.parse("gitlab_rails['smtp_enable'] = true\ngitlab_rails['smtp_tls'] = 'false'\n"
                                          "gitlab_rails['smtp_port'] = 465\n"))
    assert model['security'] == 'tls'  # the string 'false' is true in Ruby
    assert model['host'] == 'localhost'  # the mail gem's default address
    assert profile.extract(profile.parse("gitlab_rails['smtp_enable'] = false\n"
                                         "gitlab_rails['smtp_address'] = 'x'\n")) is None
    with pytest.raises(Exception, match=r"smtp_password'\] at line 2 is a Ruby expression"):
        profile.extract(profile.parse("gitlab_rails['smtp_enable'] = true\n"
                                      "gitlab_rails['smtp_password'] = ENV['SMTP_PASSWORD']\n"))


# --------------------------------------------------------------------------- alertmanager (real Alertmanager 0.25)


@st.composite
def alertmanager_settings(draw):
    security = draw(st.sampled_from(['none', 'starttls', 'tls']))
    port = 465 if security == 'tls' else draw(st.sampled_from([25, 587, 2525, 10025]))
    params = dict(server=draw(HOSTS.filter(lambda host: ':' not in host)), port=port, security=security)
    if security != 'none' and draw(st.booleans()):  # no login without TLS: Go's PlainAuth refuses it
        params.update(username=draw(USERS), password=draw(PASSWORDS))
    params['from_email'] = draw(st.sampled_from(['alertmanager@example.com', 'ops.alerts@sub.example.org']))
    if draw(st.booleans()):
        params['from_name'] = draw(ASCII_NAMES)
    return desired(**params)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(alertmanager_settings(), min_size=1, max_size=4))
def test_alertmanager_loads_exactly_what_was_asked(batch):
    plans = [write('alertmanager', ALERTMANAGER_YML, settings_) for settings_ in batch]
    seen = readers.alertmanager_many([plan.payload for plan, _again in plans])
    for settings_, (plan, again), result in zip(batch, plans, seen):
        assert not isinstance(result, readers.Unreadable), result
        parsed = result['global']
        assert parsed['smtp_smarthost'] == '%s:%d' % (settings_.host, settings_.port)
        assert parsed['smtp_require_tls'] is (settings_.security == 'starttls')  # false on 465: see the profile
        if settings_.auth:
            assert parsed['smtp_auth_username'] == settings_.username
            assert parsed['smtp_auth_password'] == '<secret>'  # shown masked; the password: see the e2e test
        else:
            assert 'smtp_auth_username' not in parsed and 'smtp_auth_password' not in parsed
        name, address = email.utils.parseaddr(parsed['smtp_from'])
        assert address == settings_.from_email
        if settings_.from_name is not None:
            assert name == settings_.from_name
        assert again.changed is False and again.payload == plan.payload
        if settings_.password:
            assert settings_.password not in plan.after
        for line in changed_keys(ALERTMANAGER_YML, plan.payload):
            assert line.lstrip().startswith('smtp_'), line


@pytest.mark.parametrize('security', ['starttls', 'none'])
def test_alertmanager_logs_in_with_the_exact_password_and_sends_as_from(tmp_path, security):
    user, password = 'alerts@example.com', "it's #x: y\\ \"q\" %(app)s {{ .X }} é"
    with SmtpSandbox(security='starttls' if security == 'starttls' else 'plain', users={user: password},
                     auth_before_tls=security == 'none') as sandbox:
        settings_ = desired(server='127.0.0.1', port=sandbox.port, security=security, username=user,
                            password=password, from_email=user, from_name='Ops, "Alerts"')
        plan, _again = write('alertmanager', ALERTMANAGER_YML.replace('group_wait: 30s', 'group_wait: 0s'),
                             settings_)
        path = str(tmp_path / 'alertmanager.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(plan.payload)
        with Alertmanager(path, ca_path=sandbox.ca_path) as server:
            server.send_alert('MailopsTest')
            assert sandbox.wait_for(lambda sb: sb.messages, timeout=30), server.log()
        message = sandbox.messages[0]
        assert message['authenticated_as'] == user  # the sandbox accepts only the exact password
        assert message['mail_from'] == user
        headers = email.message_from_bytes(message['data'])
        assert email.utils.parseaddr(headers['From']) == ('Ops, "Alerts"', user)


ASCII_SENDER_NAMES = ['Ops', 'Ops, "Alerts"', 'a\\b', "O'Brien", '(note) x', 'x <y>', 'a;b:c', 'a@b', ' lead',
                      'trail ', 'tab\tin', '%(app)s', '$X ${Y}', '#{1}', '[list]', 'a.b', 'a\\"b',
                      '=?', 'why=?not', 'a?=b', '=?a?x?y?=']   # look like the start of an encoded word only


def test_alertmanager_sends_from_exactly_the_sender_name_written(tmp_path):
    """Alertmanager parses smtp_from with Go's net/mail at send time only (amtool does not): mail each name."""
    with SmtpSandbox(security='plain') as sandbox:
        path = str(tmp_path / 'alertmanager.yml')
        server = None
        try:
            for index, name in enumerate(ASCII_SENDER_NAMES):
                settings_ = desired(server='127.0.0.1', port=sandbox.port, security='none',
                                    from_email='alerts@example.com', from_name=name)
                plan, _again = write('alertmanager', ALERTMANAGER_YML.replace('group_wait: 30s', 'group_wait: 0s'),
                                     settings_)
                with open(path, 'w', encoding='utf-8') as handle:
                    handle.write(plan.payload.replace("  smtp_auth_username: 'alertmanager'\n", '')
                                 .replace("  smtp_auth_password: 'password'\n", ''))
                if server is None:
                    server = Alertmanager(path).start()
                else:
                    server.reload()
                server.send_alert('Mailops%d' % index)
                assert sandbox.wait_for(lambda sb, count=index + 1: len(sb.messages) >= count, timeout=30), \
                    (name, server.log())
                message = email.message_from_bytes(sandbox.messages[index]['data'], policy=email.policy.default)
                (address,) = message['From'].addresses
                assert (address.display_name, address.addr_spec) == (name, 'alerts@example.com'), name
                assert sandbox.messages[index]['mail_from'] == 'alerts@example.com'
        finally:
            if server is not None:
                server.stop()


def test_alertmanager_non_ascii_sender_is_refused_because_alertmanager_garbles_the_from_header(tmp_path):
    """The reason for the refusal, shown on the real Alertmanager: the whole From value becomes one encoded-word."""
    with pytest.raises(SettingsError, match='from_name: alertmanager cannot store this setting: .*Q-encodes'):
        make('alertmanager').check(desired(server='mail.example.com:587', from_email='a@example.com',
                                           from_name='Ålerts'), 'present')
    with SmtpSandbox(security='plain') as sandbox:
        store = YamlStore.parse(ALERTMANAGER_YML.replace('group_wait: 30s', 'group_wait: 0s'))
        store.set(('global', 'smtp_smarthost'), '127.0.0.1:%d' % sandbox.port)
        store.set(('global', 'smtp_require_tls'), False)
        store.delete(('global', 'smtp_auth_username'))
        store.delete(('global', 'smtp_auth_password'))
        store.set(('global', 'smtp_from'), 'Ålerts <a@example.com>')
        path = str(tmp_path / 'alertmanager.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(store.render())
        with Alertmanager(path) as server:
            server.send_alert('MailopsTest')
            assert sandbox.wait_for(lambda sb: sb.messages, timeout=30), server.log()
        raw_from = email.message_from_bytes(sandbox.messages[0]['data'])['From']
        # one encoded-word holds name AND address, so a strict parser finds no valid address in the header
        assert raw_from.startswith('=?utf-8?q?') and raw_from.endswith('?=') and ' ' not in raw_from
        assert str(email.header.make_header(email.header.decode_header(raw_from))) == 'Ålerts <a@example.com>'
        parsed = email.message_from_bytes(sandbox.messages[0]['data'], policy=email.policy.default)['From']
        assert [address.addr_spec for address in parsed.addresses] != ['a@example.com'] and parsed.defects


def test_alertmanager_encoded_word_sender_is_refused_because_recipients_decode_it_quoted_or_not(tmp_path):
    """The reason for the refusal, shown on the real Alertmanager: it sends smtp_from as the From header, and a
    name that looks like an RFC 2047 encoded word reaches the recipient as 'x', written bare (what format_from
    used to write) or as a quoted string (Python's email decodes encoded words inside quotes too)."""
    with pytest.raises(SettingsError) as info:
        make('alertmanager').check(desired(server='mail.example.com:587', from_email='a@example.com',
                                           from_name='=?utf-8?q?x?='), 'present')
    assert info.value.option == 'from_name'
    assert str(info.value).startswith('from_name: cannot be stored in alertmanager because ')
    with SmtpSandbox(security='plain') as sandbox:
        store = YamlStore.parse(ALERTMANAGER_YML.replace('group_wait: 30s', 'group_wait: 0s'))
        store.set(('global', 'smtp_smarthost'), '127.0.0.1:%d' % sandbox.port)
        store.set(('global', 'smtp_require_tls'), False)
        store.delete(('global', 'smtp_auth_username'))
        store.delete(('global', 'smtp_auth_password'))
        path = str(tmp_path / 'alertmanager.yml')
        server = None
        try:
            for index, smtp_from in enumerate(['=?utf-8?q?x?= <a@example.com>', '"=?utf-8?q?x?=" <a@example.com>']):
                store.set(('global', 'smtp_from'), smtp_from)
                with open(path, 'w', encoding='utf-8') as handle:
                    handle.write(store.render())
                if server is None:
                    server = Alertmanager(path).start()
                else:
                    server.reload()
                server.send_alert('Mailops%d' % index)
                assert sandbox.wait_for(lambda sb, count=index + 1: len(sb.messages) >= count, timeout=30), \
                    server.log()
                message = sandbox.messages[index]
                assert message['mail_from'] == 'a@example.com'
                assert email.message_from_bytes(message['data'])['From'] == smtp_from   # sent as written
                parsed = email.message_from_bytes(message['data'], policy=email.policy.default)['From']
                assert [(address.display_name, address.addr_spec) for address in parsed.addresses] == \
                    [('x', 'a@example.com')]
        finally:
            if server is not None:
                server.stop()


def test_alertmanager_ipv6_smarthost_is_refused_because_alertmanager_cannot_dial_it(tmp_path):
    """The reason for the refusal, shown on the real Alertmanager: it dials ``::1:port`` without brackets."""
    with pytest.raises(SettingsError, match='server: alertmanager cannot store this setting: .*IPv6'):
        make('alertmanager').check(desired(server='[::1]:2525', security='none'), 'present')
    with SmtpSandbox(security='plain', host='::1') as sandbox:
        store = YamlStore.parse(ALERTMANAGER_YML.replace('group_wait: 30s', 'group_wait: 0s'))
        store.set(('global', 'smtp_smarthost'), '[::1]:%d' % sandbox.port)
        store.set(('global', 'smtp_require_tls'), False)
        path = str(tmp_path / 'alertmanager.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(store.render())
        assert check_config(path)[0]  # it loads ...
        with Alertmanager(path) as server:
            server.send_alert('MailopsTest')
            failed = sandbox.wait_for(lambda sb: 'too many colons in address' in server.log(), timeout=30)
            assert failed, server.log()  # ... but cannot connect
        assert sandbox.connections_accepted == 0 and not sandbox.messages


@pytest.mark.parametrize('params, option, words', [
    (dict(server='ssl://mail.example.com:2465'), 'security', '465'),
    (dict(server='mail.example.com:465', security='starttls'), 'security', 'implicit TLS on port 465'),
    (dict(server='mail.example.com:587', validate_certs=False), 'validate_certs', 'per receiver'),
    (dict(server='mail.example.com:587', from_email='a@example.com', from_name='{{ .X }}'), 'from_name',
     'Go template'),
    (dict(server='mail.example.com:587', username='u', auth=False), 'auth', 'user name'),
])
def test_alertmanager_refuses_what_it_cannot_store(params, option, words):
    with pytest.raises(SettingsError) as info:
        make('alertmanager').check(desired(**params), 'present')
    assert info.value.option == option and 'alertmanager' in str(info.value) and words in str(info.value)


# --------------------------------------------------------------------------- synapse (PyYAML + Synapse's rules)

# Synapse sends notif_from through Python's compat32 email policy: a non-ASCII sender is refused (test below)
ASCII_CHAR = st.characters(max_codepoint=0x7f, blacklist_categories=('Cs',), blacklist_characters='\r\n\x00')
SYNAPSE_NAMES = st.one_of(
    st.text(alphabet=ASCII_CHAR, min_size=1, max_size=20).filter(lambda s: s.strip()),
    st.sampled_from(['100% uptime', '%(app)s', 'Ops %% team', '%s %d', 'a%', '%(app)s notices from Example']))


@st.composite
def synapse_settings(draw):
    params = dict(server=draw(HOSTS), port=draw(st.integers(1, 65535)),
                  security=draw(st.sampled_from(['none', 'starttls', 'tls'])))
    if draw(st.booleans()):
        params.update(username=draw(USERS), password=draw(PASSWORDS))
    params['from_email'] = draw(st.sampled_from(['matrix@example.com', 'no.reply@sub.example.org']))
    if draw(st.booleans()):
        params['from_name'] = draw(SYNAPSE_NAMES)
    return desired(**params)


@settings(max_examples=15, deadline=None)
@given(batch=st.lists(synapse_settings(), min_size=1, max_size=4),
       app_name=st.sampled_from([None, 'Acme %(app)s Chat', 'Element']))
def test_synapse_reads_exactly_what_was_asked(batch, app_name):
    text = HOMESERVER_YAML
    if app_name is not None:
        text = text.replace('  #app_name: my_branded_matrix_server', '  app_name: "%s"' % app_name)
        assert 'app_name: "%s"' % app_name in text
    plans = [write('synapse', text, settings_) for settings_ in batch]
    rest = readers.synapse(text.replace('  #notif_from:', '  notif_from:'))['rest']
    for settings_, (plan, again), seen in zip(batch, plans, readers.synapse_many([p.payload for p, _a in plans])):
        assert not isinstance(seen, readers.Unreadable), seen  # Synapse would start and could send
        assert seen['smtp_host'] == settings_.host
        assert seen['smtp_port'] == settings_.port and isinstance(seen['smtp_port'], int)
        assert seen['force_tls'] is (settings_.security == 'tls')
        assert seen['require_transport_security'] is (settings_.security == 'starttls')
        assert seen['enable_tls'] is (settings_.security != 'none')
        if settings_.auth:
            assert seen['smtp_user'] == settings_.username and seen['smtp_pass'] == settings_.password
            assert seen['require_auth'] is True
        else:
            assert seen['smtp_user'] is None and seen['smtp_pass'] is None
        name, address = seen['from_parsed']
        assert address == settings_.from_email
        if settings_.from_name is not None:
            assert name == settings_.from_name  # literal, % and %(app)s included
        assert seen['rest'] == rest  # nothing outside email: changed
        assert again.changed is False and again.payload == plan.payload
        if settings_.password:
            assert settings_.password not in plan.after


def test_synapse_keeps_an_app_name_template_that_already_gives_the_sender():
    text = HOMESERVER_YAML.replace('  #notif_from: "%(app)s notices from Example <noreply@example.com>"',
                                   '  notif_from: "%(app)s notices from Example <noreply@example.com>"')
    settings_ = desired(server='mail.example.com:587', from_email='noreply@example.com',
                        from_name='Matrix notices from Example')
    plan, _again = write('synapse', text, settings_)
    assert '  notif_from: "%(app)s notices from Example <noreply@example.com>"\n' in plan.payload
    expected = ('Matrix notices from Example', 'noreply@example.com')
    assert readers.synapse(plan.payload)['from_parsed'] == expected


def test_synapse_reads_a_broken_percent_as_no_sender_and_rewrites_it():
    text = HOMESERVER_YAML.replace('  #notif_from: "%(app)s notices from Example <noreply@example.com>"',
                                   '  notif_from: "100% Matrix <noreply@example.com>"')
    with pytest.raises(readers.Unreadable):
        readers.synapse(text.replace('  #smtp_host: mail.server', '  smtp_host: mail.example.com'))
    profile = make('synapse')
    assert profile.extract(profile.parse(text))['from_email'] is None
    plan, _again = write('synapse', text, desired(server='mail.example.com:587', from_email='noreply@example.com',
                                                  from_name='100% Matrix'))
    assert readers.synapse(plan.payload)['from_parsed'] == ('100% Matrix', 'noreply@example.com')


@pytest.mark.parametrize('params, option, words', [
    (dict(server='mail.example.com:587', validate_certs=False, from_email='a@example.com'), 'validate_certs',
     'always verifies'),
    (dict(server='mail.example.com:587'), 'from_email', 'notif_from'),
    (dict(server='mail.example.com:587', from_email='a@example.com', from_name='J\u00f6rg'), 'from_name',
     'address included'),
])
def test_synapse_refuses_what_it_cannot_store(params, option, words):
    with pytest.raises(SettingsError) as info:
        write('synapse', HOMESERVER_YAML, desired(**params))
    assert info.value.option == option and 'synapse' in str(info.value) and words in str(info.value)


def test_synapse_non_ascii_sender_is_refused_because_synapse_encodes_the_whole_from_header():
    """The reason, on Synapse's own send step (synapse/handlers/send_email.py): ``multipart_msg["From"] =
    from_string`` then ``as_string()``. compat32 encodes a non-ASCII header whole, address included, so a strict
    reader finds no valid address; an ASCII one is sent as written."""
    from email.mime.multipart import MIMEMultipart

    def synapse_sends(from_string):
        multipart_msg = MIMEMultipart('alternative')
        multipart_msg['From'] = from_string
        sent = multipart_msg.as_string()
        raw = [line for line in sent.split('\n') if line.startswith('From: ')][0]
        return raw, email.message_from_string(sent, policy=email.policy.default)['From']

    raw, garbled = synapse_sends('"J\u00f6rg Ops" <matrix@example.com>')
    assert raw.startswith('From: =?utf-8?') and 'matrix@example.com' not in raw   # the address is encoded too
    assert [address.addr_spec for address in garbled.addresses] != ['matrix@example.com'] and garbled.defects
    raw, plain = synapse_sends('"Ops, Matrix" <matrix@example.com>')
    assert raw == 'From: "Ops, Matrix" <matrix@example.com>'
    assert [(a.display_name, a.addr_spec) for a in plain.addresses] == [('Ops, Matrix', 'matrix@example.com')]
    for name in ('J\u00f6rg Ops', '\u65e5\u672c'):
        with pytest.raises(SettingsError) as info:
            make('synapse').check(desired(server='mail.example.com:587', from_email='matrix@example.com',
                                          from_name=name), 'present')
        assert info.value.option == 'from_name' and 'synapse cannot store this setting' in str(info.value)
    # a non-ASCII name already in the file is refused only when a new address would rewrite the line
    text = HOMESERVER_YAML.replace('  #notif_from: "%(app)s notices from Example <noreply@example.com>"',
                                   '  notif_from: "J\u00f6rg <noreply@example.com>"')
    kept, _again = write('synapse', text, desired(server='mail.example.com:587', from_email='noreply@example.com'))
    assert '  notif_from: "J\u00f6rg <noreply@example.com>"\n' in kept.payload
    with pytest.raises(SettingsError) as info:
        write('synapse', text, desired(server='mail.example.com:587', from_email='new@example.com'))
    assert info.value.option == 'from_name' and str(info.value).endswith('give from_name')


def test_synapse_refuses_to_read_a_tab_in_a_plain_value_which_synapse_cannot_load():
    """PyYAML's pure loader (Synapse's yaml.safe_load) rejects a tab inside a plain scalar; libyaml would not."""
    sample = fixture_text('synapse', 'homeserver-configured.yaml')
    text = sample.replace('  #smtp_pass: "examplepassword"', '  smtp_pass: pass\tword')
    with pytest.raises(readers.Unreadable, match='ScannerError'):
        readers.synapse(text)
    profile = make('synapse')
    with pytest.raises(StoreError, match='a tab outside quotes, which PyYAML cannot read'):
        profile.extract(profile.parse(text))
