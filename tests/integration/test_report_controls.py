# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 20: control characters in a server's reply never reach a terminal, a report or a browser raw.

Servers that answer with ``ESC c`` (terminal reset), CSI sequences (clear screen, cursor moves), an OSC title
sequence, 8-bit C1 controls (U+009B is a one-character CSI on many terminals, U+0085 NEL), BEL, DEL and NUL --
in a multi-line 535 to AUTH, in a 550 to MAIL, in a 554 greeting and, decoded from base64, in the JSON of an
XOAUTH2 334 challenge. Through ``ansible-playbook``: the role's apply writes its JSON, Markdown and HTML
reports, ``smtp_probe`` tasks print their full result (transcript included); no file and no output holds a raw
control character (C0 except newline and tab, DEL, C1 -- checked on the decoded text: the UTF-8 bytes of a
non-ASCII letter are not controls), and each shows the visible escape (``\\x1bc``, ``\\x9b31m``) instead.
"""

import json
import os
import re
import sys

from test_fleet_report import run_role

PASSWORD = 'Ctrl-Report 2026!'
USER = 'apps@example.test'
ESC_RESET = '\x1bc'
# name -> (sandbox script, the escaped text the reports must show)
HOSTILE = {
    'auth-reset': ({'auth': ['535-5.7.8 bad credentials' + ESC_RESET + '\x1b[2J\x1b[1;1H',
                             '535 5.7.8 \u009b31mred\u0085nel\x07bell\x7fdel\x00nul end']},
                   ['\\x1bc\\x1b[2J', '\\x9b31mred\\x85nel\\x07bell\\x7fdel\\x00nul']),
    'mail-title': ({'mail': ['550 5.7.1 sender refused\x1b]0;owned\x07 \u009d\u0090 here']},
                   ['\\x1b]0;owned\\x07 \\x9d\\x90']),
    'greeting': ({'greeting': ['554 5.3.2 go away\x1b[?1049h\u0090\x1b[8m']}, ['go away\\x1b[?1049h\\x90']),
}

PLAYBOOK = """
- name: The module's own output
  hosts: auth-reset
  gather_facts: false
  tasks:
    - name: probe the hostile server
      mailops.smtp.smtp_probe:
        server: "{{ outgoing_server_server }}"
        username: "{{ outgoing_server_username }}"
        password: "{{ outgoing_server_password }}"
        transcript: always
      ignore_errors: true

- name: Roll out to the hostile servers
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
      vars:
        outgoing_server_mode: apply
"""


def raw_controls(text):
    return sorted({'U+%04X' % ord(c) for c in text if (ord(c) < 0x20 and c not in '\n\t') or 0x7f <= ord(c) <= 0x9f})


def test_replies_with_control_characters_are_escaped_in_every_report_and_output(tmp_path):
    from smtp_sandbox import SmtpSandbox

    servers = {name: SmtpSandbox(security='starttls', users={USER: PASSWORD}, script=script).start()
               for name, (script, _shown) in HOSTILE.items()}
    try:
        local = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
        hosts = {}
        for name, sandbox in servers.items():
            (tmp_path / name).mkdir()
            (tmp_path / name / 'grafana.ini').write_text('[smtp]\nenabled = true\nhost = old.example.test:25\n')
            hosts[name] = dict(local, outgoing_server_app='grafana', outgoing_server_server=sandbox.server,
                               outgoing_server_path=str(tmp_path / name / 'grafana.ini'))
        inventory = {'all': {'vars': {
            'outgoing_server_username': USER, 'outgoing_server_password': PASSWORD,
            'outgoing_server_from_email': USER, 'outgoing_server_timeout': 5, 'outgoing_server_deadline': 10,
            'outgoing_server_service_restart': False, 'outgoing_server_report_dir': str(tmp_path / 'reports')},
            'hosts': hosts}}
        os.environ['SSL_CERT_FILE'] = servers['auth-reset'].ca_path   # the sandboxes share one test CA
        try:
            proc = run_role(tmp_path, inventory, PLAYBOOK)
        finally:
            del os.environ['SSL_CERT_FILE']
    finally:
        for sandbox in servers.values():
            sandbox.stop()
    assert proc.returncode == 2, proc.stdout[-6000:]   # the apply fails the three hosts
    assert 'Traceback' not in proc.stdout and PASSWORD not in proc.stdout
    assert raw_controls(proc.stdout) == [], proc.stdout[-6000:]
    assert '535 5.7.8 \\\\x9b31mred\\\\x85nel' in proc.stdout   # the module's result (as JSON), transcript too
    assert '"transcript"' in proc.stdout

    reports = tmp_path / 'reports'
    report = json.loads((reports / 'outgoing-server-apply.json').read_text(encoding='utf-8'))
    rows = {row['host']: row for row in report['hosts']}
    assert {name: row['status'] for name, row in rows.items()} == {name: 'test_failed' for name in HOSTILE}
    for name, (_script, shown) in HOSTILE.items():
        row = rows[name]
        assert raw_controls(json.dumps(row, ensure_ascii=False)) == [], row   # the decoded values themselves
        for text in shown:
            assert text in row['reply'], (name, row['reply'])
    for fmt in ('json', 'md', 'html'):
        data = (reports / ('outgoing-server-apply.%s' % fmt)).read_bytes()
        text = data.decode('utf-8')
        assert raw_controls(text) == [], fmt
        assert PASSWORD not in text
        if fmt == 'json':
            text = json.dumps(json.loads(text), ensure_ascii=False)   # the JSON writes the escapes' backslash as \\
            text = text.replace('\\\\', '\\')
        elif fmt == 'md':
            text = re.sub(r'\\(.)', r'\1', text)   # as Markdown renders its backslash escapes (\\, \[)
        for _script, shown in HOSTILE.values():
            for escaped in shown:
                assert escaped in text, (fmt, escaped)
    assert raw_controls((tmp_path / 'auth-reset' / 'grafana.ini').read_text()) == []


def test_an_xoauth2_challenge_with_control_characters_is_escaped(run_playbook, smtp_sandbox, oauth_server, tmp_path):
    oauth_server.add_client('app-graph', secret=PASSWORD, audience='https://graph.microsoft.com')
    oauth = oauth_server.smtp_oauth({'app-graph': [USER]})
    oauth['scope'] = 'https://outlook.office.com/.default' + ESC_RESET + '\u009b2J\x7f'   # in the 334's JSON
    sb = smtp_sandbox(security='starttls', oauth=oauth)
    oauth2 = dict(provider='microsoft', tenant=oauth_server.tenant, token_url=oauth_server.token_url,
                  client_id='app-graph', client_secret=PASSWORD)
    probe = dict(server=sb.server, ca_path=sb.ca_path, username=USER, test='auth', transcript='always',
                 timeout=5, deadline=20, oauth2=oauth2)
    path = tmp_path / 'oauth.yml'
    path.write_text(json.dumps([{'name': 'OAuth', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'probe', 'mailops.smtp.smtp_probe': '{{ probe }}', 'ignore_errors': True}]}]))
    run = run_playbook(str(path), dict(probe=probe))
    result = run.result('probe')
    assert result['probe']['auth_challenge']['scope'] == 'https://outlook.office.com/.default\\x1bc\\x9b2J\\x7f'
    assert 'scope=https://outlook.office.com/.default\\x1bc\\x9b2J\\x7f' in result['diagnosis']['server_message']
    assert raw_controls(run.stdout) == [] and raw_controls(json.dumps(result, ensure_ascii=False)) == []
    assert '\\\\x1bc\\\\x9b2J' in run.stdout and PASSWORD not in run.all_output()
