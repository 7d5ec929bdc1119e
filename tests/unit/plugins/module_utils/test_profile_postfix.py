"""The postfix profile against Postfix's own tools: main.cf read back with ``postconf -c DIR -xh``, the SASL
map compiled by ``postmap`` and read back with ``postmap -q`` -- the values the Postfix SMTP client uses."""

import os
import shutil
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures')
POSTCONF = '/usr/sbin/postconf'
POSTMAP = '/usr/sbin/postmap'


def fixture_text(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8') as handle:
        return handle.read()


MAIN_CF = fixture_text('postfix', 'main.cf')
with open(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'postfix', 'main.cf.dist'),
          encoding='utf-8') as _handle:
    # main.cf.dist's documentation (its #relayhost examples among it) over a live Debian main.cf: the dist file's
    # own active lines (empty setgid_group =, ...) are a template that Postfix refuses to run with
    DIST_DOCUMENTED = ''.join(line for line in _handle.readlines() if line.startswith('#') or not line.strip())
    DIST_DOCUMENTED += MAIN_CF.replace('relayhost = \n', '')


class HostTools(object):
    """The parts of AnsibleModule the postfix profile uses, running the real commands on this host."""

    def __init__(self):
        self.params = {}
        self.check_mode = False

    @staticmethod
    def get_bin_path(name, opt_dirs=None, required=False):
        return shutil.which(name, path=os.pathsep.join((opt_dirs or []) + ['/usr/sbin', '/usr/bin']))

    @staticmethod
    def run_command(args):
        done = subprocess.run(args, capture_output=True, check=False)
        return done.returncode, done.stdout.decode('utf-8'), done.stderr.decode('utf-8')

    @staticmethod
    def selinux_enabled():
        return False


def age(path):
    """Postfix naps until a just-written main.cf is a second old; tests age their files instead of sleeping."""
    past = time.time() - 10
    os.utime(path, (past, past))


def config_dir(tmp_path, text=MAIN_CF, map_text=None):
    directory = str(tmp_path)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            os.unlink(path)
    with open(os.path.join(directory, 'main.cf'), 'w', encoding='utf-8', newline='') as handle:
        handle.write(text)
    open(os.path.join(directory, 'master.cf'), 'w').close()
    age(os.path.join(directory, 'main.cf'))
    if map_text is not None:
        with open(os.path.join(directory, 'sasl_passwd'), 'w', encoding='utf-8') as handle:
            handle.write(map_text)
        os.chmod(os.path.join(directory, 'sasl_passwd'), 0o600)
    return directory


def profile_for(directory, **params):
    params.setdefault('path', os.path.join(directory, 'main.cf'))
    return get_profile('postfix')(HostTools(), params)


def desired(**params):
    params.setdefault('validate_certs', True)
    return settings_from_params(params)


def apply(directory, settings_, state='present', update_password='always', **params):
    """read -> plan -> commit, as _outgoing runs it; returns the plan."""
    profile = profile_for(directory, **params)
    if settings_ is not None:
        profile.check(settings_, state)
    snapshot = profile.read()
    plan = profile.plan(snapshot, settings_, state, update_password)
    if plan.changed:
        profile.commit(plan)
        age(os.path.join(directory, 'main.cf'))
    return plan


def postconf(directory, *names):
    done = subprocess.run([POSTCONF, '-c', directory, '-xh'] + list(names), capture_output=True, check=True)
    return dict(zip(names, done.stdout.decode('utf-8').split('\n')))


def postmap_q(directory, key, table=None):
    table = table or 'hash:%s/sasl_passwd' % directory
    done = subprocess.run([POSTMAP, '-c', directory, '-q', key, table], capture_output=True, check=False)
    return done.stdout.decode('utf-8').rstrip('\n') if done.returncode == 0 else None


def test_debian_main_cf_gets_the_relay_with_sasl_and_only_those_lines_change(tmp_path):
    directory = config_dir(tmp_path)
    settings_ = desired(server='tls://smtp.example.com:587', username='relay@example.com', password='pa:ss word#1',
                        ca_path='/etc/ssl/certs/ca-certificates.crt', from_email='host@example.com')
    plan = apply(directory, settings_)
    assert plan.changed
    read = postconf(directory, 'relayhost', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps',
                    'smtp_sasl_security_options', 'smtp_tls_security_level', 'smtp_tls_wrappermode',
                    'smtp_tls_CAfile', 'sender_canonical_maps', 'mydestination', 'smtp_tls_CApath')
    assert read == {
        'relayhost': '[smtp.example.com]:587',
        'smtp_sasl_auth_enable': 'yes',
        'smtp_sasl_password_maps': 'hash:%s/sasl_passwd' % directory,
        'smtp_sasl_security_options': 'noanonymous',
        'smtp_tls_security_level': 'verify',
        'smtp_tls_wrappermode': 'no',
        'smtp_tls_CAfile': '/etc/ssl/certs/ca-certificates.crt',
        'sender_canonical_maps': 'static:host@example.com',
        'mydestination': '$myhostname, host.example.com, localhost.example.com, localhost'.replace(
            '$myhostname', 'host.example.com'),
        'smtp_tls_CApath': '/etc/ssl/certs',  # the Debian default from main.cf.tls, kept
    }
    assert postmap_q(directory, '[smtp.example.com]:587') == 'relay@example.com:pa:ss word#1'
    assert oct(os.stat(os.path.join(directory, 'sasl_passwd')).st_mode & 0o777) == '0o600'
    assert oct(os.stat(os.path.join(directory, 'sasl_passwd.db')).st_mode & 0o777) == '0o600'
    with open(os.path.join(directory, 'main.cf'), encoding='utf-8') as handle:
        new = handle.read()
    old_lines = MAIN_CF.splitlines()
    new_lines = new.splitlines()
    changed = [line for line in new_lines if line not in old_lines]
    assert sorted(line.split('=')[0].strip() for line in changed) == sorted([
        'relayhost', 'smtp_tls_security_level', 'smtp_sasl_auth_enable', 'smtp_sasl_security_options',
        'smtp_sasl_password_maps', 'smtp_tls_CAfile', 'sender_canonical_maps'])
    gone = sorted(line for line in old_lines if line not in new_lines)
    assert gone == ['relayhost = ', 'smtp_tls_security_level=may']
    # the password is in no diff
    assert 'pa:ss word#1' not in plan.before + plan.after
    assert 'relay@example.com:********' in plan.after
    # a second run: nothing to do, read through postconf and postmap -q
    again = apply(directory, settings_)
    assert again.changed is False
    stored = profile_for(directory).read().stored
    assert (stored['host'], stored['port'], stored['security'], stored['validate_certs']) == \
        ('smtp.example.com', 587, 'starttls', True)
    assert (stored['username'], stored['password'], stored['from_email']) == \
        ('relay@example.com', 'pa:ss word#1', 'host@example.com')


def test_implicit_tls_without_verification_and_a_new_relay_drops_the_old_credentials(tmp_path):
    directory = config_dir(tmp_path, map_text='# relays\nsender@example.com other:secret\n')
    apply(directory, desired(server='tls://old.example.com:587', username='u', password='old-secret'))
    assert postmap_q(directory, '[old.example.com]:587') == 'u:old-secret'
    plan = apply(directory, desired(server='ssl://new.example.com:465', validate_certs=False, username='u',
                                    password='new-secret'))
    assert plan.changed
    read = postconf(directory, 'relayhost', 'smtp_tls_security_level', 'smtp_tls_wrappermode')
    assert read == {'relayhost': '[new.example.com]:465', 'smtp_tls_security_level': 'encrypt',
                    'smtp_tls_wrappermode': 'yes'}
    assert postmap_q(directory, '[new.example.com]:465') == 'u:new-secret'
    assert postmap_q(directory, '[old.example.com]:587') is None
    assert postmap_q(directory, 'sender@example.com') == 'other:secret'  # not ours: kept
    assert 'old-secret' not in plan.before and 'other:secret' not in plan.before + plan.after


def test_stale_compiled_map_is_drift_and_postmap_runs_again(tmp_path):
    directory = config_dir(tmp_path)
    settings_ = desired(server='tls://smtp.example.com:587', username='u', password='right')
    apply(directory, settings_)
    map_path = os.path.join(directory, 'sasl_passwd')
    with open(map_path, 'w') as handle:  # someone edits the source and forgets postmap
        handle.write('[smtp.example.com]:587 u:edited\n')
    profile = profile_for(directory)
    assert profile.read().stored['password'] == 'right'  # what Postfix reads is the compiled map
    plan = apply(directory, settings_)
    assert plan.changed
    assert postmap_q(directory, '[smtp.example.com]:587') == 'u:right'
    with open(map_path, 'w') as handle:
        handle.write('[smtp.example.com]:587 u:right\n')
    assert apply(directory, settings_).changed is False


def test_existing_map_named_in_main_cf_is_used_and_references_are_expanded(tmp_path):
    text = MAIN_CF + 'smtp_sasl_password_maps = lmdb:${config_directory}/relay_credentials\n'
    directory = config_dir(tmp_path, text)
    apply(directory, desired(server='tls://smtp.example.com:587', username='u', password='p$1'))
    assert postconf(directory, 'smtp_sasl_password_maps')['smtp_sasl_password_maps'] == \
        'lmdb:%s/relay_credentials' % directory
    with open(os.path.join(directory, 'main.cf'), encoding='utf-8') as handle:
        assert 'smtp_sasl_password_maps = lmdb:${config_directory}/relay_credentials\n' in handle.read()
    assert postmap_q(directory, '[smtp.example.com]:587', 'lmdb:%s/relay_credentials' % directory) == 'u:p$1'


def test_state_absent_removes_the_relay_and_its_credentials(tmp_path):
    directory = config_dir(tmp_path)
    apply(directory, desired(server='tls://smtp.example.com:587', username='u', password='p',
                             from_email='a@example.com'))
    plan = apply(directory, None, state='absent')
    assert plan.changed
    read = postconf(directory, 'relayhost', 'smtp_sasl_auth_enable', 'sender_canonical_maps')
    assert read == {'relayhost': '', 'smtp_sasl_auth_enable': 'no', 'sender_canonical_maps': ''}
    assert postmap_q(directory, '[smtp.example.com]:587') is None


@pytest.mark.parametrize('params, option', [
    (dict(server='tls://s.example.com:587', username='us:er', password='Zq8-secret'), 'username'),
    (dict(server='tls://s.example.com:587', username='u', password='Zq8-trailing '), 'password'),
    (dict(server='tls://s.example.com:587', from_name='Host'), 'from_name'),
    (dict(server='tls://s.example.com;tls://t.example.com'), 'server'),
    (dict(server='tls://s.example.com:587', ca_path='/etc/my ca.pem'), 'ca_path'),
])
def test_what_postfix_cannot_store_is_refused_naming_the_option(tmp_path, params, option):
    directory = config_dir(tmp_path)
    with pytest.raises(SettingsError) as info:
        apply(directory, desired(**params))
    assert info.value.option == option
    assert 'postfix' in str(info.value)
    with open(os.path.join(directory, 'main.cf'), encoding='utf-8') as handle:
        assert handle.read() == MAIN_CF
    assert not os.path.exists(os.path.join(directory, 'sasl_passwd'))
    if 'password' in params:
        assert params['password'] not in str(info.value)


def test_sender_canonical_maps_owned_by_someone_else_is_not_replaced(tmp_path):
    directory = config_dir(tmp_path, MAIN_CF + 'sender_canonical_maps = hash:/etc/postfix/canonical\n')
    with pytest.raises(SettingsError) as info:
        apply(directory, desired(server='tls://s.example.com:587', from_email='a@example.com'))
    assert info.value.option == 'from_email'


def test_a_password_map_postmap_cannot_edit_is_refused_when_auth_is_needed(tmp_path):
    directory = config_dir(tmp_path, MAIN_CF + 'smtp_sasl_password_maps = proxy:mysql:/etc/postfix/sasl.cf\n')
    with pytest.raises(StoreError, match='smtp_sasl_password_maps'):
        apply(directory, desired(server='tls://s.example.com:587', username='u', password='p'))
    plan = apply(directory, desired(server='tls://s.example.com:587'))  # no auth: the map is not needed
    assert plan.changed


secret = st.text(st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='\x85\u2028\u2029'),
                 min_size=1, max_size=24).filter(lambda s: s == s.rstrip() and '********' not in s)
user = st.text(st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters=':\x85\u2028\u2029'),
               min_size=1, max_size=16).filter(lambda s: s == s.strip() and '********' not in s)
address = st.sampled_from(['noreply@example.com', 'ops$team@example.org', "o'hara@sub.example.net"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.sampled_from(['smtp.example.com', 'Mail.Example.ORG', '192.0.2.25', 'xn--bcher-kva.example',
                             '2001:db8::25']),
       port=st.integers(min_value=1, max_value=65535), security=st.sampled_from(['none', 'starttls', 'tls']),
       validate=st.booleans(), username=user, password=secret, from_email=st.none() | address,
       base=st.sampled_from(['debian', 'dist', 'empty-map']))
def test_postfix_reads_exactly_what_was_written(tmp_path, host, port, security, validate, username, password,
                                                from_email, base):
    """Property: whatever the profile accepts, Postfix (postconf -xh, postmap -q) reads back exactly, and a
    second run changes nothing."""
    text = DIST_DOCUMENTED if base == 'dist' else MAIN_CF
    directory = config_dir(tmp_path, text, map_text='' if base == 'empty-map' else None)
    params = dict(server=host, port=port, security=security, username=username, password=password,
                  from_email=from_email)
    if security != 'none':
        params['validate_certs'] = validate
    settings_ = desired(**params)
    apply(directory, settings_)
    key = '[%s]:%d' % (settings_.host.lower(), port)
    read = postconf(directory, 'relayhost', 'smtp_tls_security_level', 'smtp_tls_wrappermode',
                    'sender_canonical_maps', 'smtp_sasl_auth_enable')
    assert read['relayhost'] == key
    assert read['smtp_tls_wrappermode'] == ('yes' if security == 'tls' else 'no')
    expected_level = 'none' if security == 'none' else ('verify' if validate else 'encrypt')
    assert read['smtp_tls_security_level'] == expected_level
    assert read['smtp_sasl_auth_enable'] == 'yes'
    assert read['sender_canonical_maps'] == ('static:%s' % from_email if from_email else '')
    assert postmap_q(directory, key) == '%s:%s' % (username, password)
    if from_email:
        done = subprocess.run([POSTMAP, '-c', directory, '-q', 'anyone@anywhere.test', read['sender_canonical_maps']],
                              capture_output=True, check=True)
        assert done.stdout.decode('utf-8').rstrip('\n') == from_email
    assert apply(directory, settings_).changed is False


def test_backup_keeps_the_old_main_cf_and_map_0600(tmp_path):
    directory = config_dir(tmp_path, map_text='[old.example.com]:587 u:old-secret\n')
    profile = profile_for(directory, backup=True)
    settings_ = desired(server='tls://smtp.example.com:587', username='u', password='new-secret')
    plan = profile.plan(profile.read(), settings_, 'present', 'always')
    result = profile.commit(plan)
    with open(result['backup_file'], encoding='utf-8') as handle:
        assert handle.read() == MAIN_CF
    with open(result['map_backup_file'], encoding='utf-8') as handle:
        assert handle.read() == '[old.example.com]:587 u:old-secret\n'
    for path in (result['backup_file'], result['map_backup_file']):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert postmap_q(directory, '[smtp.example.com]:587') == 'u:new-secret'


def test_oauth2_is_refused_without_a_sasl_xoauth2_plugin_and_the_plugin_is_found(tmp_path):
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles import postfix
    directory = config_dir(tmp_path)
    settings = settings_from_params(dict(server='tls://smtp.office365.com:587', username='crm@example.com',
                                         oauth2=dict(access_token='a-ready-token')))
    profile = profile_for(directory)
    with pytest.raises(SettingsError) as info:
        profile.check(settings, 'present')
    if postfix.find_xoauth2_plugin() is None:   # this host has no plugin: the refusal says what to install
        assert info.value.option == 'oauth2' and 'SASL XOAUTH2 plugin' in str(info.value)
        assert 'none is installed' in str(info.value)
    plugins = tmp_path / 'sasl2'
    plugins.mkdir()
    assert postfix.find_xoauth2_plugin((str(plugins),)) is None
    (plugins / 'libxoauth2.so.0.0.0').write_bytes(b'')
    assert postfix.find_xoauth2_plugin(('/nonexistent', str(plugins))) == str(plugins / 'libxoauth2.so.0.0.0')
