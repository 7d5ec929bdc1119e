# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `send` test message: from_name reaches the reader literally, in RFC 5322 lines of at most 78 columns
(RFC 2047 encoded words where needed), whatever it holds; and timeout/deadline must be finite and bounded.

Decoded by two independent readers: Perl's Encode::MIME::Header (what swaks and many MTAs use) and Python's
email.header; and delivered for real through the sandbox SMTP server."""

import email
import email.policy
from email.header import decode_header, make_header

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._probe import build_message
from ansible_collections.mailops.smtp.plugins.module_utils._settings import check_durations
from probe_call import probe_call

USER = 'alice@example.test'
PASSWORD = 's3cret pass-Word!'

NAMES = [
    'Jörg Müller-Lüdenscheidt ' * 8,                     # long, non-ASCII: folded encoded words
    'Example CRM Notifications for the Customer Relationship Management Platform of ACME Corporation',
    'Evil\u2028Name', 'Para\u2029graph', 'Next\u0085Line', 'Vertical\x0bTab', 'Form\x0cFeed', 'Tab\there',
    '=?utf-8?q?admin?=',                                  # looks like an encoded word: must stay literal
    'x =?iso-8859-1?b?QWRtaW4=?= y',
    'A "quoted", name (with comment)',
    '😀' * 40,                                            # 4-byte characters never split across words
    'Zoë',
    'x' * 10000,                                          # no blank to fold at: encoded words (a line <= 998)
    'a' * 61 + ' b', 'a' * 60 + ' b',                     # just past and at the longest foldable word
]


def headers_of(data):
    head = data.split(b'\r\n\r\n', 1)[0].decode('ascii')
    return head.split('\r\n')


def raw_from(data):
    lines = headers_of(data)
    start = [i for i, line in enumerate(lines) if line.startswith('From: ')]
    assert len(start) == 1, lines
    value = [lines[start[0]][len('From: '):]]
    for line in lines[start[0] + 1:]:
        if not line.startswith((' ', '\t')):
            break
        value.append(line)
    return '\r\n'.join(value)


def python_display_name(raw):
    unfolded = raw.replace('\r\n', '')
    name, _sep, _addr = unfolded.rpartition(' <')
    if '=?' not in name:
        return email.utils.parseaddr(unfolded)[0]
    return str(make_header(decode_header(name)))


@pytest.mark.parametrize('name', NAMES)
def test_from_name_reaches_the_reader_literally_in_lines_of_at_most_78_columns(name):
    data, _message_id = build_message(USER, USER, 'crm@example.test', name, 'host.example.test', 'tls://x:587')
    lines = headers_of(data)
    assert max(len(line) for line in lines) <= 78, lines
    assert all(line.isascii() for line in lines)
    raw = raw_from(data)
    assert raw.endswith('<crm@example.test>')
    assert python_display_name(raw) == name
    decoded = readers.perl_mime_header(raw)
    if '=?' in raw:
        assert decoded == name + ' <crm@example.test>'
    if '=?' in name:
        assert name not in raw   # the look-alike itself is encoded, not passed through


def test_plain_ascii_names_are_quoted_not_encoded():
    data, _message_id = build_message(USER, USER, 'crm@example.test', 'A "quoted", name', 'h.example.test', 'x')
    assert raw_from(data) == '"A \\"quoted\\", name" <crm@example.test>'


def test_a_very_long_name_is_delivered_and_read_back_exactly(smtp_sandbox):
    name = 'Ünïcödé Sender ' * 40 + '\u2028=?utf-8?q?x?='
    sb = smtp_sandbox(security='tls', users={USER: PASSWORD}, allowed_senders={USER: [USER, 'crm@example.test']})
    result = probe_call(sb.server, level='send', ca_path=sb.ca_path, username=USER, password=PASSWORD,
                        from_email='crm@example.test', from_name=name, test_sender=USER, timeout=5, deadline=20)
    assert result['ok'] is True, result['msg']
    sb.wait_for(lambda s: len(s.messages) == 1)
    data = sb.messages[0]['data']
    assert max(len(line) for line in data.split(b'\r\n')) <= 78
    parsed = email.message_from_bytes(data, policy=email.policy.compat32)
    assert python_display_name(parsed['From']) == name


@pytest.mark.parametrize('option, value', [
    ('timeout', float('inf')), ('timeout', 1e300), ('timeout', float('nan')), ('timeout', 0), ('timeout', 3601),
    ('deadline', float('inf')), ('deadline', 1e300), ('deadline', float('-inf')), ('deadline', float('nan')),
    ('deadline', -1), ('deadline', 86401), ('timeout', True),
])
def test_timeout_and_deadline_must_be_finite_and_bounded(option, value):
    with pytest.raises(SettingsError) as info:
        check_durations({option: value})
    assert info.value.option == option and str(info.value).startswith(option + ': ')
    with pytest.raises(SettingsError) as info:
        probe_call('tls://127.0.0.1:1', level='connect', **{option: value})
    assert info.value.option == option


def test_the_largest_allowed_values_run_without_overflow(smtp_sandbox):
    sb = smtp_sandbox(security='tls', users={USER: PASSWORD})
    result = probe_call(sb.server, level='connect', ca_path=sb.ca_path, timeout=3600, deadline=86400)
    assert result['ok'] is True, result['msg']
