# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Through the real modules (ansible-playbook, AnsiballZ, a real SMTP server on loopback): drift and idempotence
follow what the app reads, and a value the app cannot read back is refused with the file left byte-identical.

A hand-written ``PASSWD = p#ss;word`` is read by Gitea (go-ini) as ``p``: outgoing_server_info must report the
password as drift (not ``in_sync``), outgoing_server must rewrite it, and afterwards Gitea's own reader must see
``p#ss;word`` and a second run must change nothing. A Grafana password with ``$__file{...}`` is refused."""

import hashlib

import pytest
import readers

from outgoing_helpers import run_tasks
from smtp_sandbox import SmtpSandbox

USER = 'mailer@example.com'
PASSWORD = 'p#ss;word'
EXPANDING = 'x$__file{/etc/hostname}'

GITEA = """[server]
DOMAIN = git.example.com

[mailer]
ENABLED = true
PROTOCOL = smtp+starttls
SMTP_ADDR = 127.0.0.1
SMTP_PORT = {port}
USER = {user}
; hand-written, unquoted: Gitea reads only what comes before the '#'
PASSWD = {password}
FORCE_TRUST_SERVER_CERT = false
"""

GRAFANA_FILE = """[smtp]
enabled = true
host = 127.0.0.1:{port}
user = {user}
password = $__file{{/run/secrets/smtp}}
skip_verify = false
startTLS_policy = MandatoryStartTLS
"""

GRAFANA = """[smtp]
enabled = true
host = 127.0.0.1:{port}
user = {user}
password = old
"""


def sha1(path):
    with open(path, 'rb') as handle:
        return hashlib.sha1(handle.read()).hexdigest()


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('faithful')
    sandbox = SmtpSandbox(security='starttls', users={USER: PASSWORD})
    sandbox.start()
    try:
        gitea = tmp_path / 'app.ini'
        gitea.write_text(GITEA.format(port=sandbox.port, user=USER, password=PASSWORD))
        grafana = tmp_path / 'grafana.ini'
        grafana.write_text(GRAFANA.format(port=sandbox.port, user=USER))
        grafana_before = sha1(str(grafana))
        kept = tmp_path / 'kept.ini'
        kept.write_text(GRAFANA_FILE.format(port=sandbox.port, user=USER))
        kept_before = sha1(str(kept))
        common = dict(server=sandbox.server, username=USER,
                      password='{{ smtp_password }}', timeout=5, deadline=10)
        info = {'mailops.smtp.outgoing_server_info': dict(common, app='gitea', path=str(gitea), test='none')}
        write = {'mailops.smtp.outgoing_server': dict(common, app='gitea', path=str(gitea), test='auth')}
        refused = {'mailops.smtp.outgoing_server': dict(common, app='grafana', path=str(grafana), test='none',
                                                        password='{{ expanding }}')}
        on_create = dict(server=sandbox.server, username=USER, app='grafana',
                         path=str(kept), update_password='on_create', timeout=5, deadline=10)
        keep_untested = {'mailops.smtp.outgoing_server': dict(on_create, test='none')}
        keep_tested = {'mailops.smtp.outgoing_server': dict(on_create, test='auth')}
        keep_given = {'mailops.smtp.outgoing_server': dict(on_create, test='auth', password='{{ smtp_password }}')}
        results, output = run_tasks(tmp_path, [info, write, info, write, refused, keep_untested, keep_tested,
                                               keep_given], verbosity=3,
                                    extra_vars={'smtp_password': PASSWORD, 'expanding': EXPANDING},
                                    environment=sandbox.ca_env)  # Gitea and Grafana have no CA setting
        yield dict(results=results, output=output, gitea=gitea.read_text(), grafana=str(grafana),
                   grafana_before=grafana_before, kept=str(kept), kept_before=kept_before)
    finally:
        sandbox.stop()


def test_the_password_gitea_misreads_is_drift(run):
    before = run['results'][0]
    assert before['in_sync'] is False
    assert [item['setting'] for item in before['drift']] == ['password']


def test_outgoing_server_rewrites_it_and_gitea_then_reads_the_password_tested(run):
    first, after, second = run['results'][1], run['results'][2], run['results'][3]
    assert first['changed'] is True and first.get('failed') is not True
    assert readers.gitea(run['gitea'])['mailer']['PASSWD'] == PASSWORD
    assert '; hand-written, unquoted' in run['gitea']  # the rest of the file is kept
    assert after['in_sync'] is True and after['drift'] == []
    assert second['changed'] is False


def test_a_grafana_value_it_would_expand_is_refused_and_the_file_is_untouched(run):
    refused = run['results'][4]
    assert refused['failed'] is True
    assert refused['msg'].startswith('password: cannot be stored in grafana because Grafana replaces')
    assert sha1(run['grafana']) == run['grafana_before']


def test_no_password_in_the_output(run):
    assert PASSWORD not in run['output']
    assert EXPANDING not in run['output']


def test_on_create_keeps_a_password_grafana_computes_and_tests_only_a_given_one(run):
    untested, tested, given = run['results'][5], run['results'][6], run['results'][7]
    assert untested.get('failed') is not True and untested['changed'] is False
    assert tested['failed'] is True
    assert tested['msg'].startswith('password: the stored password is computed by grafana when it starts')
    assert given.get('failed') is not True and given['changed'] is False  # tested with the given password
    assert sha1(run['kept']) == run['kept_before']
