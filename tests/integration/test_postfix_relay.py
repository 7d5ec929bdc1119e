# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""app=postfix end to end: the module (through ansible-playbook) points a REAL private Postfix at the SMTP
sandbox relay with SASL; mail handed to that Postfix's ``sendmail -C DIR`` reaches the sandbox through the
relay, authenticated with the configured credentials and with the forced sender. A failing relay test leaves
``main.cf`` and the password map untouched (bytes, inode, mtime). The password never shows in the output."""

import json
import os
import subprocess
import sys

import pytest

from mta.postfix import PostfixInstance, postfix_available
from outgoing_helpers import file_state, run_tasks
from smtp_sandbox import SmtpSandbox

USER = 'relay-user@example.com'
PASSWORD = 'Rel4y pa:ss#word$'
FROM = 'host-alerts@example.com'
RCPT = 'oncall@example.net'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _states(paths):
    return {path: file_state(path) if os.path.exists(path) else None for path in paths}


@pytest.fixture(scope='module')
def relay(tmp_path_factory):
    reason = postfix_available()
    assert reason is None, reason  # an error, never a skip: scripts/system-deps.sh installs Postfix
    tmp_path = tmp_path_factory.mktemp('postfix-relay')
    sandbox = SmtpSandbox(security='starttls', users={USER: PASSWORD})
    sandbox.start()
    postfix = PostfixInstance()
    try:
        postfix.start()
        server = 'tls://localhost:%d' % sandbox.port  # the sandbox certificate names localhost
        good = dict(app='postfix', path=postfix.main_cf, server=server, ca_path=sandbox.ca_path, username=USER,
                    password='{{ smtp_password }}', from_email=FROM, test='auth', timeout=5, deadline=10)
        map_path = os.path.join(postfix.config_dir, 'sasl_passwd')
        yield dict(tmp_path=tmp_path, sandbox=sandbox, postfix=postfix, good=good, map_path=map_path)
    finally:
        postfix.stop()
        sandbox.stop()


def test_postfix_relays_through_the_configured_server_with_sasl(relay):
    postfix, sandbox, good = relay['postfix'], relay['sandbox'], relay['good']
    info_args = {k: v for k, v in good.items() if k != 'test'}
    results, output = run_tasks(relay['tmp_path'], [
        {'mailops.smtp.outgoing_server': '{{ good }}', 'diff': True},
        {'mailops.smtp.outgoing_server': '{{ good }}'},
        {'mailops.smtp.outgoing_server_info': '{{ info }}'},
    ], extra_vars={'smtp_password': PASSWORD}, host_vars={'good': good, 'info': info_args})
    applied, again, info = results
    assert info.get('failed') is not True, info.get('msg')
    assert info['in_sync'] is True and info['drift'] == []
    assert info['settings']['username'] == USER and info['settings']['password'] == '********'
    assert info['settings']['from_email'] == FROM and info['settings']['security'] == 'starttls'
    assert applied.get('failed') is not True, applied.get('msg')
    assert applied['changed'] is True
    assert again.get('failed') is not True, again.get('msg')
    assert again['changed'] is False
    assert PASSWORD not in output + repr(results)

    # what Postfix itself reads
    port = sandbox.port
    assert postfix.postconf('relayhost') == '[localhost]:%d' % port
    assert postfix.postconf('smtp_sasl_auth_enable') == 'yes'
    assert postfix.postconf('smtp_sasl_password_maps', expand=True) == 'hash:%s' % relay['map_path']
    assert postfix.postconf('smtp_tls_security_level') == 'verify'
    assert postfix.postconf('smtp_tls_CAfile') == sandbox.ca_path
    assert postfix.postconf('sender_canonical_maps') == 'static:%s' % FROM
    assert postfix.postmap_query('[localhost]:%d' % port, 'hash:' + relay['map_path']) == '%s:%s' % (USER, PASSWORD)
    assert oct(os.stat(relay['map_path']).st_mode & 0o777) == '0o600'

    # a mail handed to this Postfix reaches the sandbox through the relay, logged in as the configured user
    postfix.reload()
    messages_before = len(sandbox.messages)
    message = b'From: Cron Daemon <root@relay-client.mailops.test>\nTo: %s\nSubject: cron output\n\n' \
        b'Disk 91%% full\n' % RCPT.encode()
    postfix.sendmail(message, 'root@relay-client.mailops.test', [RCPT])
    assert sandbox.wait_for(lambda sb: len(sb.messages) > messages_before, timeout=60), postfix.log()[-3000:]
    received = sandbox.messages[-1]
    assert received['authenticated_as'] == USER
    assert received['rcpt_tos'] == [RCPT]
    assert received['mail_from'] == FROM  # sender_canonical_maps rewrote the envelope sender
    assert b'Disk 91% full' in received['data']
    assert b'From: Cron Daemon <' + FROM.encode() + b'>' in received['data']  # the header too, its name kept
    session = [s for s in sandbox.sessions if s['id'] == received['session']][0]
    assert session['tls'] is True  # STARTTLS before AUTH, certificate verified (level verify)
    assert 'status=sent' in postfix.wait_for_log('status=sent')


def test_a_failing_relay_test_leaves_main_cf_and_the_map_untouched(relay):
    postfix, good = relay['postfix'], relay['good']
    paths = [postfix.main_cf, relay['map_path'], relay['map_path'] + '.db']
    before = _states(paths)
    assert all(before.values()), 'the first test configures the relay'
    wrong_user = dict(good, password='{{ wrong_password }}', username='other@example.com')
    bad_password = dict(good, password='{{ wrong_password }}')
    results, output = run_tasks(relay['tmp_path'], [
        {'mailops.smtp.outgoing_server': '{{ wrong_user }}', 'diff': True},
        {'mailops.smtp.outgoing_server': '{{ bad_password }}'},
    ], extra_vars={'smtp_password': PASSWORD, 'wrong_password': 'Wr0ng relay pass'},
        host_vars={'wrong_user': wrong_user, 'bad_password': bad_password})
    for result in results:
        assert result['failed'] is True
        assert result['diagnosis']['category'] == 'auth_failed'
        assert 'nothing was changed' in result['msg'].lower()
    assert _states(paths) == before
    assert 'Wr0ng relay pass' not in output + repr(results)
    assert PASSWORD not in output + repr(results)


ROLE_PLAYBOOK = """
- name: Point the host's Postfix at the new relay
  hosts: all
  gather_facts: false
  roles:
    - role: mailops.smtp.outgoing_server
"""


def test_the_role_moves_postfix_to_a_new_relay_and_its_handler_reloads_postfix(relay):
    postfix, tmp_path = relay['postfix'], relay['tmp_path']
    new_relay = SmtpSandbox(security='tls', users={USER: PASSWORD})  # implicit TLS this time
    new_relay.start()
    try:
        inventory = {'all': {'hosts': {'mailhost': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'outgoing_server_app': 'postfix', 'outgoing_server_path': postfix.main_cf,
            'outgoing_server_server': 'ssl://localhost:%d' % new_relay.port,
            'outgoing_server_ca_path': new_relay.ca_path, 'outgoing_server_username': USER,
            'outgoing_server_password': PASSWORD, 'outgoing_server_from_email': FROM,
            'outgoing_server_test': 'auth', 'outgoing_server_timeout': 5, 'outgoing_server_deadline': 10,
            'outgoing_server_report_dir': str(tmp_path / 'reports'),
        }}}}
        (tmp_path / 'role-inventory.json').write_text(json.dumps(inventory))
        (tmp_path / 'role-playbook.yml').write_text(ROLE_PLAYBOOK)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'),
                   ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
                   ANSIBLE_RETRY_FILES_ENABLED='false')
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i',
                               str(tmp_path / 'role-inventory.json'), str(tmp_path / 'role-playbook.yml')],
                              cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-6000:]
        assert 'RUNNING HANDLER [mailops.smtp.outgoing_server : Reload Postfix]' in proc.stdout
        assert PASSWORD not in proc.stdout
        log = postfix.wait_for_log('reload -- version')
        assert 'configuration %s' % postfix.config_dir in log.split('reload -- version')[1].split('\n')[0]
        assert postfix.postconf('relayhost') == '[localhost]:%d' % new_relay.port
        assert postfix.postconf('smtp_tls_wrappermode') == 'yes'
        assert postfix.postmap_query('[localhost]:%d' % relay['sandbox'].port, 'hash:' + relay['map_path']) is None

        postfix.sendmail(b'Subject: after the move\n\nvia the new relay\n', 'root@relay-client.mailops.test', [RCPT])
        assert new_relay.wait_for(lambda sb: sb.messages, timeout=60), postfix.log()[-3000:]
        assert new_relay.messages[0]['authenticated_as'] == USER
        assert new_relay.messages[0]['mail_from'] == FROM
    finally:
        new_relay.stop()


def test_an_ipv6_relay_is_reached_with_its_sasl_entry(tmp_path):
    """relayhost = [::1]:port: the module writes it, Postfix's SMTP client finds the [::1]:port map entry."""
    sandbox = SmtpSandbox(security='starttls', host='::1', users={USER: PASSWORD})
    sandbox.start()
    postfix = PostfixInstance()
    try:
        postfix.create()
        postfix.configure(inet_protocols='all')
        postfix.start()
        args = dict(app='postfix', path=postfix.main_cf, server='tls://[::1]:%d' % sandbox.port,
                    ca_path=sandbox.ca_path, username=USER, password='{{ smtp_password }}', test='auth', timeout=5,
                    deadline=10)
        results, output = run_tasks(tmp_path, [{'mailops.smtp.outgoing_server': '{{ args }}'}],
                                    extra_vars={'smtp_password': PASSWORD}, host_vars={'args': args})
        assert results[0].get('failed') is not True, results[0].get('msg')
        assert postfix.postconf('relayhost') == '[::1]:%d' % sandbox.port
        postfix.reload()
        postfix.sendmail(b'Subject: over IPv6\n\nx\n', 'root@relay-client.mailops.test', [RCPT])
        assert sandbox.wait_for(lambda sb: sb.messages, timeout=60), postfix.log()[-3000:]
        assert sandbox.messages[0]['authenticated_as'] == USER
        assert PASSWORD not in output
    finally:
        postfix.stop()
        sandbox.stop()
