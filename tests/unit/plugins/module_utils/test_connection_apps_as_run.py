"""What running the real Alertmanager and Synapse showed (tests/integration/
test_app_connects_synapse_alertmanager_postfix.py), pinned down as unit tests of the profiles and the probe.

* Alertmanager (notify/email/email.go ``Email.auth``) takes the first mechanism of the SERVER's AUTH list that it
  knows: the test does the same (``mechanism_order='server'``). Its PLAIN is Go's ``net/smtp.PlainAuth``, which
  sends no password without TLS except to localhost: a login with ``security: none`` to another host is refused.
* Synapse verifies the certificate against ``email.tlsname`` when it is set: the profile removes it, and reads a
  ``tlsname`` other than ``smtp_host`` as drift.
"""

import pytest
import yaml

from probe_call import probe_call
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

USER, PASSWORD = 'mailer@example.com', 'Serv3r order'


def desired(**params):
    base = dict(server='smtp.example.com', port=587, security='starttls', validate_certs=True,
                username=USER, password=PASSWORD, from_email=USER)
    base.update(params)
    return settings_from_params(base)


# aiosmtpd lists its mechanisms sorted: LOGIN before PLAIN
@pytest.mark.parametrize('order, used', [('server', 'LOGIN'), ('app', 'PLAIN')])
def test_the_probe_takes_the_servers_first_mechanism_where_the_app_does(smtp_sandbox, order, used):
    sb = smtp_sandbox(security='tls', users={USER: PASSWORD})
    result = probe_call(sb.server, ca_path=sb.ca_path, username=USER, password=PASSWORD, level='auth',
                        mechanisms=('PLAIN', 'LOGIN'), mechanism_order=order, timeout=3, deadline=8, suggest=False)
    assert result['ok'], result['msg']
    assert result['probe']['auth_mechanism'] == used


def test_alertmanager_tests_in_the_servers_order():
    profile = get_profile('alertmanager')(None, dict(path='/etc/alertmanager/alertmanager.yml'))
    assert profile.mechanism_order() == 'server'
    assert get_profile('synapse')(None, dict(path='/etc/matrix-synapse/homeserver.yaml')).mechanism_order() == 'app'


@pytest.mark.parametrize('host', ['smtp.example.com', '192.0.2.7', 'localhost.'])
def test_alertmanager_login_without_tls_to_another_host_than_localhost_is_refused(host):
    profile = get_profile('alertmanager')(None, dict(path='/etc/alertmanager/alertmanager.yml'))
    with pytest.raises(SettingsError) as info:
        profile.check(desired(server=host, port=25, security='none'), 'present')
    assert info.value.option == 'auth'
    assert 'unencrypted connection' in str(info.value) and 'alertmanager' in str(info.value)


@pytest.mark.parametrize('host', ['localhost', '127.0.0.1'])
def test_alertmanager_login_without_tls_to_localhost_is_what_go_allows(host):
    profile = get_profile('alertmanager')(None, dict(path='/etc/alertmanager/alertmanager.yml'))
    profile.check(desired(server=host, port=25, security='none'), 'present')
    profile.check(desired(server='smtp.example.com', port=25, security='none', username=None, password=None,
                          auth=False), 'present')


def _synapse(tmp_path, email):
    path = tmp_path / 'homeserver.yaml'
    path.write_text('server_name: example.test\nemail:\n' + ''.join('  %s: %s\n' % kv for kv in email.items()))
    return get_profile('synapse')(None, dict(path=str(path)))


def test_synapse_tlsname_is_removed_so_synapse_checks_the_name_the_test_checked(tmp_path):
    profile = _synapse(tmp_path, dict(smtp_host='smtp.example.com', tlsname='old-relay.example.net',
                                      notif_from="'Matrix <mailer@example.com>'"))
    snapshot = profile.read()
    assert snapshot.stored['validate_certs'] is None  # checked against another name: drift
    settings_ = desired()
    profile.check(settings_, 'present')
    written = yaml.safe_load(profile.plan(snapshot, settings_, 'present', 'always').payload)['email']
    assert 'tlsname' not in written and written['smtp_host'] == 'smtp.example.com'


def test_synapse_tlsname_equal_to_the_host_is_no_drift(tmp_path):
    profile = _synapse(tmp_path, dict(smtp_host='smtp.example.com', tlsname='smtp.example.com',
                                      notif_from='mailer@example.com'))
    assert profile.read().stored['validate_certs'] is True
