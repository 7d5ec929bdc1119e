# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value codecs of the grafana, gitea, nextcloud, mattermost and generic profiles, checked against the apps' OWN
readers (tests/readers: go-ini built from Debian's golang-gopkg-ini.v1-dev with each app's LoadOptions and
Grafana's expansion, Go net/mail, Go encoding/json, php):

- what the profile writes, the app reads back exactly (table of hostile values, and sample-shaped files);
- what the app cannot read back is refused with a message naming the option and the app, never the value, and
  nothing is planned;
- what the profile reads from a hand-written file is what the app reads (so drift and idempotence follow the
  app: ``PASSWD = p#ss;word`` is ``p``, gets rewritten, and the rewritten file reads ``p#ss;word``).
"""

import os
import random

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import TypedCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import (
    GoIniCodec,
    GrafanaCodec,
    Multiline,
    read_value,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._gomail import format_address, parse_address
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import go_bool
from ansible_collections.mailops.smtp.plugins.module_utils._settings import compute_drift, settings_from_params
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore

# Our fixtures in the shapes of the upstream samples (make corpus-check edits the real upstream files).
FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')

# Values people really have as passwords, user names and sender names, and the ones that break INI readers.
HOSTILE = [
    'p#ss;word', 'p #ss', 'a ;b', '#start', ';start', ' lead', 'trail ', '  both  ', '"quoted"', "'single'",
    '"', "'", '`', '`tick', 'tick`', 'a`b', '``', '"""', '"""x"""', '"a"b"', 'back\\', '\\', 'a\\b', '\\\\',
    '%', '100%', '%s', '%(', 'x%(y', '$', '$x', '${', '$__env', '{x}', '=', 'a = b', 'k: v', '[mailer]',
    'ünïcödé ✓', '日本語', '\tTab', 'tab\t', '\u00a0nbsp\u00a0', 'emoji 🙂', "it's a \"test\"", '<&>',
    'x' * 300,
]
EXPANSIONS = ['${HOME}', '$__env{HOME}', '$__file{/etc/hostname}', '$__vault{secret:x}', 'pre${X}post',
              '$__custom{x}']
REFERENCES = ['%(USER)s', '%(user)s', 'a%(HOME)sb', '%(nope)s']


def desired(**params):
    params.setdefault('server', 'tls://mail.example.com:587')
    params.setdefault('validate_certs', True)
    return settings_from_params(params)


def make(app, **params):
    params.setdefault('path', '/nonexistent/%s.conf' % app)
    return get_profile(app)(None, params)


def plan_text(profile, text, settings, update_password='always'):
    """The file text the profile would write (the plan's payload)."""
    profile.check(settings, 'present')
    stored = profile.extract(profile.parse(text)) if text else None
    plan = profile.plan(Snapshot(bool(text), stored, handle=text), settings, 'present', update_password)
    return plan


def info(profile, text):
    """What ``outgoing_server_info`` reports: the model the profile reads from the text."""
    return profile.extract(profile.parse(text))


def refusal(call):
    with pytest.raises(SettingsError) as caught:
        call()
    return caught.value


# --------------------------------------------------------------------------- go-ini model, app by app


GITEA_BASE = '[mailer]\nENABLED = true\nSMTP_ADDR = mail.example.com\nUSER = bob\n'
GRAFANA_BASE = '[smtp]\nenabled = true\nhost = mail.example.com:587\nuser = bob\n'


def test_go_ini_model_reads_hand_written_lines_like_go_ini_itself():
    """Every raw line the model decodes, real go-ini (Gitea's and Grafana's loading) decodes the same way."""
    raws = HOSTILE + ['`a#b` ; c', '"""a;b""" # c', 'abc # c', "'a'b'", ' "q" ', '`a`b`', 'x%(nope)s%(USER)s',
                      'p#ss;word', 'pass ;comment', '"p#ss"', "'p;ss'"]
    raws = [raw for raw in raws if '\n' not in raw]
    gitea_texts = [GITEA_BASE + 'PASSWD = %s\n' % raw for raw in raws]
    grafana_texts = [GRAFANA_BASE + 'password = %s\n' % raw for raw in raws]
    gitea_read = readers.gitea_many(gitea_texts)
    grafana_read = readers.grafana_many(grafana_texts)
    gitea, grafana = make('gitea'), make('grafana')
    for raw, g_text, g_real, f_text, f_real in zip(raws, gitea_texts, gitea_read, grafana_texts, grafana_read):
        if isinstance(g_real, readers.Unreadable):
            # an opening quote without its closing one: go-ini reads on to the end and fails; the model knows
            with pytest.raises(Multiline):
                read_value(raw)
            continue
        assert gitea.get(gitea.parse(g_text), ('mailer', 'PASSWD')) == g_real['mailer']['PASSWD'], raw
        if isinstance(f_real, readers.Unreadable):
            assert '$__' in raw or '${' in raw or raw.lstrip().startswith(('`', '"""')), raw
            continue
        if '$' in raw and '{' in raw:
            continue  # Grafana expands it from its environment: not a value the module writes (refused below)
        assert grafana.get(grafana.parse(f_text), ('smtp', 'password')) == f_real['smtp']['password'], raw


@pytest.mark.parametrize('raw, value', [
    ('p#ss;word', 'p'),             # cut at the first # or ; even without a blank before it
    ('abc ; comment', 'abc'),
    ('`p#ss;word`', 'p#ss;word'),   # backticks: up to the LAST backtick on the line
    ('`a`b` # c', 'a`b'),
    ('"""x;y"""', 'x;y'),
    ('"quoted"', 'quoted'),         # one pair of surrounding quotes is removed ...
    ('"a"b"', '"a"b"'),             # ... only when that quote occurs nowhere else
    ("'it'", 'it'),
    ('  spaced  ', 'spaced'),
    ('', ''),
])
def test_go_ini_value_table(raw, value):
    assert read_value(raw) == value


def test_go_ini_encode_writes_bare_when_safe_and_backticks_otherwise():
    codec = GoIniCodec()
    assert codec.encode('plain-value_1.2') == 'plain-value_1.2'
    assert codec.encode('p#ss;word') == '`p#ss;word`'
    assert codec.encode(' lead') == '` lead`'
    assert codec.encode('"q"') == '`"q"`'
    assert codec.encode('a`b') == 'a`b'
    assert codec.encode('`a`') == '``a``'
    assert codec.encode('back\\') == 'back\\'                # Gitea ignores continuation lines
    assert GoIniCodec(continuation=True).encode('back\\') == '`back\\`'  # Grafana does not


@pytest.mark.parametrize('app, key', [('gitea', ('mailer', 'PASSWD')), ('grafana', ('smtp', 'password')),
                                      ('generic', ('mail', 'password'))])
def test_every_hostile_password_is_read_back_exactly_by_the_app(app, key):
    """The profile's whole write, read by the app's own reader: the password (and user) are exactly the input."""
    texts, values = [], []
    for value in HOSTILE:
        params = dict(username='user %s' % value if value.strip() else 'user', password=value)
        if app == 'generic':
            profile = make('generic', format='ini', keys={'host': 'mail.host', 'port': 'mail.port',
                                                          'security': 'mail.security', 'username': 'mail.user',
                                                          'password': 'mail.password'})
        else:
            profile = make(app)
        plan = plan_text(profile, '', desired(**params))
        texts.append(plan.payload)
        values.append(params)
        # the module itself reads back what it wrote: no drift, no change on the next run
        again = plan_text(profile, plan.payload, desired(**params))
        assert again.changed is False, value
    if app == 'gitea':
        real = [read['mailer'] for read in readers.gitea_many(texts)]
        user_key = 'USER'
    elif app == 'grafana':
        real = [read['smtp'] for read in readers.grafana_many(texts)]
        user_key = 'user'
    else:  # generic INI is written for go-ini's default LoadOptions: Grafana's reader without its expansion
        real = [read['mail'] for read in readers.grafana_many(texts)]
        user_key = 'user'
    for params, read in zip(values, real):
        assert read[key[1]] == params['password'], params['password']
        assert read[user_key] == params['username'], params['username']


@pytest.mark.parametrize('value', EXPANSIONS)
@pytest.mark.parametrize('option', ['password', 'username', 'from_name'])
def test_grafana_refuses_what_its_expansion_would_replace(value, option):
    params = dict(username='bob', password='secret', from_email='a@example.com', from_name='Alerts')
    params[option] = value
    profile = make('grafana')
    error = refusal(lambda: plan_text(profile, GRAFANA_BASE, desired(**params)))
    assert error.option == option
    assert str(error).startswith('%s: cannot be stored in grafana because Grafana replaces' % option)
    assert value not in str(error)


@pytest.mark.parametrize('app', ['grafana', 'gitea', 'generic'])
@pytest.mark.parametrize('value', REFERENCES)
def test_go_ini_references_are_refused(app, value):
    """go-ini's Key.String() replaces %(name)s with another key's value; there is no escape."""
    if app == 'generic':
        profile = make('generic', format='ini', keys={'server': 'mail.server', 'username': 'mail.user',
                                                      'password': 'mail.password'})
    else:
        profile = make(app)
    error = refusal(lambda: plan_text(profile, '', desired(username='bob', password=value)))
    assert error.option == 'password'
    assert str(error).startswith('password: cannot be stored in %s because' % app)
    assert '%(name)s' in str(error) and value not in str(error)


def test_grafana_expansions_really_change_the_value_in_grafana():
    """The refusal above is not over-cautious: real Grafana reading replaces or fails on each of them."""
    texts = [GRAFANA_BASE + 'password = `%s`\n' % value for value in EXPANSIONS]
    real = readers.grafana_many(texts, env={'HOME': '/home/grafana', 'X': 'x'})
    changed = [value for value, read in zip(EXPANSIONS, real)
               if isinstance(read, readers.Unreadable) or read['smtp']['password'] != value]
    assert changed == [value for value in EXPANSIONS if value != '$__custom{x}']


# --------------------------------------------------------------------------- drift and idempotence follow the app


@pytest.mark.parametrize('app, text, key', [
    ('gitea', GITEA_BASE + 'PASSWD = p#ss;word\n', ('mailer', 'PASSWD')),
    ('grafana', GRAFANA_BASE + 'password = p#ss;word\n', ('smtp', 'password')),
])
def test_hand_written_unquoted_hash_is_drift_and_gets_rewritten(app, text, key):
    profile = make(app)
    real = readers.gitea(text)['mailer'] if app == 'gitea' else readers.grafana(text)['smtp']
    assert real[key[1]] == 'p'                              # what the app reads ...
    assert info(profile, text)['password'] == 'p'           # ... is what outgoing_server_info reports
    want = desired(username='bob', password='p#ss;word')
    drift = compute_drift(info(profile, text), want.values())
    assert any(item['setting'] == 'password' for item in drift)
    plan = plan_text(profile, text, want)
    assert plan.changed is True                             # so outgoing_server rewrites it ...
    after = readers.gitea(plan.payload)['mailer'] if app == 'gitea' else readers.grafana(plan.payload)['smtp']
    assert after[key[1]] == 'p#ss;word'                     # ... and the app then reads the password given
    assert plan_text(profile, plan.payload, want).changed is False


def test_a_value_the_app_already_reads_right_is_left_byte_identical():
    text = GITEA_BASE + 'PASSWD = """p#ss;word"""   ; hand-quoted\nSMTP_ADDR = mail.example.com\n'
    profile = make('gitea')
    assert info(profile, text)['password'] == 'p#ss;word'
    plan = plan_text(profile, text, desired(username='bob', password='p#ss;word'))
    assert '"""p#ss;word"""   ; hand-quoted' in plan.payload


def test_a_comment_after_an_unquoted_value_is_kept_and_a_cut_off_value_is_not_kept_as_a_comment():
    profile = make('gitea')
    plan = plan_text(profile, GITEA_BASE + 'PASSWD = old ; set by ops\n', desired(username='bob', password='n#w'))
    assert 'PASSWD = `n#w` ; set by ops\n' in plan.payload
    plan = plan_text(profile, GITEA_BASE + 'PASSWD = p#ss;word\n', desired(username='bob', password='new'))
    assert 'PASSWD = new\n' in plan.payload and 'ss;word' not in plan.payload


def test_continuation_and_multi_line_values_are_read_as_go_ini_reads_them():
    texts = {
        'grafana': GRAFANA_BASE + 'password = a\\\n  b\\\nc # d\nx = y\n',
        'gitea': GITEA_BASE + 'PASSWD = `first\nsecond`\n',
    }
    assert info(make('grafana'), texts['grafana'])['password'] == readers.grafana(texts['grafana'])['smtp'][
        'password'] == 'abc # d'
    assert info(make('gitea'), texts['gitea'])['password'] == readers.gitea(texts['gitea'])['mailer'][
        'PASSWD'] == 'first\nsecond'


def test_go_bool_spellings_follow_go_ini():
    assert [go_bool(v) for v in ('t', 'y', 'On', 'TRUE', '1')] == [True] * 5
    assert [go_bool(v, True) for v in ('tRuE', 'enabled', '')] == [True, True, True]
    assert [go_bool(v, True) for v in ('f', 'n', 'Off', 'FALSE', '0')] == [False] * 5


# --------------------------------------------------------------------------- Grafana's defaults.ini fallback


def test_grafana_empty_or_absent_sender_reads_as_the_defaults_ini_values():
    text = GRAFANA_BASE + 'host = mail.example.com:587\nfrom_name =\n'
    real = readers.grafana(text)['smtp']
    model = info(make('grafana'), text)
    assert (model['from_name'], model['from_email']) == (real['from_name'], real['from_address']) == (
        'Grafana', 'admin@grafana.localhost')
    # asking for what Grafana already reads changes nothing
    plan = plan_text(make('grafana'), text, desired(from_name='Grafana', from_email='admin@grafana.localhost',
                                                    server='mail.example.com:587', username='bob',
                                                    password=None, auth=True),
                     update_password='on_create')
    assert 'from_name =\n' in plan.payload


def test_grafana_codec_refuses_an_empty_sender_name():
    """An empty from_name cannot be stored: Grafana would read its default "Grafana" instead."""
    error = refusal(lambda: GrafanaCodec(default='Grafana').encode('', 'from_name', 'grafana'))
    assert str(error).startswith("from_name: cannot be stored in grafana because Grafana replaces an empty value")


# --------------------------------------------------------------------------- Gitea FROM through Go net/mail

# '=?a?x?Hi?=' and '=?' only resemble an RFC 2047 word (a real one, '=?utf-8?q?Hi?=', is refused: test_sender_name.py)
NAMES = ['Git Server', 'Müller, Hans', 'a "quoted" name', 'back\\slash', '=?a?x?Hi?=', '=?', '  spaced  out ',
         'semi;colon #hash', '<angle> (paren) [sq] @ :', 'tab\there', 'trailing\\', '"', 'x' * 200, 'O\'Brien',
         '%(USER)x', '日本']


def test_gitea_sender_names_round_trip_through_go_net_mail():
    texts = []
    for name in NAMES:
        plan = plan_text(make('gitea'), '', desired(from_email='noreply@example.com', from_name=name))
        texts.append(plan.payload)
        assert plan_text(make('gitea'), plan.payload,
                         desired(from_email='noreply@example.com', from_name=name)).changed is False
    for name, read in zip(NAMES, readers.gitea_many(texts)):
        assert not isinstance(read, readers.Unreadable), name
        assert read['*'] == {'mailer.FROM:name': name, 'mailer.FROM:address': 'noreply@example.com'}, name


@pytest.mark.parametrize('from_value', [
    'Name <a@example.com>', 'Two  Spaces <a@example.com>', '=?utf-8?q?J=C3=B6rg?= <a@example.com>',
    '=?utf-8?b?SsO2cmc=?= <a@example.com>', '=?iso-8859-1?q?J=F6rg?= Smith <a@example.com>',
    'a@example.com (Comment Name)', '"x\\"y" <a@example.com>', 'a@example.com', '<a@example.com>',
    '"" <a@example.com>', 'Bad <a@example.com', 'just words', 'a@b@c', 'Dot.Name <a@example.com>',
    '=?koi8-r?q?x?= <a@example.com>', 'x <a@example.com> (trailing comment)',
])
def test_hand_written_gitea_from_is_parsed_like_go_net_mail(from_value):
    text = '[mailer]\nFROM = `%s`\n' % from_value
    real = readers.gitea_many([text])[0]
    want = None
    if not isinstance(real, readers.Unreadable):
        want = (real['*']['mailer.FROM:name'], real['*']['mailer.FROM:address'])
    assert parse_address(from_value) == want


def test_gitea_refuses_names_go_cannot_quote_naming_from_name():
    error = refusal(lambda: make('gitea').format_from('bell\x07', 'a@example.com'))
    assert error.option == 'from_name' and str(error).startswith('from_name: cannot be stored in gitea because')


def test_format_address_always_quotes_so_encoded_words_stay_literal():
    assert format_address('=?utf-8?q?Hi?=', 'a@example.com') == '"=?utf-8?q?Hi?=" <a@example.com>'
    assert format_address(None, 'a@example.com') == 'a@example.com'


# --------------------------------------------------------------------------- typed stores: PHP (Nextcloud), JSON


def test_nextcloud_and_mattermost_read_back_every_hostile_value():
    nc_texts, mm_texts = [], []
    for value in HOSTILE:
        nc_texts.append(plan_text(make('nextcloud'), '', desired(username=value or 'u', password=value)).payload)
        mm_texts.append(plan_text(make('mattermost'), '', desired(username=value or 'u', password=value,
                                                                  from_name=value)).payload)
    for value, read in zip(HOSTILE, readers.nextcloud_many(nc_texts)):
        assert read['mail_smtppassword'] == value and read['mail_smtpname'] == (value or 'u'), value
    for value, read in zip(HOSTILE, readers.mattermost_many(mm_texts)):
        email = read['EmailSettings']
        assert (email['SMTPPassword'], email['SMTPUsername'], email['FeedbackName']) == (value, value, value)


@pytest.mark.parametrize('app', ['nextcloud', 'mattermost'])
def test_text_that_is_not_unicode_is_refused_naming_the_option(app):
    error = refusal(lambda: plan_text(make(app), '', desired(username='bob', password='bad\udcff')))
    assert error.option == 'password'
    assert str(error).startswith('password: cannot be stored in %s because' % app)


def test_typed_codec_passes_values_through():
    codec = TypedCodec('JSON')
    assert codec.encode('x"y\\z') == 'x"y\\z' and codec.encode(587) == 587 and codec.decode(True) is True


# --------------------------------------------------------------------------- sample-shaped files, edited


def corpus(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8') as handle:
        return handle.read()


@pytest.mark.parametrize('app, name', [('grafana', 'sample.ini'), ('gitea', 'app.example.ini'),
                                       ('nextcloud', 'config.php'), ('mattermost', 'config.json')])
def test_corpus_files_edited_with_hostile_values_read_right_and_keep_everything_else(app, name):
    text = corpus(app, name)
    password, user, sender = 'p#ss;w`rd "x" \\', ' us;er#1 ', 'Ops; "Team" #1'
    params = dict(server='tls://127.0.0.1:2587', username=user, password=password, from_email='ops@example.com')
    if app in ('grafana', 'gitea', 'mattermost'):
        params['from_name'] = sender
    plan = plan_text(make(app), text, desired(**params))
    read = {'grafana': readers.grafana, 'gitea': readers.gitea, 'nextcloud': readers.nextcloud,
            'mattermost': readers.mattermost}[app]
    before, after = read(text), read(plan.payload)
    if app == 'grafana':
        smtp = after['smtp']
        assert (smtp['host'], smtp['user'], smtp['password'], smtp['from_name'], smtp['from_address']) == (
            '127.0.0.1:2587', user, password, sender, 'ops@example.com')
        assert {k: v for k, v in after.items() if k != 'smtp'} == {k: v for k, v in before.items() if k != 'smtp'}
    elif app == 'gitea':
        mailer = after['mailer']
        assert (mailer['SMTP_ADDR'], mailer['SMTP_PORT'], mailer['USER'], mailer['PASSWD']) == (
            '127.0.0.1', '2587', user, password)
        assert after['*'] == {'mailer.FROM:name': sender, 'mailer.FROM:address': 'ops@example.com'}
        assert {k: v for k, v in after.items() if k not in ('mailer', '*')} == {
            k: v for k, v in before.items() if k not in ('mailer', '*')}
    elif app == 'nextcloud':
        assert (after['mail_smtphost'], after['mail_smtpport'], after['mail_smtpname'],
                after['mail_smtppassword']) == ('127.0.0.1', 2587, user, password)
        assert {k: v for k, v in after.items() if not k.startswith('mail_')} == {
            k: v for k, v in before.items() if not k.startswith('mail_')}
    else:
        email = after['EmailSettings']
        assert (email['SMTPServer'], email['SMTPPort'], email['SMTPUsername'], email['SMTPPassword'],
                email['FeedbackName']) == ('127.0.0.1', '2587', user, password, sender)
    # and the module reads what the app reads: a second run changes nothing
    assert plan_text(make(app), plan.payload, desired(**params)).changed is False


def test_key_lines_and_sections_are_found_the_way_go_ini_finds_them():
    """go-ini ends a key at the first "=" or ":" and keeps blanks inside [ ]: the module sees the same keys."""
    text = ('[mailer]\nSMTP_ADDR = mail.example.com\nUSER = bob\nPASSWD: colon-secret\n'
            '[ mailer ]\nPASSWD = not-the-mailer-section\n')
    real = readers.gitea(text)
    assert real['mailer']['PASSWD'] == 'colon-secret' and real[' mailer ']['PASSWD'] == 'not-the-mailer-section'
    profile = make('gitea')
    assert info(profile, text)['password'] == 'colon-secret'
    plan = plan_text(profile, text, desired(username='bob', password='n:ew#1'))
    assert 'PASSWD: `n:ew#1`\n' in plan.payload  # edited in place, its ":" kept
    assert readers.gitea(plan.payload)['mailer']['PASSWD'] == 'n:ew#1'
    assert readers.gitea(plan.payload)[' mailer ']['PASSWD'] == 'not-the-mailer-section'


# Seeded random text from the characters INI readers treat specially: a fixed, reproducible sample (the same on
# every run) that the model must read like go-ini and that every accepted write must survive.
_ALPHABET = list('ab #;"\'`\\%()s=:[]\t$') + ['"""', '%(USER)s', '\u00a0', 'é', '=?utf-8?q?', '?=', '<', '>']


def _samples(seed, count, longest):
    rnd = random.Random(seed)
    return [''.join(rnd.choice(_ALPHABET) for _char in range(rnd.randint(1, longest))) for _sample in range(count)]


def test_seeded_random_lines_read_like_go_ini_and_writes_read_back():
    raws = _samples(10, 600, 10)
    texts = ['[mailer]\nSMTP_ADDR = h\nUSER = bob\nPASSWD = %s\nX = 1\n' % raw for raw in raws]
    for app, read in (('gitea', readers.gitea_many(texts)),
                      ('grafana', readers.grafana_many([t.replace('[mailer]', '[smtp]') for t in texts]))):
        codec = make(app).value_codec
        for raw, text, real in zip(raws, texts, read):
            if isinstance(real, readers.Unreadable):
                continue  # an unclosed quote, or (Grafana) an expansion that fails
            section = 'mailer' if app == 'gitea' else 'smtp'
            ours = codec.load(IniStore.parse(text.replace('[mailer]', '[%s]' % section)), (section, 'PASSWD'))
            if app == 'grafana' and ('${' in raw or '$__' in raw):
                continue  # Grafana expanded it from its environment
            assert ours == real[section].get('PASSWD', ''), (app, raw)  # Grafana: an empty value is skipped
    values, encoded = _samples(11, 600, 10), []
    codec = GoIniCodec()
    for value in values:
        try:
            encoded.append((value, '[mailer]\nPASSWD = %s\n' % codec.encode(value, 'password', 'gitea')))
        except SettingsError:
            assert '%(' in value and ')s' in value
    for (value, _text), real in zip(encoded, readers.gitea_many([text for _value, text in encoded])):
        assert real['mailer']['PASSWD'] == value
    names = _samples(12, 300, 8)
    read = readers.gitea_many(['[mailer]\nFROM = `%s`\n' % name for name in names])
    for name, real in zip(names, read):
        want = None
        if not isinstance(real, readers.Unreadable) and '*' in real:
            want = (real['*']['mailer.FROM:name'], real['*']['mailer.FROM:address'])
        assert parse_address(name) == want, name


MM_HAND = [
    '{"EmailSettings": {"SMTPServer": "h", "SMTPPassword": "a", "SMTPPassword": "b"}}',
    '{"EmailSettings": {"SMTPServer": "h", "smtppassword": "lower"}}',
    '{"EmailSettings": {"SMTPServer": "h", "SMTPPassword": "exact", "smtppassword": "lower"}}',
    '{"EmailSettings": {"SMTPServer": "h", "smtppassword": "lower", "SMTPPassword": "exact"}}',
    '{"emailsettings": {"SMTPServer": "h", "SMTPPassword": "top-level key in lower case"}}',
    '{"EmailSettings": {"SMTPServer": "h", "SMTPPassword": null}}',
]


def test_mattermost_keys_match_case_insensitively_like_go_json():
    profile = make('mattermost')
    for text, real in zip(MM_HAND, readers.mattermost_many(MM_HAND)):
        assert info(profile, text)['password'] == real['EmailSettings']['SMTPPassword'], text
    # writing goes to the key Go reads, so Mattermost then uses the new password
    plan = plan_text(profile, MM_HAND[2], desired(username='bob', password='new'))
    assert readers.mattermost(plan.payload)['EmailSettings']['SMTPPassword'] == 'new'
    assert plan_text(profile, plan.payload, desired(username='bob', password='new')).changed is False


def test_mattermost_value_of_the_wrong_json_type_is_drift_and_gets_fixed():
    text = '{"EmailSettings": {"SMTPServer": "h", "SMTPPort": 587, "EnableSMTPAuth": "true"}}'
    assert isinstance(readers.mattermost_many([text])[0], readers.Unreadable)  # Mattermost cannot load it
    profile = make('mattermost')
    assert info(profile, text)['port'] is None
    plan = plan_text(profile, text, desired(server='tls://h:587', username='bob', password='pw'))
    email = readers.mattermost(plan.payload)['EmailSettings']
    assert (email['SMTPPort'], email['EnableSMTPAuth']) == ('587', True)


def test_nextcloud_config_changed_after_its_array_is_refused_not_misread():
    """PHP runs `$CONFIG['key'] = ...` after the array: the module says it cannot tell instead of misreading."""
    text = ("<?php\n$CONFIG = array (\n  'mail_smtphost' => 'mail.example.com',\n  'mail_smtppassword' => 'a',\n);\n"
            "$CONFIG['mail_smtppassword'] = 'late';\n")
    assert readers.nextcloud(text)['mail_smtppassword'] == 'late'
    profile = make('nextcloud')
    with pytest.raises(StoreError) as caught:
        info(profile, text)
    assert 'line 6' in str(caught.value) and 'late' not in str(caught.value)


@pytest.mark.parametrize('raw, secrets', [
    ('p#ss;word', ['p#ss;word']),                     # the app reads "p": hide the text, not every "p"
    ('longer#rest', ['longer', 'longer#rest']),       # a fragment long enough is hidden on its own too
    ('`quoted#`', ['quoted#', '`quoted#`']),
    ('plain', ['plain']),
])
def test_secrets_hidden_are_the_value_the_app_reads_and_the_file_text(raw, secrets):
    profile = make('gitea')
    store = profile.parse(GITEA_BASE + 'PASSWD = %s\n' % raw)
    assert profile.stored_secrets(store, ('mailer', 'PASSWD')) == secrets


@pytest.mark.parametrize('literal', ['"a$\U000fc3e2b"', '"$\u00e9t\u00e9"', '"{$x}"'])
def test_nextcloud_interpolating_strings_are_refused_not_misread(literal):
    """PHP interpolates "$name" where name may start with any non-ASCII character (astral ones too)."""
    text = "<?php\n$CONFIG = array (\n  'mail_smtphost' => 'h',\n  'mail_smtppassword' => %s,\n);\n" % literal
    assert readers.nextcloud(text)['mail_smtppassword'] != literal[1:-1]
    with pytest.raises(StoreError):
        info(make('nextcloud'), text)


def test_on_create_keeps_a_stored_password_grafana_computes_byte_identical():
    text = (GRAFANA_BASE + 'password = $__file{/run/secrets/smtp}\nskip_verify = false\n'
            'startTLS_policy = MandatoryStartTLS\n')
    profile = make('grafana')
    settings = desired(server='tls://mail.example.com:587', username='bob', auth=True)
    plan = plan_text(profile, text, settings, update_password='on_create')
    assert plan.changed is False and plan.payload == text
    # with update_password: always and a literal password, the reference is replaced by the password given
    plan = plan_text(profile, text, desired(server='tls://mail.example.com:587', username='bob', password='lit'))
    assert 'password = lit\n' in plan.payload


# --------------------------------------------------------------------------- the WHOLE file, as go-ini reads it

# (text, line go-ini refuses, words of the reason): a line anywhere, in any section, that go-ini refuses stops
# Gitea and Grafana, however good [mailer]/[smtp] is. {key} is PASSWD / password, {section} mailer / smtp.
REFUSED = [
    ('[database]\n{key} = """""\n[{section}]\n{key} = s3cret\n', 2, 'opens a multi-line """ quote'),
    ('[server]\nROOT = `https://x\n\n[{section}]\n{key} = s3cret\n', 2, 'ROOT in [server] opens a multi-line `'),
    ('[{section}]\n{key} = s3cret\n[other]\nX = """still open\n; comment\n', 4, 'no later line closes'),
    ('[{section}]\n{key} = `s3cret\n', 2, 'the value of {key} in [{section}] opens'),
    ('[server\n[{section}]\n{key} = s3cret\n', 1, 'a section header without its closing "]"'),
    ('APP = x\n[]\n[{section}]\n{key} = s3cret\n', 2, 'an empty section name'),
    ('[database]\njust some words\n[{section}]\n{key} = s3cret\n', 2, 'it has no "=" or ":"'),
    ('[{section}]\n{key} = s3cret\n[x]\n = orphan\n', 4, 'a key with an empty name'),
    ('[database]\n"NAME = x\n[{section}]\n{key} = s3cret\n', 2, 'a key name that opens a quote (")'),
    ('[database]\n`NAME` x\n[{section}]\n{key} = s3cret\n', 2, 'it has no "=" or ":"'),
    ('[database]\r\nHOST = """a\r\n[{section}]\r\n{key} = s3cret\r\n', 2, 'opens a multi-line """ quote'),
]


def _whole(app, text):
    section, key = ('mailer', 'PASSWD') if app == 'gitea' else ('smtp', 'password')
    return text.format(section=section, key=key)


def _read_many(app, texts):
    return (readers.gitea_many if app == 'gitea' else readers.grafana_many)(texts)


@pytest.mark.parametrize('app', ['gitea', 'grafana'])
def test_a_file_go_ini_refuses_anywhere_is_refused_naming_its_line(app, tmp_path):
    texts = [_whole(app, text) for text, _line, _words in REFUSED]
    for (_text, line, words), text, real in zip(REFUSED, texts, _read_many(app, texts)):
        assert isinstance(real, readers.Unreadable), text  # the app itself does not start with this file
        path = tmp_path / 'app.ini'
        path.write_text(text, newline='')
        profile = make(app, path=str(path))
        with pytest.raises(StoreError) as caught:
            profile.read()
        message = str(caught.value)
        assert message.startswith('%s: cannot parse %s as ini: line %d: ' % (app, path, line)), message
        assert _whole(app, words) in message
        assert 'go-ini (the INI reader of %s) refuses the whole file' % app.title() in message
        assert 's3cret' not in message and 'https' not in message and 'orphan' not in message


@pytest.mark.parametrize('app', ['gitea', 'grafana'])
def test_sections_and_keys_are_where_go_ini_finds_them_in_the_whole_file(app):
    """Lines inside another key's multi-line value are not keys or headers; go-ini's headers are headers."""
    texts = [_whole(app, text) for text in (
        '[server]\nX = `abc\n[{section}]\n{key} = inside-the-value\n`\n',
        '[{section}]\n{key} = first\nX = """\n[other]\n{key} = inside\n"""\n',
        '[{section}] trailing words\n{key} = after-a-header-with-words\n',
        '[{section}]\n{key} = kept\n[x]y]\n{key} = another-section\n',
        '[{section}]\n{key} = kept\nX = y\\\n{key} = continued-or-not\n',
        '[{section}]\n{key} = a\\\n  b\n[other]\nA = 1\n',
        '[{section}]\n\f[other]\n{key} = in-other\n',
        '[other]\nX = `a\n[{section}]\n{key} = a` ; y\n[{section}]\n{key} = real\n',
    )]
    section, key = ('mailer', 'PASSWD') if app == 'gitea' else ('smtp', 'password')
    profile = make(app)
    for text, real in zip(texts, _read_many(app, texts)):
        if isinstance(real, readers.Unreadable):  # Gitea: no continuation lines, "  b" is not key = value
            with pytest.raises(StoreError):
                profile.parse(text)
            continue
        theirs = real.get(section, {}).get(key) or None
        assert (profile.get(profile.parse(text), (section, key)) or None) == theirs, text


@pytest.mark.parametrize('app, text', [
    ('gitea', GITEA_BASE + 'PASSWD = `first\nsecond`\nFROM = git@example.com\n[other]\nA = `x\ny`\n'),
    ('grafana', GRAFANA_BASE + 'password = abc\\\n def\\\n ghi\nfrom_name = Mail\n[other]\nA = x\\\n y\n'),
    ('gitea', GITEA_BASE + 'PASSWD = """first\nsecond"""'),
])
def test_writing_a_multi_line_value_replaces_it_whole_and_the_app_reads_the_rest_unchanged(app, text):
    before, = _read_many(app, [text])
    plan = plan_text(make(app), text, desired(username='bob', password='n3w#pass'))
    after, = _read_many(app, [plan.payload])
    section, key = ('mailer', 'PASSWD') if app == 'gitea' else ('smtp', 'password')
    assert after[section][key] == 'n3w#pass'
    assert after.get('other') == before.get('other')
    assert plan.payload.endswith('\n') == text.endswith('\n')
    for part in ('first', 'second', 'abc', 'def', 'ghi', 'n3w#pass'):  # every line of the old and new password
        assert part not in plan.before and part not in plan.after
    assert plan_text(make(app), plan.payload, desired(username='bob', password='n3w#pass')).changed is False


@pytest.mark.parametrize('line', ['`PASSWD` = quoted-name', '"PASSWD" = quoted-name', '\u00a0PASSWD = nbsp'])
def test_a_key_go_ini_reads_under_a_spelling_the_module_does_not_edit_is_refused_not_missed(line):
    text = GITEA_BASE + line + '\n'
    assert readers.gitea(text)['mailer']['PASSWD'] in ('quoted-name', 'nbsp')
    with pytest.raises(StoreError) as caught:
        info(make('gitea'), text)
    assert str(caught.value).startswith('line 5: the app reads key PASSWD of [mailer] here')
    assert 'quoted-name' not in str(caught.value) and 'nbsp' not in str(caught.value)


# Gitea compares PROTOCOL exactly (modules/setting/mailer.go; services/mailer/sender/smtp.go: ``switch protocol``
# with ``smtps``/``smtp+starttls``/``smtp+unix`` cases and a no-TLS default): (PROTOCOL line, SMTP_PORT) ->
# (security, port) the module reports.
PROTOCOLS = [
    ('PROTOCOL = smtps', '465', 'tls', 465),
    ('PROTOCOL = smtp+starttls', '587', 'starttls', 587),
    ('PROTOCOL = smtp+startls', '587', 'starttls', 587),  # Gitea's own fallback for the old typo
    ('PROTOCOL = smtp', '25', 'none', 25),
    ('PROTOCOL = SMTPS', '465', 'none', 465),  # no protocol Gitea knows: its SMTP sender uses no TLS
    ('PROTOCOL = Smtp+StartTLS', '587', 'none', 587),
    ('PROTOCOL = smtps', '', 'tls', 465),  # SMTP_PORT inferred from the protocol
    ('PROTOCOL =', '25', 'none', 25),  # PROTOCOL inferred from SMTP_PORT
    ('PROTOCOL =', '587', 'starttls', 587),
    ('PROTOCOL =', '465', 'tls', 465),
    ('PROTOCOL =', '2525', 'tls', 2525),  # Gitea logs an error and assumes smtps
    ('PROTOCOL =', '', 'tls', 465),
    ('', '25', 'none', 25),
    ('IS_TLS_ENABLED = true', '25', 'tls', 25),  # the legacy key, when PROTOCOL is absent
    ('IS_TLS_ENABLED = false', '465', 'starttls', 465),
]


@pytest.mark.parametrize('protocol, port, security, read_port', PROTOCOLS)
def test_gitea_protocol_is_read_with_its_exact_spelling_like_gitea(protocol, port, security, read_port):
    text = '[mailer]\nENABLED = true\n%s\nSMTP_ADDR = mail.example.com\nSMTP_PORT = %s\n' % (protocol, port)
    real = readers.gitea(text)['mailer']
    assert real.get('PROTOCOL', '') == protocol.partition('=')[2].strip() if protocol.startswith('PROTOCOL') \
        else 'PROTOCOL' not in real  # go-ini hands Gitea the spelling as written: no case folding
    model = info(make('gitea'), text)
    assert (model['security'], model['port']) == (security, read_port)


def test_gitea_protocol_in_another_case_is_drift_and_is_rewritten_in_gitea_spelling():
    text = '[mailer]\nENABLED = true\nPROTOCOL = SMTPS\nSMTP_ADDR = mail.example.com\nSMTP_PORT = 465\n'
    want = desired(server='ssl://mail.example.com:465')
    assert [item['setting'] for item in compute_drift(info(make('gitea'), text), want.values())] == ['security']
    plan = plan_text(make('gitea'), text, want)
    assert plan.changed and readers.gitea(plan.payload)['mailer']['PROTOCOL'] == 'smtps'
    assert plan_text(make('gitea'), plan.payload, want).changed is False


@pytest.mark.parametrize('protocol', ['sendmail', 'dummy', 'smtp+unix'])
def test_a_gitea_sender_that_is_not_smtp_to_the_server_is_drift(protocol):
    text = '[mailer]\nENABLED = true\nPROTOCOL = %s\nSMTP_ADDR = mail.example.com\nSMTP_PORT = 587\n' % protocol
    want = desired(server='tls://mail.example.com:587')
    assert 'security' in [item['setting'] for item in compute_drift(info(make('gitea'), text), want.values())]
    plan = plan_text(make('gitea'), text, want)
    assert readers.gitea(plan.payload)['mailer']['PROTOCOL'] == 'smtp+starttls'


_VALUE_PIECES = ['`', '"""', '"', "'", '\\', ';', '#', ' ', '\t', 'x', 'y', '\u00a0', '\r', '=', ':', '[b]', ']']
_KEY_NAMES = ['KEY', 'PASSWD', 'A B', '-', '`Q`', '"q"', '"""T"""', '\u00a0N', '[c', '']
_HEADERS = ['[a]', '[mailer]', '[smtp] words', '[x]y]', '[ a ]', ' [mailer]', '[d', '[]']


def _random_line(rnd):
    kind = rnd.random()
    if kind < 0.12:
        return rnd.choice(_HEADERS)
    if kind < 0.2:
        return rnd.choice(['', '; note', '# x = y', ';[mailer]', 'junk'])
    value = ''.join(rnd.choice(_VALUE_PIECES) for _piece in range(rnd.randint(0, 4)))
    return rnd.choice(_KEY_NAMES) + rnd.choice([' = ', '=', ': ', ' :']) + value


def _random_files(seed, count):
    rnd = random.Random(seed)
    return [''.join(_random_line(rnd) + '\n' for _line in range(rnd.randint(1, 8))) for _file in range(count)]


def test_seeded_random_files_are_refused_or_read_key_by_key_exactly_like_go_ini():
    """Whole random files: the module refuses exactly the files go-ini refuses, and (Gitea) finds every section,
    key and value go-ini finds, or refuses to edit a key spelled in a way it does not edit."""
    texts = _random_files(20, 1500)
    codec = make('gitea').value_codec
    refused = compared = 0
    for app, seen in (('gitea', readers.gitea_many(texts)), ('grafana', readers.grafana_many(texts))):
        profile = make(app)
        for text, real in zip(texts, seen):
            go_ini_refuses = isinstance(real, readers.Unreadable) and str(real).startswith(
                ('failed to parse: ', 'failed to load config: '))
            try:
                store = profile.parse(text)
            except StoreError:
                assert go_ini_refuses, (app, text)
                refused += 1
                continue
            assert not go_ini_refuses, (app, text, real)
            if app != 'gitea' or isinstance(real, readers.Unreadable):
                continue  # Grafana: defaults.ini and expansion on top (checked key by key above); FROM errors
            ours = {}
            for line in store._lines:
                if line.kind == 'key':
                    ours.setdefault(line.section or 'DEFAULT', set()).add(line.key)
            for section, keys in ours.items():
                assert keys == set(real[section]), (text, section)
                for key in keys:
                    try:
                        value = codec.load(store, (section if section != 'DEFAULT' else None, key))
                    except StoreError:
                        continue  # a key spelled in a way the module does not edit: refused when used
                    assert value == real[section][key], (text, section, key)
                    compared += 1
            assert {section for section, keys in real.items() if keys and section != '*'} <= set(ours), text
    assert refused > 300 and compared > 300, (refused, compared)  # the sample exercises both sides
