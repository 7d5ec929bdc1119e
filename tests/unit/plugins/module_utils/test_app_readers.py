"""What the app reads is what was tested: every profile against its application's REAL reader (issue 10).

For every profile and every stored text setting, over printable Unicode rich in quotes, backslashes,
``#;$%{}<>&`` and backticks, leading/trailing blanks and the apps' own expansion syntaxes:

* writing: either the real reader (tests/readers) returns exactly the value, or the profile refused it with an
  error naming the option and the app, before producing anything (the module then writes nothing: the
  byte-identical file is checked through the real module in tests/integration/test_app_readers_module.py);
* reading: over hand-edited lines, what the profile reads (what ``outgoing_server_info`` reports and what
  idempotence compares) is what the real reader returns, or ``Computed`` (text the app evaluates at start-up:
  the module treats it as drift and rewrites it).

Values are batched: one reader process per hypothesis example, not per value.
"""

import email.policy
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import readers
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._dotenv_dialects import DIALECTS
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures')
BATCH = 24
EXAMPLES = int(os.environ.get('READER_PROPERTY_EXAMPLES', '4'))
# No shrinking: a failure already names the value, the written text and what the app read; shrinking would
# re-run the real readers hundreds of times.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]


def fixture_text(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8') as handle:
        return handle.read()


def _smtp(seen, key):
    return seen['smtp'].get(key)


def _gitea_from_name(seen):
    return seen.get('*', {}).get('mailer.FROM:name')


def _redmine(key):
    return lambda seen: ((seen.get('email_delivery') or {}).get('smtp_settings') or {}).get(key)


def _mattermost(key):
    return lambda seen: seen['EmailSettings'].get(key)


def _dotenv(key):
    return lambda seen: seen.get(key)


def _recipient_name(header):
    """The sender name a recipient's mail program (Python's email, policy.default) shows for an app that sends
    the stored value as its From header (Alertmanager smtp_from, Synapse notif_from: as written when ASCII)."""
    addresses = email.policy.default.header_factory('From', header).addresses if header else ()
    return addresses[0].display_name if len(addresses) == 1 else None


# app/variant -> (profile app, profile params, fixture, reader(texts) -> list, {option: seen -> value})
TARGETS = {
    'grafana': ('grafana', {}, ('grafana', 'grafana.ini'), readers.grafana_many,
                {'username': lambda s: _smtp(s, 'user'), 'password': lambda s: _smtp(s, 'password'),
                 'from_name': lambda s: _smtp(s, 'from_name')}),
    'gitea': ('gitea', {}, ('gitea', 'app.ini'), readers.gitea_many,
              {'username': lambda s: s.get('mailer', {}).get('USER'),
               'password': lambda s: s.get('mailer', {}).get('PASSWD'),
               'from_name': _gitea_from_name}),
    'nextcloud': ('nextcloud', {}, ('nextcloud', 'config.php'), readers.nextcloud_many,
                  {'username': lambda s: s.get('mail_smtpname'), 'password': lambda s: s.get('mail_smtppassword')}),
    'mattermost': ('mattermost', {}, ('mattermost', 'config.json'), readers.mattermost_many,
                   {'username': _mattermost('SMTPUsername'), 'password': _mattermost('SMTPPassword'),
                    'from_name': _mattermost('FeedbackName')}),
    'redmine': ('redmine', {'environment': 'production'}, ('redmine', 'configuration-production.yml'),
                readers.redmine_many, {'username': _redmine('user_name'), 'password': _redmine('password')}),
    'discourse': ('discourse', {}, ('discourse', 'app.yml'), readers.discourse_many,
                  {'username': lambda s: s.get('DISCOURSE_SMTP_USER_NAME'),
                   'password': lambda s: s.get('DISCOURSE_SMTP_PASSWORD')}),
    # Alertmanager shows its password as <secret>: the password is proven by mailing through the sandbox in
    # test_profiles_stack.py; here the user name and the sender name (inside smtp_from) are read back.
    'alertmanager': ('alertmanager', {}, ('alertmanager', 'alertmanager.yml'), readers.alertmanager_many,
                     {'username': lambda s: s['global'].get('smtp_auth_username'),
                      'from_name': lambda s: _recipient_name(s['global'].get('smtp_from'))}),
    'gitlab': ('gitlab', {}, ('gitlab', 'gitlab.rb'), readers.gitlab_many,
               {'username': lambda s: s['gitlab_rails'].get('smtp_user_name'),
                'password': lambda s: s['gitlab_rails'].get('smtp_password'),
                'from_name': lambda s: s['gitlab_rails'].get('gitlab_email_display_name')}),
    # the sample with its notif_from template active (Synapse refuses an email section without one)
    'synapse': ('synapse', {}, ('synapse', 'homeserver-configured.yaml'), readers.synapse_many,
                {'username': lambda s: s['smtp_user'], 'password': lambda s: s['smtp_pass'],
                 'from_name': lambda s: _recipient_name(s['from_header'])}),
}


def _postfix_login(part):
    """user (0) or password (1) of the map entry Postfix's SMTP client finds for its relayhost."""
    return lambda seen: (seen['credentials'] or ':').split(':', 1)[part] if seen['credentials'] else None


def _msmtp_company(texts):
    return readers.msmtp_login_many(texts, 'company')


TARGETS['postfix'] = ('postfix', {}, ('postfix', 'main.cf'), readers.postfix_relay_many,
                      {'username': _postfix_login(0), 'password': _postfix_login(1)})
TARGETS['netbox'] = ('netbox', {}, ('netbox', 'configuration.py'), readers.netbox_many,
                     {'username': lambda s: s['EMAIL_HOST_USER'], 'password': lambda s: s['EMAIL_HOST_PASSWORD']})


def _airflow_payloads(payloads):
    """Airflow's reading of each written airflow.cfg with the environment its connection_file gives it."""
    envs = readers.systemd_many([payload['conn_text'] or '' for payload in payloads])  # EnvironmentFile=
    return [env if isinstance(env, readers.Unreadable) else seen for env, seen in
            zip(envs, readers.airflow_many([(payload['text'], env if isinstance(env, dict) else {})
                                            for payload, env in zip(payloads, envs)]))]


TARGETS['airflow'] = ('airflow', {'connection_file': '/srv/airflow/airflow.env'}, ('airflow', 'airflow.cfg'),
                      _airflow_payloads, {'username': lambda s: s['login'], 'password': lambda s: s['password']})
TARGETS['msmtp'] = ('msmtp', {'account': 'company'}, ('msmtp', 'msmtprc'), _msmtp_company,
                    {'username': lambda s: s['user'], 'password': lambda s: s['password']})
for _dialect in DIALECTS:
    TARGETS['dotenv-' + _dialect] = (
        'dotenv', {'dialect': _dialect}, ('dotenv', '.env'), readers.DOTENV_READERS[_dialect],
        {'username': _dotenv('EMAIL_HOST_USER'), 'password': _dotenv('EMAIL_HOST_PASSWORD')})

# Printable Unicode, weighted towards what readers treat specially.
SPECIAL = ["'", '"', '\\', '#', ';', '$', '%', '{', '}', '<', '>', '&', '`', ' ', '\t', '=', ':', '(', ')',
           '${X}', '$X', '$__env{X}', '$__file{/etc/hostname}', '$__vault{kv:x}', '%(user)s', '<%', '<%=', '%>',
           '<%%', '$(echo hi)', '{{config}}', '_FILE_SEPERATOR_', '\\\\', "\\'", '\\"', '\\n', '$$', '~', '"""',
           '\u00e9', '\u20ac', '\U0001f600', '\u2028', '\x85', '\xa0', '\u200b',
           '=?utf-8?q?x?=', '=?UTF-8?B?eA==?=', '=?', '?=']   # RFC 2047 encoded words (and halves)
ANY_CHAR = st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='\r\n\x00')
VALUE = st.lists(st.one_of(st.sampled_from(SPECIAL), ANY_CHAR), min_size=1, max_size=10).map(''.join)


def make(app, params, path):
    params = dict(params)
    params['path'] = path
    return get_profile(app)(None, params)


def desired(option, value):
    # implicit TLS: every app here can store it with a login (STARTTLS is refused for the apps whose STARTTLS is
    # opportunistic, see _profiles/_connection.py)
    params = dict(server='smtp.example.com', port=465, security='tls', validate_certs=True,
                  username='mailer@example.com', password='s3cret-Pass')
    params[option] = value
    return settings_from_params(params)


def plan_on(profile, text, settings_):
    stored = profile.extract(profile.parse(text)) if text else None
    return profile.plan(Snapshot(bool(text), stored, handle=text), settings_, 'present', 'always')


def _accepts_from_name(app, params):
    profile = make(app, params, '/nonexistent/app.yml')
    try:
        profile.check(desired('from_name', 'Mail'), 'present')
    except SettingsError:
        return False
    return True


def write_cases(target, values):
    """Plan every (option, value) through the real profile; return [(option, value, payload or SettingsError)]."""
    app, params, fixture, _reader, options = TARGETS[target]
    path = '/srv/%s/%s' % (app, fixture[1])
    base = fixture_text(*fixture)
    cases = []
    for value in values:
        for option in options:
            if option == 'from_name' and not _accepts_from_name(app, params):
                continue
            profile = make(app, params, path)
            try:
                settings_ = desired(option, value)
                profile.check(settings_, 'present')
                plan = plan_on(profile, base, settings_)
            except SettingsError as exc:
                cases.append((option, value, exc))
                continue
            cases.append((option, value, plan.payload))
    return cases


@pytest.mark.parametrize('target', sorted(TARGETS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(values=st.lists(VALUE, min_size=BATCH, max_size=BATCH))
def test_the_app_reads_exactly_what_was_written_or_the_value_is_refused(target, values):
    _app, _params, _fixture, reader, options = TARGETS[target]
    cases = write_cases(target, values)
    written = [case for case in cases if not isinstance(case[2], Exception)]
    seen = reader([payload for _option, _value, payload in written]) if written else []
    wrong = []
    for (option, value, payload), result in zip(written, seen):
        got = result if isinstance(result, readers.Unreadable) else options[option](result)
        if got != value:
            line = [row for row in payload.splitlines() if value and value[:3] in row][:1]
            wrong.append('%s=%r: the app reads %r (%s)' % (option, value, got, line))
    assert not wrong, '%s: %d of %d written values are misread:\n%s' % (target, len(wrong), len(written),
                                                                        '\n'.join(wrong[:12]))
    for option, _value, error in cases:
        if isinstance(error, Exception):
            assert error.option == option, error
            assert ('cannot be stored in %s' % _app) in str(error) or _app in str(error), error


# --------------------------------------------------------------------------- reading hand-edited files

def _ini_raw(value, style):
    return {'plain': value, 'double': '"%s"' % value, 'backtick': '`%s`' % value, 'triple': '"""%s"""' % value,
            'single': "'%s'" % value}[style]


def _yaml_raw(value, style):
    if style == 'single':
        return "'" + value.replace("'", "''") + "'"
    if style == 'double':
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
    return value


def _php_raw(value, style):
    if style == 'single':
        return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def _ruby_raw(value, style):
    if style == 'single':
        return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'  # #{...} left for Ruby to interpolate


def _python_raw(value, style):
    quote = "'" if style == 'single' else '"'
    return quote + value.replace('\\', '\\\\').replace(quote, '\\' + quote) + quote  # \n etc. left to CPython


def _env_raw(value, style):
    return {'plain': value, 'single': "'%s'" % value, 'double': '"%s"' % value,
            'comment': value + ' # note'}[style]


def _json_raw(value, style):
    import json
    return json.dumps(value, ensure_ascii=(style == 'ascii'))


def _after_header(text, header, new_line):
    lines = text.split('\n')
    return '\n'.join(lines[:lines.index(header) + 1] + [new_line] + lines[lines.index(header) + 1:])


def _replace_line(text, prefix, new_line):
    lines = text.split('\n')
    for index, line in enumerate(lines):
        if line.lstrip().startswith(prefix):
            indent = line[:len(line) - len(line.lstrip())]
            lines[index] = indent + new_line
            return '\n'.join(lines)
    raise AssertionError('no line starting with %r' % prefix)


# target -> (styles, builder(base text, raw) -> text, option read back)
HAND = {
    'grafana': (['plain', 'double', 'backtick', 'triple'],
                lambda base, raw: _after_header(base, '[smtp]', 'password = %s' % raw)),
    'gitea': (['plain', 'double', 'backtick', 'triple'],
              lambda base, raw: _after_header(base, '[mailer]', 'PASSWD = %s' % raw)),
    'nextcloud': (['single', 'double'],
                  lambda base, raw: _replace_line(base, "'mail_smtppassword' =>", "'mail_smtppassword' => %s," % raw)),
    'mattermost': (['ascii', 'utf8'],
                   lambda base, raw: _replace_line(base, '"SMTPPassword":', '"SMTPPassword": %s,' % raw)),
    'redmine': (['single', 'double', 'plain'],
                lambda base, raw: _replace_line(base, 'password:', 'password: %s' % raw)),
    'discourse': (['single', 'double', 'plain'],
                  lambda base, raw: _replace_line(base, 'DISCOURSE_SMTP_PASSWORD:',
                                                  'DISCOURSE_SMTP_PASSWORD: %s' % raw)),
    'gitlab': (['single', 'double'],
               lambda base, raw: _replace_line(base, "# gitlab_rails['smtp_password'] =",
                                               "gitlab_rails['smtp_password'] = %s" % raw)),
    'synapse': (['single', 'double', 'plain'],
                lambda base, raw: _replace_line(base, '#smtp_pass:', 'smtp_pass: %s' % raw)),
}
for _dialect in DIALECTS:
    HAND['dotenv-' + _dialect] = (['plain', 'single', 'double', 'comment'],
                                  lambda base, raw: _replace_line(base, 'EMAIL_HOST_PASSWORD=',
                                                                  'EMAIL_HOST_PASSWORD=%s' % raw))
HAND['netbox'] = (['single', 'double'],
                  lambda base, raw: _replace_line(base, '"PASSWORD":', '"PASSWORD": %s,' % raw))
HAND['msmtp'] = (['plain', 'double'],
                 lambda base, raw: _replace_line(base, 'user alee-work', 'user alee-work\npassword %s' % raw))
RAW = {'grafana': _ini_raw, 'gitea': _ini_raw, 'nextcloud': _php_raw, 'mattermost': _json_raw, 'redmine': _yaml_raw,
       'discourse': _yaml_raw, 'gitlab': _ruby_raw, 'synapse': _yaml_raw,
       'msmtp': lambda value, style: value if style == 'plain' else '"%s"' % value,
       'netbox': _python_raw}
HAND_VALUE = st.lists(st.one_of(st.sampled_from(SPECIAL), ANY_CHAR), min_size=0, max_size=8).map(''.join)
# go-ini apps read the WHOLE file: the hand-edited line also goes into another section, and a file go-ini refuses
# (the real reader's "failed to parse"/"failed to load config") must be refused by the module too, and only then.
OTHER_SECTION = {'grafana': ('password = %s', ('[database]', '[emails]')), 'gitea': ('PASSWD = %s', ('[database]',))}
GO_INI_REFUSES = ('failed to parse: ', 'failed to load config: ')


def _hand_base(target):
    app, _params, fixture, _reader, _options = TARGETS[target]
    text = fixture_text(*fixture)
    header = {'grafana': '[smtp]', 'gitea': '[mailer]'}.get(app)
    if header and header not in text.split('\n'):
        text += '\n%s\n' % header
    return text


@pytest.mark.parametrize('target', sorted(HAND))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(data=st.data())
def test_what_the_module_reads_from_a_hand_edited_file_is_what_the_app_reads(target, data):
    app, params, fixture, reader, options = TARGETS[target]
    styles, build = HAND[target]
    to_raw = RAW.get(target, _env_raw)
    base = _hand_base(target)
    texts, elsewhere = [], set()
    for _index in range(BATCH):
        value = data.draw(HAND_VALUE)
        style = data.draw(st.sampled_from(styles))
        if target in OTHER_SECTION and data.draw(st.booleans()):
            line, headers = OTHER_SECTION[target]
            texts.append(_after_header(base, data.draw(st.sampled_from(headers)), line % to_raw(value, style)))
            elsewhere.add(len(texts) - 1)
            continue
        texts.append(build(base, to_raw(value, style)))
    profile = make(app, params, '/srv/%s/%s' % (app, fixture[1]))
    module_view = []
    for text in texts:
        try:
            store = profile.parse(text)
        except Exception as exc:  # noqa: BLE001 -- the store refuses the file: the module changes nothing
            module_view.append(exc)
            continue
        module_view.append(store)
    app_view = reader(texts)
    wrong = []
    for number, (text, store, seen) in enumerate(zip(texts, module_view, app_view)):
        go_ini_refuses = isinstance(seen, readers.Unreadable) and str(seen).startswith(GO_INI_REFUSES)
        if target in OTHER_SECTION and go_ini_refuses != isinstance(store, StoreError):
            module_says = store if isinstance(store, Exception) else 'reads the file'
            wrong.append('go-ini: %s; the module: %s' % (seen if go_ini_refuses else 'reads the file', module_says))
            continue
        if number in elsewhere and isinstance(seen, readers.Unreadable) and not go_ini_refuses:
            continue  # Grafana cannot expand that other key ($__file, $__vault): up to the host, not to [smtp]
        if isinstance(store, Exception):
            continue  # the module reports the file as unreadable and changes nothing
        path = profile.secret_paths_for(store)[0]
        try:
            ours = profile.get(store, path)
        except StoreError:
            continue  # the module refuses to read this line (and says so): nothing is reported or changed
        if isinstance(ours, Computed):
            continue  # the app evaluates it at start-up: the module reports drift and rewrites it
        line = [row for row in text.splitlines() if row.strip().startswith(path[-1])][-1:]
        if isinstance(seen, readers.Unreadable):
            wrong.append('the app cannot read %s (%s) but the module reads %r' % (line, seen, ours))
            continue
        theirs = options['password'](seen)
        if app == 'grafana' and ours in ('', None):
            ours, theirs = None, None if theirs in ('', None) else theirs  # empty: defaults.ini's value
        if not (ours == theirs or (ours in (None, '') and theirs in (None, ''))):
            wrong.append('%s: the module reads %r, the app %r' % (line, ours, theirs))
    assert not wrong, '%s: %d of %d hand-edited lines are read differently:\n%s' % (
        target, len(wrong), len(texts), '\n'.join(wrong[:12]))


# The octal escapes compose-go half-accepts (hypothesis found "\0" read as "\" by Docker Compose): every form of
# backslash-zero, held against the real `docker-compose config` in one batch.
COMPOSE_OCTAL = ['\\0', '\\01', '\\012', '\\0123', '\\07x', '\\0\\0', 'x\\0y\\n', '\\08', '\\0777', '\\0400',
                 '\\\\0', '\\\\\\0', '`\u00e9\\0', '\\1', '\\z']


def test_docker_compose_octal_escapes_are_read_as_compose_reads_them():
    codec = get_profile('dotenv')(None, dict(path='/srv/app/.env', dialect='docker-compose')).value_codec
    texts = ['EMAIL_HOST_PASSWORD="%s"\n' % raw for raw in COMPOSE_OCTAL]
    theirs = [seen['EMAIL_HOST_PASSWORD'] for seen in readers.docker_compose_many(texts)]
    ours = [codec.read_line(text.rstrip('\n')) for text in texts]
    assert ours == theirs
