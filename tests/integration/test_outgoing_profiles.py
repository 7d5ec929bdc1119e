# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""outgoing_server on every file profile, through ansible-playbook, against a real SMTP sandbox.

For each fixture (shaped like the real upstream files: commented samples, legacy keys, var_export PHP,
string ports, Ruby symbols) the same cycle runs: check mode predicts a change and leaves the file identical;
apply changes only the profile's keys and the result parses under the app's own rules with the right values;
a second run reports changed=false and does not touch the file; a failing SMTP test (wrong password) fails
with diagnosis category auth_failed and leaves the file identical. No password (new or old) is shown.
"""

import email.utils
import os
import shutil
import subprocess

import pytest
import readers

from outgoing_helpers import (
    HOST_TRUST_ENV,
    assert_only_lines_about,
    file_state,
    fixture_copy,
    parse_env,
    parse_file_state,
    parse_ini,
    parse_json,
    parse_php,
    parse_yaml,
    private_ca,
    run_hosts,
)
from smtp_sandbox import SmtpSandbox

USER = 'mailer@example.com'
# Discourse's launcher drops backslashes (the module refuses them, see test_app_readers.py): its own account.
FORUM_USER = 'forum@example.com'
FORUM_PASSWORD = 'S3cr3t #;\'"x forum'
PASSWORD = 'S3cr3t #;\'"\\x'
FROM = 'noreply@example.com'
OTHER_UID = 65534  # nobody


def grafana_check(before, after, ctx):
    smtp = {k: v for (s, k), v in after.items() if s == 'smtp'}
    assert smtp['enabled'] == 'true'
    assert smtp['host'] == '127.0.0.1:%d' % ctx['port']
    assert smtp['user'] == USER
    assert smtp['password'] == PASSWORD
    assert smtp['skip_verify'] == 'false'
    assert smtp['from_address'] == FROM
    assert smtp['from_name'] == 'Grafana Alerts'
    assert smtp['startTLS_policy'] == 'MandatoryStartTLS'
    assert {k: v for k, v in after.items() if k[0] != 'smtp'} == {k: v for k, v in before.items() if k[0] != 'smtp'}


def gitea_check(before, after, ctx):
    mailer = {k: v for (s, k), v in after.items() if s == 'mailer'}
    assert mailer['ENABLED'] == 'true'
    assert mailer['PROTOCOL'] == 'smtp+starttls'
    assert mailer['SMTP_ADDR'] == '127.0.0.1'
    assert mailer['SMTP_PORT'] == str(ctx['port'])
    assert mailer['USER'] == USER
    assert mailer['PASSWD'] == PASSWORD
    assert mailer['FORCE_TRUST_SERVER_CERT'] == 'false'
    for legacy in ('HOST', 'IS_TLS_ENABLED', 'SKIP_VERIFY', 'MAILER_TYPE'):
        assert legacy not in mailer
    assert {k: v for k, v in after.items() if k[0] != 'mailer'} == {k: v for k, v in before.items() if k[0] != 'mailer'}
    return mailer


def gitea_new_check(before, after, ctx):
    mailer = gitea_check(before, after, ctx)
    assert mailer['FROM'] == FROM


def gitea_legacy_check(before, after, ctx):
    mailer = gitea_check(before, after, ctx)
    # the stored sender name is kept, written as a quoted-string (Go's net/mail reads it back exactly)
    assert mailer['FROM'] == '"Git Server" <%s>' % FROM


NC_KEYS = ('mail_smtpmode', 'mail_smtphost', 'mail_smtpport', 'mail_smtpsecure', 'mail_smtpauth', 'mail_smtpname',
           'mail_smtppassword', 'mail_from_address', 'mail_domain', 'mail_smtpstreamoptions')


def nextcloud_check(before, after, ctx):
    assert after['mail_smtpmode'] == 'smtp'
    assert after['mail_smtphost'] == '127.0.0.1'
    assert after['mail_smtpport'] == ctx['port'] and isinstance(after['mail_smtpport'], int)
    assert after['mail_smtpsecure'] == ''
    assert after['mail_smtpauth'] is True
    assert after['mail_smtpname'] == USER
    assert after['mail_smtppassword'] == PASSWORD
    assert after['mail_from_address'] == 'noreply'
    assert after['mail_domain'] == 'example.com'
    assert {k: v for k, v in after.items() if k not in NC_KEYS} == {k: v for k, v in before.items() if k not in NC_KEYS}


MM_KEYS = ('SMTPServer', 'SMTPPort', 'ConnectionSecurity', 'EnableSMTPAuth', 'SMTPUsername', 'SMTPPassword',
           'SkipServerCertificateVerification', 'FeedbackEmail', 'FeedbackName')


def mattermost_check(before, after, ctx):
    email = after['EmailSettings']
    assert email['SMTPServer'] == '127.0.0.1'
    assert email['SMTPPort'] == str(ctx['port'])  # a JSON string
    assert email['ConnectionSecurity'] == 'STARTTLS'
    assert email['EnableSMTPAuth'] is True
    assert email['SMTPUsername'] == USER
    assert email['SMTPPassword'] == PASSWORD
    assert email['SkipServerCertificateVerification'] is False
    assert email['FeedbackEmail'] == FROM
    assert email['FeedbackName'] == 'Mattermost'
    rest_after = {k: v for k, v in email.items() if k not in MM_KEYS}
    rest_before = {k: v for k, v in before['EmailSettings'].items() if k not in MM_KEYS}
    assert rest_after == rest_before
    assert {k: v for k, v in after.items() if k != 'EmailSettings'} == \
        {k: v for k, v in before.items() if k != 'EmailSettings'}


def redmine_default_check(before, after, ctx):
    delivery = after['default']['email_delivery']
    assert delivery['delivery_method'] == ':smtp'
    smtp = delivery['smtp_settings']
    assert smtp == {'address': '127.0.0.1', 'port': ctx['port'], 'authentication': ':login', 'user_name': USER,
                    'password': PASSWORD, 'enable_starttls': True, 'enable_starttls_auto': False,  # required
                    'ca_file': ctx['ca_path']}
    assert {k: v for k, v in after['default'].items() if k != 'email_delivery'} == \
        {k: v for k, v in before['default'].items() if k != 'email_delivery'}
    assert after['production'] is None and after['development'] is None
    seen = readers.redmine(ctx['text'], env='production')['email_delivery']  # ERB, then Psych, as Redmine
    assert seen['delivery_method'] == readers.Symbol('smtp')
    assert seen['smtp_settings']['authentication'] == readers.Symbol('login')
    assert (seen['smtp_settings']['user_name'], seen['smtp_settings']['password']) == (USER, PASSWORD)


def redmine_production_check(before, after, ctx):
    assert after['default'] == before['default']  # :sendmail in default: untouched
    delivery = after['production']['email_delivery']
    assert delivery['delivery_method'] == ':smtp'
    smtp = delivery['smtp_settings']
    assert smtp['address'] == '127.0.0.1' and smtp['port'] == ctx['port']
    assert smtp['authentication'] == ':plain'  # the existing Ruby symbol is kept
    assert smtp['domain'] == 'example.com'
    assert smtp['user_name'] == USER and smtp['password'] == PASSWORD
    assert smtp['enable_starttls'] is True and smtp['enable_starttls_auto'] is False  # required STARTTLS
    assert smtp['ca_file'] == ctx['ca_path']
    assert after['production']['scm_subversion_command'] == 'svn'
    seen = readers.redmine(ctx['text'], env='production')['email_delivery']  # ERB, then Psych, as Redmine
    assert seen['delivery_method'] == readers.Symbol('smtp')
    assert seen['smtp_settings']['authentication'] == readers.Symbol('plain')
    assert (seen['smtp_settings']['user_name'], seen['smtp_settings']['password']) == (USER, PASSWORD)


def discourse_check(before, after, ctx):
    env = after['env']
    assert env['DISCOURSE_SMTP_ADDRESS'] == '127.0.0.1'
    assert str(env['DISCOURSE_SMTP_PORT']) == str(ctx['port'])
    assert env['DISCOURSE_SMTP_USER_NAME'] == FORUM_USER
    assert env['DISCOURSE_SMTP_PASSWORD'] == FORUM_PASSWORD
    assert env['DISCOURSE_NOTIFICATION_EMAIL'] == FROM
    assert 'DISCOURSE_SMTP_FORCE_TLS' not in env
    for key in ('templates', 'expose', 'params', 'volumes'):
        assert after[key] == before[key]
    assert {k: v for k, v in env.items() if not k.startswith(('DISCOURSE_SMTP', 'DISCOURSE_NOTIFICATION'))} == \
        {k: v for k, v in before['env'].items() if not k.startswith(('DISCOURSE_SMTP', 'DISCOURSE_NOTIFICATION'))}


DJANGO_KEYS = ('EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL',
               'DEFAULT_FROM_EMAIL')


def django_check(before, after, ctx):
    assert after['EMAIL_HOST'] == '127.0.0.1'
    assert after['EMAIL_PORT'] == str(ctx['port'])
    assert after['EMAIL_HOST_USER'] == USER
    assert after['EMAIL_HOST_PASSWORD'] == PASSWORD
    assert after['EMAIL_USE_TLS'] == 'True'
    assert 'EMAIL_USE_SSL' not in after  # false by default: not added
    assert after['DEFAULT_FROM_EMAIL'] == 'Health Checks <%s>' % FROM
    assert {k: v for k, v in after.items() if k not in DJANGO_KEYS} == \
        {k: v for k, v in before.items() if k not in DJANGO_KEYS}


MASTODON_KEYS = {'host': 'SMTP_SERVER', 'port': 'SMTP_PORT', 'username': 'SMTP_LOGIN', 'password': 'SMTP_PASSWORD',
                 'from_email': 'SMTP_FROM_ADDRESS', 'use_ssl': 'SMTP_TLS', 'use_tls': 'SMTP_ENABLE_STARTTLS_AUTO'}


def mastodon_check(before, after, ctx):
    assert after['SMTP_SERVER'] == '127.0.0.1'
    assert after['SMTP_PORT'] == str(ctx['port'])
    assert after['SMTP_LOGIN'] == USER
    assert after['SMTP_PASSWORD'] == PASSWORD
    assert after['SMTP_FROM_ADDRESS'] == FROM
    assert after['SMTP_ENABLE_STARTTLS_AUTO'] == 'true'  # the commented sample, uncommented
    assert 'SMTP_TLS' not in after
    assert after['LOCAL_DOMAIN'] == before['LOCAL_DOMAIN']


def generic_ini_check(before, after, ctx):
    assert after[('mail', 'host')] == '127.0.0.1'
    assert after[('mail', 'port')] == str(ctx['port'])
    assert after[('mail', 'encryption')] == 'tls'
    assert after[('mail', 'password')] == PASSWORD
    assert after[('general', 'name')] == 'demo'


def generic_json_check(before, after, ctx):
    assert after['mail'] == {'host': '127.0.0.1', 'port': ctx['port'], 'tls': True, 'user': USER,
                             'password': PASSWORD}
    assert after['app'] == before['app']


def generic_yaml_check(before, after, ctx):
    assert after['mail'] == {'host': '127.0.0.1', 'port': ctx['port'], 'security': 'starttls',
                             'auth': {'user': USER, 'password': PASSWORD}}
    assert after['app'] == before['app']


def generic_env_check(before, after, ctx):
    assert after['MAIL_HOST'] == '127.0.0.1' and after['MAIL_PORT'] == str(ctx['port'])
    assert after['MAIL_URL'] == 'tls://127.0.0.1:%d' % ctx['port']
    assert after['MAIL_PASSWORD'] == PASSWORD
    assert after['APP_NAME'] == 'demo'


def generic_php_check(before, after, ctx):
    assert after['smtp_host'] == '127.0.0.1' and after['smtp_port'] == ctx['port']
    assert after['smtp_secure'] == 'tls' and after['smtp_auth'] is True
    assert after['smtp_pass'] == PASSWORD
    assert after['site'] == 'demo'


POSTFIX_OWNED = ('relayhost', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'smtp_sasl_security_options',
                 'smtp_tls_security_level', 'smtp_tls_wrappermode', 'smtp_tls_CAfile', 'sender_canonical_maps')


def postfix_check(before, after, ctx):
    """What Postfix reads: postconf -nx for main.cf, postmap -s for the compiled password map."""
    main = after['main']
    key = '[127.0.0.1]:%d' % ctx['port']
    assert main['relayhost'] == key
    assert main['smtp_sasl_auth_enable'] == 'yes'
    assert main['smtp_sasl_security_options'] == 'noanonymous'
    assert main['smtp_sasl_password_maps'] == 'hash:%s' % after['map_path']
    assert main['smtp_tls_security_level'] == 'verify'
    assert main['smtp_tls_CAfile'] == ctx['ca_path']
    assert 'smtp_tls_wrappermode' not in main
    assert main['sender_canonical_maps'] == 'static:%s' % FROM
    assert after['map'] == {key: '%s:%s' % (USER, PASSWORD)}
    assert {k: v for k, v in main.items() if k not in POSTFIX_OWNED} == \
        {k: v for k, v in before['main'].items() if k not in POSTFIX_OWNED}


MSMTP_ACCOUNTS = ('freemail', 'freemail2', 'company', 'default')


def msmtp_check(before, after, ctx):
    """What msmtp reads (--pretend), and a real login with the written password (msmtp sending to the sandbox)."""
    company = after['company']
    assert company['host'] == '127.0.0.1'
    assert company['port'] == str(ctx['port'])
    assert (company['tls'], company['tls_starttls'], company['tls_certcheck']) == ('on', 'on', 'on')
    assert company['tls_trust_file'] == ctx['ca_path']
    assert company['auth'] == 'choose' and company['user'] == USER and company['password'] == '*'
    assert company['from'] == FROM
    for account in MSMTP_ACCOUNTS:
        if account != 'company':
            assert after[account] == before[account]
    private = os.path.join(ctx['tmp_path'], 'msmtprc-login')
    shutil.copyfile(after['path'], private)  # msmtp wants a -C file owned by the user running it, mode 0600
    os.chmod(private, 0o600)
    sent = len(ctx['sandbox'].messages)
    done = subprocess.run(['msmtp', '-C', private, '-a', 'company', 'rcpt@example.net'], capture_output=True,
                          input=b'Subject: msmtp cycle\n\nhello\n', env=readers.BASE_ENV, check=False)
    assert done.returncode == 0, done.stderr
    assert ctx['sandbox'].messages[sent]['authenticated_as'] == USER


def alertmanager_check(before, after, ctx):
    """Read by the real Alertmanager 0.25 (amtool check-config + the server's parsed configuration)."""
    smtp = after['global']
    assert smtp['smtp_smarthost'] == '127.0.0.1:%d' % ctx['port']
    assert smtp['smtp_require_tls'] is True
    assert smtp['smtp_auth_username'] == USER
    assert smtp['smtp_auth_password'] == '<secret>'  # Alertmanager masks it; the unit e2e test proves the value
    assert email.utils.parseaddr(smtp['smtp_from']) == ('Alerts', FROM)
    assert {k: v for k, v in smtp.items() if not k.startswith('smtp_')} == \
        {k: v for k, v in before['global'].items() if not k.startswith('smtp_')}
    assert without_email_globals(after) == without_email_globals(before)
    mailers = [c for r in after['receivers'] for c in r.get('email_configs') or []]
    assert mailers and all(c['smarthost'] == smtp['smtp_smarthost'] for c in mailers)  # receivers inherit them


EMAIL_GLOBALS = ('smarthost', 'from', 'hello', 'auth_username', 'auth_password', 'auth_secret', 'auth_identity',
                 'require_tls')


def without_email_globals(config):
    """Alertmanager's parsed config minus ``global`` and the globals each email receiver inherits."""
    rest = {k: v for k, v in config.items() if k not in ('global', 'receivers')}
    rest['receivers'] = [dict(r, email_configs=[_own_email_settings(c) for c in r['email_configs']])
                         if 'email_configs' in r else r for r in config['receivers']]
    return rest


def _own_email_settings(email_config):
    own = {k: v for k, v in email_config.items() if k not in EMAIL_GLOBALS}
    own['headers'] = {k: v for k, v in own.get('headers', {}).items() if k != 'From'}  # From = the global from
    return own


def gitlab_check(before, after, ctx):
    """Read by real Ruby evaluating gitlab.rb as Omnibus does."""
    rails = after['gitlab_rails']
    assert rails == {'smtp_enable': True, 'smtp_address': '127.0.0.1', 'smtp_port': ctx['port'],
                     'smtp_user_name': USER, 'smtp_password': PASSWORD, 'smtp_authentication': 'login',
                     'smtp_enable_starttls': True, 'smtp_enable_starttls_auto': False,  # required STARTTLS
                     'smtp_ca_file': ctx['ca_path'], 'smtp_tls': False, 'gitlab_email_from': FROM,
                     'gitlab_email_display_name': 'GitLab'}
    assert before['gitlab_rails'] == {}


def synapse_check(before, after, ctx):
    """Read with PyYAML and Synapse's EmailConfig rules (notif_from formatted with the app name)."""
    assert after['smtp_host'] == '127.0.0.1' and after['smtp_port'] == ctx['port']
    assert after['smtp_user'] == USER and after['smtp_pass'] == PASSWORD and after['require_auth'] is True
    assert after['require_transport_security'] is True and after['force_tls'] is False
    assert after['enable_tls'] is True
    assert after['from_parsed'] == ('Matrix 100% Ops', FROM)
    assert after['rest'] == before['rest']


GRAFANA_TOKENS = ('enabled', 'host', 'user', 'password', 'skip_verify', 'from_address', 'from_name', 'startTLS')
GITEA_TOKENS = ('[mailer]', 'ENABLED', 'PROTOCOL', 'SMTP_ADDR', 'SMTP_PORT', 'USER', 'PASSWD', 'FORCE_TRUST',
                'FROM', 'HOST', 'IS_TLS_ENABLED', 'SKIP_VERIFY', 'MAILER_TYPE')
REDMINE_TOKENS = ('delivery_method', 'smtp_settings', 'address', 'port', 'authentication', 'user_name', 'password',
                  'enable_starttls', 'ca_file')

CASES = {
    'grafana': dict(app='grafana', fixture='grafana.ini', parser='ini', check=grafana_check,
                    params=dict(from_email=FROM, from_name='Grafana Alerts'), tokens=GRAFANA_TOKENS),
    'gitea': dict(app='gitea', fixture='app.ini', parser='ini', check=gitea_new_check,
                  params=dict(from_email=FROM), tokens=GITEA_TOKENS),
    'gitea-legacy': dict(app='gitea', fixture='app-legacy.ini', parser='ini', check=gitea_legacy_check,
                         params=dict(from_email=FROM), tokens=GITEA_TOKENS, old_secret='old;secret'),
    'nextcloud-var-export': dict(app='nextcloud', fixture='config.php', parser='php', check=nextcloud_check,
                                 params=dict(from_email=FROM), tokens=NC_KEYS, old_secret="0ld-n3xt"),
    'nextcloud-sample': dict(app='nextcloud', fixture='config.sample.php', parser='php', check=nextcloud_check,
                             params=dict(from_email=FROM), tokens=NC_KEYS),
    'mattermost': dict(app='mattermost', fixture='config.json', parser='json', check=mattermost_check,
                       params=dict(from_email=FROM, from_name='Mattermost'), tokens=MM_KEYS),
    'redmine-default': dict(app='redmine', fixture='configuration.yml', parser='yaml', check=redmine_default_check,
                            params={}, tokens=REDMINE_TOKENS),
    'redmine-production': dict(app='redmine', fixture='configuration-production.yml', parser='yaml',
                               check=redmine_production_check, params=dict(environment='production'),
                               tokens=REDMINE_TOKENS, old_secret='old redmine secret'),
    'discourse': dict(app='discourse', fixture='app.yml', parser='discourse', check=discourse_check,
                      params=dict(from_email=FROM, username=FORUM_USER, password='{{ forum_password }}'),
                      tokens=('DISCOURSE_SMTP', 'DISCOURSE_NOTIFICATION'),
                      old_secret='pa$$word'),
    'dotenv-django': dict(app='dotenv', fixture='.env', parser='python_dotenv', check=django_check,
                          params=dict(from_email=FROM, from_name='Health Checks'), tokens=DJANGO_KEYS),
    'dotenv-mastodon': dict(app='dotenv', fixture='mastodon.env', parser='ruby_dotenv', check=mastodon_check,
                            params=dict(from_email=FROM, keys=MASTODON_KEYS, dialect='ruby-dotenv',
                                        values={'use_tls': {'true': 'true', 'false': 'false'},
                                                'use_ssl': {'true': 'true', 'false': 'false'}}),
                            tokens=tuple(MASTODON_KEYS.values())),
    'alertmanager': dict(app='alertmanager', fixture='alertmanager.yml', parser='alertmanager',
                         check=alertmanager_check, params=dict(from_email=FROM, from_name='Alerts'),
                         tokens=('smtp_',)),
    'gitlab': dict(app='gitlab', fixture='gitlab.rb', parser='gitlab', check=gitlab_check,
                   params=dict(from_email=FROM, from_name='GitLab'),
                   tokens=("gitlab_rails['smtp_", "gitlab_rails['gitlab_email_")),
    'synapse': dict(app='synapse', fixture='homeserver.yaml', parser='synapse', check=synapse_check,
                    params=dict(from_email=FROM, from_name='Matrix 100% Ops'),
                    tokens=('smtp_', 'require_transport_security', 'notif_from')),
    'generic-ini': dict(app='generic', fixture='mail.ini', parser='ini', check=generic_ini_check,
                        params=dict(format='ini', keys={'host': 'mail.host', 'port': 'mail.port',
                                                        'security': 'mail.encryption', 'username': 'mail.user',
                                                        'password': 'mail.password'},
                                    values={'security': {'none': '', 'starttls': 'tls', 'tls': 'ssl'}}),
                        tokens=('host', 'port', 'encryption', 'user', 'password')),
    'generic-json': dict(app='generic', fixture='mail.json', parser='json', check=generic_json_check,
                         params=dict(format='json', keys={'host': 'mail.host', 'port': 'mail.port',
                                                          'use_tls': 'mail.tls', 'username': 'mail.user',
                                                          'password': 'mail.password'}),
                         tokens=None),  # JSON: semantically identical (checked by generic_json_check)
    'generic-yaml': dict(app='generic', fixture='mail.yml', parser='yaml', check=generic_yaml_check,
                         params=dict(format='yaml', keys={'host': 'mail.host', 'port': 'mail.port',
                                                          'security': 'mail.security', 'username': 'mail.auth.user',
                                                          'password': 'mail.auth.password'}),
                         tokens=('host', 'port', 'security', 'auth', 'user', 'password')),
    'generic-env': dict(app='generic', fixture='mail.env', parser='env', check=generic_env_check,
                        params=dict(format='env', keys={'server': 'MAIL_URL', 'host': 'MAIL_HOST', 'port': 'MAIL_PORT',
                                                        'username': 'MAIL_USER', 'password': 'MAIL_PASSWORD'}),
                        tokens=('MAIL_URL', 'MAIL_HOST', 'MAIL_PORT', 'MAIL_USER', 'MAIL_PASSWORD')),
    'generic-php': dict(app='generic', fixture='config.php', parser='php:settings', check=generic_php_check,
                        params=dict(format='php', keys={'host': 'settings.smtp_host', 'port': '$settings.smtp_port',
                                                        'security': 'settings.smtp_secure',
                                                        'auth': 'settings.smtp_auth',
                                                        'username': 'settings.smtp_user',
                                                        'password': 'settings.smtp_pass'},
                                    values={'security': {'starttls': 'tls', 'tls': 'ssl', 'none': ''}}),
                        tokens=('smtp_',)),
    'postfix': dict(app='postfix', fixture='main.cf', parser='postfix', check=postfix_check, own_dir=True,
                    params=dict(from_email=FROM), tokens=POSTFIX_OWNED),
    'msmtp': dict(app='msmtp', fixture='msmtprc', parser='msmtp', check=msmtp_check,
                  params=dict(from_email=FROM, account='company'),
                  tokens=('host', 'port', 'tls', 'auth', 'user', 'password', 'from')),
}


def parse(kind, path):
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if kind == 'ini':
        return parse_ini(text)
    if kind == 'json':
        return parse_json(text)
    if kind == 'yaml':
        return parse_yaml(text)
    if kind == 'env':
        return parse_env(text)
    if kind in ('python_dotenv', 'ruby_dotenv'):
        return getattr(readers, kind)(text)
    if kind == 'discourse':
        parsed = parse_yaml(text)
        parsed['env'] = readers.discourse(text)  # what the container gets: Psych, then the launcher's shell
        return parsed
    if kind.startswith('php'):
        return parse_php(path, kind.partition(':')[2] or 'CONFIG')
    if kind == 'postfix':
        directory = os.path.dirname(path)
        map_path = os.path.join(directory, 'sasl_passwd')
        compiled = readers.postfix_map('hash:' + map_path, directory) if os.path.exists(map_path + '.db') else {}
        return dict(main=readers.postfix(text), map=compiled, map_path=map_path)
    if kind == 'msmtp':
        env = readers.msmtp_passwordeval_stub_env()
        parsed = dict((account, readers.msmtp(text, account, env=env)) for account in MSMTP_ACCOUNTS)
        parsed['path'] = path
        return parsed
    if kind in ('alertmanager', 'gitlab', 'synapse'):
        return getattr(readers, kind)(text)
    raise AssertionError(kind)


@pytest.fixture(scope='module')
def cycle(tmp_path_factory):
    """One sandbox, one ansible-playbook run: every case is a local pseudo-host running the same cycle."""
    tmp_path = tmp_path_factory.mktemp('profiles')
    sandbox = SmtpSandbox(security='starttls', users={USER: PASSWORD, FORUM_USER: FORUM_PASSWORD})
    sandbox.start()
    try:
        hosts, before = {}, {}
        for name, spec in CASES.items():
            if spec.get('own_dir'):  # Postfix: main.cf by that name, its map next to it
                (tmp_path / name).mkdir()
                path = fixture_copy(tmp_path / name, spec['app'], spec['fixture'])
                path = shutil.move(path, str(tmp_path / name / spec['fixture']))
            else:
                path = fixture_copy(tmp_path, spec['app'], spec['fixture'])
            if os.geteuid() == 0:
                os.chown(path, OTHER_UID, OTHER_UID)  # the owner must survive the atomic replace
            before[name] = dict(path=path, state=file_state(path), parsed=parse(spec['parser'], path))
            ca_args, trust = private_ca(spec['app'], sandbox)
            args = dict(app=spec['app'], path=path, server=sandbox.server,
                        username=USER, password='{{ smtp_password }}', test='auth', timeout=5, deadline=10, **ca_args)
            args.update(spec['params'])
            hosts[name] = dict(case_path=path, case_args=args,
                               case_bad_args=dict(args, password='{{ wrong_password }}'), **trust)
        results, output = run_hosts(tmp_path, hosts, [
            {'mailops.smtp.outgoing_server': '{{ case_args }}', 'check_mode': True, 'diff': True},
            {'file_state': True},
            {'mailops.smtp.outgoing_server': '{{ case_args }}', 'diff': True},
            {'file_state': True},
            {'mailops.smtp.outgoing_server': '{{ case_args }}'},
            {'mailops.smtp.outgoing_server': '{{ case_bad_args }}'},
            {'file_state': True},
        ], extra_vars={'smtp_password': PASSWORD, 'forum_password': FORUM_PASSWORD,
                       'wrong_password': 'not the password'}, environment=HOST_TRUST_ENV)
        yield dict(results=results, output=output, before=before, port=sandbox.port, sandbox=sandbox,
                   ca_path=sandbox.ca_path, tmp_path=str(tmp_path))
    finally:
        sandbox.stop()


@pytest.mark.parametrize('case', sorted(CASES))
def test_profile_edit_cycle(case, cycle):
    spec = CASES[case]
    path = cycle['before'][case]['path']
    original = cycle['before'][case]['state']
    check, after_check, applied, after_apply, again, failed, after_all = cycle['results'][case]
    after_check, after_apply, after_all = (parse_file_state(x) for x in (after_check, after_apply, after_all))

    # check mode: the test ran, a change is predicted, nothing was written
    assert check.get('failed') is not True, check.get('msg')
    assert check['changed'] is True
    assert check['probe']['level'] == 'auth'
    assert (after_check['sha1'], after_check['inode']) == (original['sha1'], original['inode'])

    # apply: changed, only the profile's keys changed, the app's own parser reads the right values
    assert applied.get('failed') is not True, applied.get('msg')
    assert applied['changed'] is True
    assert applied['settings']['host'] == '127.0.0.1'
    assert applied['settings']['port'] == cycle['port']
    assert applied['settings']['password'] == '********' and applied['settings']['password_set'] is True
    assert check['diff']['after'] == applied['diff']['after']
    assert '********' in applied['diff']['after']
    with open(path, encoding='utf-8') as handle:
        new_text = handle.read()
    if spec['tokens'] is not None:
        assert_only_lines_about(original['data'].decode('utf-8'), new_text, spec['tokens'])
    spec['check'](cycle['before'][case]['parsed'], parse(spec['parser'], path),
                  {'port': cycle['port'], 'text': new_text, 'ca_path': cycle['ca_path'],
                   'sandbox': cycle['sandbox'], 'tmp_path': cycle['tmp_path']})
    assert after_apply['mode'] == '640'  # mode and owner kept by the atomic replace
    assert after_apply['uid'] == (OTHER_UID if os.geteuid() == 0 else os.geteuid())

    # second run: nothing to do; failing test: fails with the diagnosis. The file is untouched by both.
    assert again.get('failed') is not True, again.get('msg')
    assert again['changed'] is False
    assert failed['failed'] is True
    assert failed['diagnosis']['category'] == 'auth_failed'
    assert 'nothing was changed' in failed['msg'].lower()
    assert after_all == after_apply

    # no secret anywhere in what Ansible shows or returns
    shown = cycle['output'] + repr(cycle['results'][case])
    assert PASSWORD not in shown
    assert 'S3cr3t' not in shown
    if spec.get('old_secret'):
        assert spec['old_secret'] not in shown
        assert spec['old_secret'] not in check['diff']['before']
