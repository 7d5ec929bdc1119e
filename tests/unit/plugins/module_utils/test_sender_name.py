# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sender name that looks like an RFC 2047 encoded word (``=?utf-8?q?x?=``) is refused for every app.

Why, shown on the real readers:

* unquoted (what ``format_from`` used to write, every character being atext), Go's ``net/mail`` (Gitea reads
  ``FROM`` with it, Alertmanager ``smtp_from``) and every mail program decode it: ``x``;
* quoted, Go reads the name exactly, but the recipient's mail program still decodes it: Python's ``email``
  (``policy.default``) and Perl's ``Encode::MIME::Header`` decode encoded words inside quoted strings;
* every app puts the name into its From header as text: Gitea, Grafana and Mattermost through Go's
  ``mail.Address.String()`` (a quoted string for any printable ASCII name, run here), Alertmanager and Synapse
  the stored ``"Name" <addr>`` as it is (the real Alertmanager mails it below, in test_profiles_stack.py).

So no spelling in any app's file makes recipients see the name as given: the profiles refuse it with an error
naming ``from_name``, and a name that only resembles one (``=?`` alone, an unknown encoding letter) is quoted and
read back exactly. The ``send`` test message encodes such a name itself (base64 words), so recipients see it.
"""

import email
import email.policy
import os
import shutil
import subprocess

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._probe import build_message
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    format_from,
    looks_encoded,
    parse_from,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
FIXTURES = os.path.join(ROOT, 'tests', 'integration', 'fixtures')
ADDRESS = 'alerts@example.com'

ENCODED = ['=?utf-8?q?x?=', '=?UTF-8?B?eA==?=', 'Ops =?utf-8?q?Team?= desk', 'x=?us-ascii?q?y?=z',
           '=?iso-8859-1?q?a b?=', '=??q?x?=', '"=?utf-8?q?x?="']
# '=?' without the rest of an encoded word, or with an encoding letter no reader knows: read literally
RESEMBLING = ['=?', 'why =? not', 'a?=b', '=?utf-8?x', '=?a?x?y?=', '=?a?b?=', '?= =?']


def python_display_name(header):
    """The display name Python's email package (policy.default, what a Python recipient uses) shows."""
    message = email.message_from_string('From: %s\n\nbody\n' % header, policy=email.policy.default)
    (address,) = message['From'].addresses
    return address.display_name, address.addr_spec


def gitea_reads(values):
    """Go's net/mail.ParseAddress of each ``FROM`` value, as Gitea reads it from app.ini: (name, address)."""
    codec = GoIniCodec(continuation=False)
    texts = ['[mailer]\nENABLED = true\nFROM = %s\n' % codec.encode(value, 'from_name', 'gitea') for value in values]
    seen = readers.gitea_many(texts)
    return [(result['*']['mailer.FROM:name'], result['*']['mailer.FROM:address']) for result in seen]


# --------------------------------------------------------------------------- format_from

def test_format_from_quotes_a_name_with_an_encoded_word_opener():
    assert format_from('=?utf-8?q?x?=', ADDRESS) == '"=?utf-8?q?x?=" <%s>' % ADDRESS
    assert format_from('a=?b', ADDRESS) == '"a=?b" <%s>' % ADDRESS
    assert format_from('Ops Team', ADDRESS) == 'Ops Team <%s>' % ADDRESS   # plain atext words stay bare
    assert format_from('a?=b', ADDRESS) == 'a?=b <%s>' % ADDRESS           # no opener: nothing to decode
    assert format_from(None, ADDRESS) == ADDRESS


@pytest.mark.parametrize('name', ENCODED + RESEMBLING)
def test_format_from_round_trips_through_the_module_parser(name):
    assert parse_from(format_from(name, ADDRESS)) == (name, ADDRESS)


def test_go_net_mail_decodes_the_old_bare_form_and_reads_the_quoted_form_exactly():
    """Go's net/mail (Gitea's FROM; Alertmanager's smtp_from) over the old unquoted and the new quoted text."""
    old = ['=?utf-8?q?x?= <%s>' % ADDRESS, '=?UTF-8?B?eA==?= <%s>' % ADDRESS]
    assert gitea_reads(old) == [('x', ADDRESS), ('x', ADDRESS)]
    names = ENCODED + RESEMBLING
    assert gitea_reads([format_from(name, ADDRESS) for name in names]) == [(name, ADDRESS) for name in names]


def test_mail_programs_decode_an_encoded_word_inside_quotes_so_quoting_is_not_enough():
    header = format_from('=?utf-8?q?x?=', ADDRESS)
    assert header.startswith('"')
    assert python_display_name(header) == ('x', ADDRESS)
    assert readers.perl_mime_header(header) == '"x" <%s>' % ADDRESS
    assert python_display_name(format_from('Ops =?utf-8?q?Team?= desk', ADDRESS))[0] == 'Ops Team desk'


@pytest.mark.parametrize('name', RESEMBLING)
def test_a_name_that_only_resembles_an_encoded_word_is_read_literally(name):
    assert not looks_encoded(name)
    header = format_from(name, ADDRESS)
    assert python_display_name(header) == (name, ADDRESS)
    assert readers.perl_mime_header(header) == header


@pytest.mark.parametrize('name', ENCODED)
def test_the_detector_finds_what_the_readers_decode(name):
    assert looks_encoded(name)
    header = format_from(name, ADDRESS)
    assert python_display_name(header)[0] != name or readers.perl_mime_header(header) != header


GO_ADDRESS_STRING = r'''package main

import (
    "bufio"
    "fmt"
    "net/mail"
    "os"
)

func main() {
    scanner := bufio.NewScanner(os.Stdin)
    for scanner.Scan() {
        fmt.Println((&mail.Address{Name: scanner.Text(), Address: "alerts@example.com"}).String())
    }
}
'''


def go_address_strings(names, tmp_path):
    """``(&mail.Address{Name: name, Address: ...}).String()``: the From header of Gitea, Grafana, Mattermost."""
    go = shutil.which('go')
    if go is None:
        raise AssertionError('go is not installed (Debian golang-go): run scripts/system-deps.sh')
    source = tmp_path / 'addr.go'
    source.write_text(GO_ADDRESS_STRING)
    cache = os.path.join(ROOT, 'tests', 'output', 'readers', 'gocache')
    os.makedirs(cache, exist_ok=True)
    env = dict(readers.BASE_ENV, GO111MODULE='off', GOCACHE=cache, HOME=str(tmp_path), GOFLAGS='',
               CGO_ENABLED='0', GOPATH=readers.GOPATH)
    done = subprocess.run([go, 'run', str(source)], input='\n'.join(names).encode('utf-8') + b'\n',
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode('utf-8', 'replace')
    return done.stdout.decode('utf-8').splitlines()


def test_go_apps_send_the_name_as_a_quoted_string_which_recipients_decode(tmp_path):
    """Gitea (services/mailer/sender/message.go), Grafana (notifications/mailer.go) and Mattermost
    (shared/mail/mail.go) build From with Go's mail.Address.String(): for an ASCII name a quoted string, never an
    encoded word of their own. A recipient's mail program decodes the look-alike: the app cannot send the name."""
    headers = go_address_strings(['=?utf-8?q?x?=', 'Ops =?utf-8?q?Team?= desk', '=?a?x?y?='], tmp_path)
    assert headers[0] == '"=?utf-8?q?x?=" <%s>' % ADDRESS
    assert python_display_name(headers[0]) == ('x', ADDRESS)
    assert readers.perl_mime_header(headers[0]) == '"x" <%s>' % ADDRESS
    assert python_display_name(headers[1]) == ('Ops Team desk', ADDRESS)
    assert python_display_name(headers[2]) == ('=?a?x?y?=', ADDRESS)   # a look-alike only: shown as given


def test_synapse_sends_notif_from_as_its_from_header_which_recipients_decode():
    """Synapse's SendEmailHandler.send_email: ``multipart_msg["From"] = from_string`` then ``as_string()``
    (compat32): an ASCII notif_from is the From header as written, quoted or not."""
    from email.mime.multipart import MIMEMultipart
    for header in ('=?utf-8?q?x?= <%s>' % ADDRESS, format_from('=?utf-8?q?x?=', ADDRESS)):
        multipart_msg = MIMEMultipart('alternative')
        multipart_msg['From'] = header
        sent = multipart_msg.as_string()
        assert 'From: %s\n' % header in sent
        assert python_display_name(email.message_from_string(sent)['From']) == ('x', ADDRESS)


# --------------------------------------------------------------------------- every profile refuses it

def desired(**params):
    base = dict(server='smtp.example.com', port=587, security='starttls', validate_certs=True)
    base.update(params)
    return settings_from_params(base)


# app -> (profile params, fixture)
APPS = {
    'gitea': ({}, ('gitea', 'app.ini')),
    'grafana': ({}, ('grafana', 'grafana.ini')),
    'mattermost': ({}, ('mattermost', 'config.json')),
    'gitlab': ({}, ('gitlab', 'gitlab.rb')),
    'alertmanager': ({}, ('alertmanager', 'alertmanager.yml')),
    'synapse': ({}, ('synapse', 'homeserver-configured.yaml')),
    'dotenv': ({}, ('dotenv', '.env')),
    'generic': ({'format': 'ini', 'keys': {'server': 'mail.server', 'from_email': 'mail.from',
                                           'from_name': 'mail.name'}}, None),
}


def fixture_text(app, name):
    with open(os.path.join(FIXTURES, app, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def make(app):
    params = dict(APPS[app][0])
    params['path'] = '/srv/%s/config' % app
    return get_profile(app)(None, params)


def plan(app, text, settings_):
    profile = make(app)
    profile.check(settings_, 'present')
    stored = profile.extract(profile.parse(text)) if text else None
    return profile.plan(Snapshot(bool(text), stored, handle=text), settings_, 'present', 'always')


@pytest.mark.parametrize('name', ENCODED)
@pytest.mark.parametrize('app', sorted(APPS))
def test_every_app_that_stores_a_sender_name_refuses_an_encoded_word(app, name):
    with pytest.raises(SettingsError) as info:
        make(app).check(desired(from_email=ADDRESS, from_name=name), 'present')
    assert info.value.option == 'from_name'
    message = str(info.value)
    assert message.startswith('from_name: cannot be stored in %s because ' % app), message
    assert 'RFC 2047 encoded word' in message and 'even inside quotes' in message
    assert name not in message


@pytest.mark.parametrize('app', sorted(APPS))
def test_a_name_that_only_resembles_an_encoded_word_is_written(app):
    params, fixture = APPS[app]
    text = fixture_text(*fixture) if fixture else ''
    for name in RESEMBLING:
        result = plan(app, text, desired(from_email=ADDRESS, from_name=name))
        assert result.changed and result.stored_after['from_name'] == name, (app, name)


# A hand-written file whose sender name is a look-alike (quoted, as Go reads it literally): kept while from_email
# alone does not change the line; refused (asking for from_name) when the line would be rewritten with it.
STORED = {
    'gitea': lambda text, value: text + '\n[mailer]\nENABLED = true\nSMTP_ADDR = mail.example.com\nFROM = %s\n' % value,
    'alertmanager': lambda text, value: _replace_line(text, 'smtp_from:', "smtp_from: '%s'" % value),
    'synapse': lambda text, value: _replace_line(text, 'notif_from:', "notif_from: '%s'" % value),
    'dotenv': lambda text, value: _replace_line(_replace_line(text, 'EMAIL_HOST=', 'EMAIL_HOST=mail.example.com'),
                                                'DEFAULT_FROM_EMAIL=', "DEFAULT_FROM_EMAIL='%s'" % value),
}


def _replace_line(text, prefix, new_line):
    lines = text.split('\n')
    index = [i for i, line in enumerate(lines) if line.lstrip().startswith(prefix)][0]
    lines[index] = lines[index][:len(lines[index]) - len(lines[index].lstrip())] + new_line
    return '\n'.join(lines)


@pytest.mark.parametrize('app', sorted(STORED))
def test_a_stored_look_alike_name_is_not_rewritten_into_a_new_from(app):
    params, fixture = APPS[app]
    text = STORED[app](fixture_text(*fixture), '"=?utf-8?q?x?=" <%s>' % ADDRESS)
    kept = plan(app, text, desired(from_email=ADDRESS, username='u', password='p'))
    assert '"=?utf-8?q?x?=" <%s>' % ADDRESS in kept.payload
    assert (kept.stored_after['from_name'], kept.stored_after['from_email']) == ('=?utf-8?q?x?=', ADDRESS)
    with pytest.raises(SettingsError) as info:
        plan(app, text, desired(from_email='new@example.com'))
    assert info.value.option == 'from_name'
    assert str(info.value).startswith('from_name: cannot be stored in %s because the sender name already '
                                      'stored' % app) and str(info.value).endswith('give from_name')
    renamed = plan(app, text, desired(from_email='new@example.com', from_name='Ops'))
    assert renamed.stored_after['from_name'] == 'Ops' and renamed.stored_after['from_email'] == 'new@example.com'


# --------------------------------------------------------------------------- the send test message

@pytest.mark.parametrize('name', ENCODED + RESEMBLING)
def test_the_test_message_carries_the_name_literally_for_python_and_perl(name):
    data, _message_id = build_message(ADDRESS, ADDRESS, 'crm@example.test', name, 'host.example.test', 'x')
    message = email.message_from_bytes(data, policy=email.policy.default)
    (address,) = message['From'].addresses
    assert (address.display_name, address.addr_spec) == (name, 'crm@example.test')
    head = data.split(b'\r\n\r\n', 1)[0].decode('ascii').replace('\r\n ', ' ')   # unfolded
    header = [line for line in head.split('\r\n') if line.startswith('From: ')][0][len('From: '):]
    if '=?' in name:
        assert header.startswith('=?utf-8?b?')   # the look-alike itself is encoded (base64), not passed through
        assert readers.perl_mime_header(header) == '%s <crm@example.test>' % name
