"""Shared parts of the "the app sends the way the module tested it" tests (DESIGN.md "The app connects the way
it was tested"): the module's own steps in-process (``ModuleRun``), the comparison of the sandbox's record of
the app's session with the test's (``assert_app_sent_as_tested`` / ``assert_app_sent_nothing``). Real
applications from PyPI run from the venvs of readers/appvenv.py (``app_venv``: cached in tests/output/appvenvs/,
built once under a file lock while pytest-xdist workers wait).
"""

import email
import email.utils
import json
import os
import shutil
import subprocess

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import TestOptions, settings_from_params
from smtp_sandbox._certs import ca_pem

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER = 'app@example.test'
PASSWORD = 'App-sends 4s tested'
FROM = 'app@example.test'
RCPT = 'rcpt@example.net'
SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

# name -> (sandbox config, settings security, what the test must find: 'ok' or a diagnosis category)
SCENARIOS = {
    'starttls': (dict(security='starttls'), 'starttls', 'ok'),
    'tls': (dict(security='tls'), 'tls', 'ok'),
    'none': (dict(security='plain'), 'none', 'ok'),
    'hidden_starttls': (dict(security='plain'), 'starttls', 'starttls_not_offered'),
    'unknown_ca': (dict(security='tls', cert='self_signed'), 'tls', 'tls_certificate_invalid'),
    'other_name': (dict(security='tls', cert='wrong_host'), 'tls', 'tls_certificate_invalid'),
}


class ModuleRun(object):
    """What outgoing_server does for one scenario, minus Ansible: check, plan, test, and the file it writes.

    ``server`` overrides the host[:port] tested and written (default: the sandbox's own address). When the
    profile's check refuses the settings, ``refused`` holds the error and nothing is tested (``outcome`` is
    ``'refused'``), as the module fails before any test or write. ``existing``: plan against the file at
    ``path`` as the profile reads it (default: a new file). ``module``: what the profile may call on the host
    (``HostTools`` for the profiles that run the app's tools, e.g. postconf/postmap). ``from_email``: None for
    an app that keeps its sender elsewhere (Redmine: its database); the test then sends as the login.
    """

    def __init__(self, app, path, sandbox, security, params=None, ca_path=None, server=None, existing=False,
                 module=None, from_email=FROM):
        self.profile = get_profile(app)(module, dict(params or {}, path=path))
        self.settings = settings_from_params(dict(
            server=server or sandbox.server.split('://')[-1], security=security, validate_certs=True,
            ca_path=ca_path, username=USER, password=PASSWORD, from_email=from_email))
        self.refused = self.text = self.result = None
        try:
            self.profile.check(self.settings, 'present')
        except SettingsError as exc:  # the module's own refusal: nothing is tested, nothing written
            self.refused = exc
            self.outcome = 'refused'
            return
        snapshot = self.profile.read() if existing else Snapshot(False, None, handle='')
        plan = self.profile.plan(snapshot, self.settings, 'present', 'always')
        self.text = plan.payload
        self.plan = plan
        self.result = probe_smtp(self.settings, TestOptions(
            level='send', test_recipient=RCPT, ehlo_name='app.example.test', timeout=3, deadline=8, suggest=False,
            mechanisms=self.profile.test_mechanisms(self.settings), ca_alone=self.profile.trusts_ca_alone(),
            mechanism_order=self.profile.mechanism_order()))
        self.outcome = 'ok' if self.result['ok'] else self.result['diagnosis']['category']

    @property
    def message(self):
        return str(self.refused) if self.refused is not None else self.result['msg']


class HostTools(object):
    """The AnsibleModule methods a profile uses on the host, running the real commands (no Ansible)."""

    params = {}
    check_mode = False

    @staticmethod
    def get_bin_path(name, opt_dirs=None, required=False):
        return shutil.which(name, path=os.pathsep.join(list(opt_dirs or []) + ['/usr/sbin', '/usr/bin', '/bin']))

    @staticmethod
    def run_command(args, **_ignored):
        done = subprocess.run(args, capture_output=True, check=False, timeout=60)
        return done.returncode, done.stdout.decode('utf-8'), done.stderr.decode('utf-8')

    @staticmethod
    def selinux_enabled():
        return False


def session_of(sandbox, index):
    """The sandbox's record of session ``index``: TLS, login, AUTH mechanism, envelope sender."""
    record = sandbox.wait_sessions_closed(index + 1)[index]
    return dict(tls=bool(record.get('tls')), login=record.get('authenticated_as'),
                mechanism=record.get('auth_mechanism'),
                mail_from=next((c[len('MAIL FROM:'):].split()[0].strip('<>') for c in record['commands']
                                if c.upper().startswith('MAIL FROM:')), None))


def from_header(data):
    return email.message_from_bytes(data).get('From')


def assert_app_sent_as_tested(sandbox, run, before_sessions, before_messages, app_session=None):
    """The sandbox's record of the app's session equals the test's, and the message arrived as tested.

    ``before_sessions``/``before_messages`` index the test's session and message; the app's are the next ones
    (``app_session`` names another index, for an app that opened sessions of its own in between).
    """
    test = session_of(sandbox, before_sessions)
    app = session_of(sandbox, before_sessions + 1 if app_session is None else app_session)
    assert test['tls'] == app['tls'] == (run.settings.security != 'none'), (test, app)
    assert test['login'] == app['login'] == USER, (test, app)  # the sandbox checked the password
    assert test['mail_from'] == app['mail_from'] == FROM, (test, app)
    assert test['mechanism'] == app['mechanism'], (test, app)
    test_message, app_message = sandbox.messages[before_messages], sandbox.messages[-1]
    assert len(sandbox.messages) == before_messages + 2, sandbox.messages
    assert test_message['mail_from'] == app_message['mail_from'] == FROM
    assert email.utils.parseaddr(from_header(test_message['data']))[1] == \
        email.utils.parseaddr(from_header(app_message['data']))[1] == FROM


def assert_app_sent_nothing(sandbox, before_sessions, before_messages):
    """No login and no mail reached the sandbox after the test's sessions."""
    sessions = sandbox.sessions[before_sessions + 1:]
    assert all(not s.get('authenticated_as') for s in sessions), sessions
    assert len(sandbox.messages) == before_messages, sandbox.messages


def host_store_with_sandbox_ca(directory):
    """The host's trust store with the sandbox CA installed (what a user does for a private CA, and what
    SSL_CERT_FILE then names for the test and for an app without a CA setting); returns its path."""
    path = os.path.join(str(directory), 'ca-certificates.crt')
    with open(SYSTEM_BUNDLE, 'rb') as handle, open(path, 'wb') as out:
        out.write(handle.read() + b'\n' + ca_pem())
    return path


# ------------------------------------------------------------------------------- coreBOS: PHPMailer as mail.php

def run_corebos_tasks(run_playbook, tmp_path, tasks, host_store):
    """outgoing_server tasks for coreBOS in one play, the sandbox CA in SSL_CERT_FILE (coreBOS has no CA setting)."""
    playbook = tmp_path / 'corebos.yml'
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    outcome = run_playbook(str(playbook), env=dict(SSL_CERT_FILE=host_store))
    assert PASSWORD not in outcome.all_output()
    return outcome


def corebos_send(db, host_store):
    """Real PHP reads the row as coreBOS does and sends through Debian's PHPMailer (corebos_mail.php)."""
    import readers
    done = subprocess.run(['php', '-d', 'display_errors=stderr',
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corebos_mail.php')],
                          input=json.dumps(dict(host=db.host, port=db.port, user=db.user, password=db.password,
                                                database=db.name, to=RCPT, sender='')),
                          capture_output=True, universal_newlines=True, timeout=60, check=False,
                          env=dict(readers.BASE_ENV, SSL_CERT_FILE=host_store))
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)
