# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings model: validation, defaults, contradictions, masking and drift."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._settings import (
    MASK,
    compute_drift,
    is_address,
    mask_model,
    settings_from_params,
)


def build(**params):
    params.setdefault('validate_certs', True)
    return settings_from_params(params)


@pytest.mark.parametrize('server, port, security, expected', [
    ('smtp.example.com', None, None, ('smtp.example.com', 587, 'starttls')),
    ('smtp.example.com:465', None, None, ('smtp.example.com', 465, 'tls')),
    ('tls://smtp.example.com:587', None, None, ('smtp.example.com', 587, 'starttls')),
    ('ssl://smtp.example.com', None, None, ('smtp.example.com', 465, 'tls')),
    ('smtps://smtp.example.com', None, None, ('smtp.example.com', 465, 'tls')),
    ('smtp://smtp.example.com', None, None, ('smtp.example.com', 25, 'none')),
    ('smtp.example.com', 2525, 'none', ('smtp.example.com', 2525, 'none')),
    ('[2001:db8::1]:587', None, None, ('2001:db8::1', 587, 'starttls')),
    ('bücher.example', None, 'tls', ('xn--bcher-kva.example', 465, 'tls')),
])
def test_server_syntax_gives_host_port_security(server, port, security, expected):
    settings = build(server=server, port=port, security=security)
    assert (settings.host, settings.port, settings.security) == expected


def test_auth_defaults_to_true_when_username_is_set():
    assert build(server='smtp.example.com', username='u@example.com', password='pw').auth is True
    assert build(server='smtp.example.com').auth is False


@pytest.mark.parametrize('params, option', [
    (dict(server='smtp.example.com', auth=True), 'auth'),
    (dict(server='smtp.example.com', password='pw'), 'password'),
    (dict(server='smtp.example.com', username='u', password='pw', auth=False), 'auth'),
    (dict(server='ssl://smtp.example.com', security='starttls'), 'security'),
    (dict(server='smtp.example.com', port=70000), 'port'),
    (dict(server='ftp://smtp.example.com'), 'server'),
    (dict(server='smtp.example.com', from_email='not-an-address'), 'from_email'),
    (dict(server='smtp.example.com', from_email='a@b@'), 'from_email'),
    (dict(server='smtp.example.com', from_name='Evil\r\nBcc: x@example.com'), 'from_name'),
    (dict(server='smtp.example.com', username='u\nx', password='pw'), 'username'),
    (dict(server='smtp.example.com', validate_certs=False, ca_path='/tmp/ca.pem'), 'ca_path'),
    (dict(server='smtp://smtp.example.com', validate_certs=False), 'validate_certs'),
    (dict(server=''), 'server'),
])
def test_bad_input_names_the_option(params, option):
    with pytest.raises(SettingsError) as info:
        build(**params)
    assert info.value.option == option
    assert option in str(info.value)


@pytest.mark.parametrize('bad', ['\r', '\n', '\x00'])
def test_control_characters_in_the_password_are_refused_without_quoting_it(bad):
    secret = 'Secret%sBcc' % bad
    with pytest.raises(SettingsError) as info:
        build(server='smtp.example.com', username='u@example.com', password=secret)
    assert info.value.option == 'password'
    assert 'Secret' not in str(info.value)


@pytest.mark.parametrize('address, ok', [
    ('user@example.com', True),
    ('first.last+tag@sub.example.org', True),
    ('root@localhost', True),
    ('user@[192.0.2.1]', True),
    ('user@bücher.example', True),
    ('jörg@example.org', True),              # RFC 6531 (SMTPUTF8) local part: the probe sends it with SMTPUTF8
    ('a\u2028b@example.org', False),
    ('user', False),
    ('@example.com', False),
    ('user@', False),
    ('a..b@example.com', False),
    ('user@example', False),
    ('"Name" <user@example.com>', False),
    ('user@-bad.example', False),
])
def test_address_syntax(address, ok):
    assert is_address(address) is ok


def test_model_masks_the_password():
    model = build(server='smtp.example.com', username='u@example.com', password='hunter2').model()
    assert model['password'] == MASK
    assert model['password_set'] is True
    assert 'hunter2' not in repr(model)
    assert mask_model(None) is None


def test_drift_lists_changed_settings_with_masked_passwords():
    stored = build(server='old.example.com:25', security='none', username='u@example.com',
                   password='old-secret').values()
    desired = build(server='tls://new.example.com:587', username='u@example.com', password='new-secret').values()
    drift = compute_drift(stored, desired)
    settings = [item['setting'] for item in drift]
    assert settings == ['host', 'port', 'security', 'password']
    assert drift[-1] == {'setting': 'password', 'before': MASK, 'after': MASK}
    assert 'secret' not in repr(drift)
    assert compute_drift(stored, desired, keep_stored_secret=True)[-1]['setting'] == 'security'
    assert compute_drift(desired, desired) == []


hosts = st.sampled_from(['smtp.example.com', 'mail.example.org', '127.0.0.1', '::1', 'bücher.example'])
secure = st.sampled_from([None, 'none', 'starttls', 'tls'])
ports = st.one_of(st.none(), st.integers(min_value=1, max_value=65535))
text = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\r\n\x00'),
               min_size=1, max_size=20)


@given(host=hosts, port=ports, security=secure, password=st.one_of(st.none(), text))
def test_model_round_trips_through_its_own_server_string(host, port, security, password):
    params = dict(server=host, port=port, security=security)
    if password is not None:
        params.update(username='user@example.com', password=password)
    settings = build(**params)
    again = build(server=settings.server, username=settings.username, password=settings.password)
    assert again.values() == settings.values()
    model = settings.model()
    assert model['password_set'] is (password is not None)
    if password is not None:
        assert model['password'] == MASK
    assert compute_drift(settings.values(), again.values()) == []
