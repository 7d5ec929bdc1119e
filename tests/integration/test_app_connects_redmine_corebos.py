"""Redmine and coreBOS send the way the module tested them (DESIGN.md "The app connects the way it was tested").

As in test_app_connects_as_tested.py: the module's own steps run in-process (check, plan, the SMTP test as
``_outgoing`` runs it) against a recording SMTP sandbox; then the real application sends one message with the
file the module wrote, and the sandbox's record of the app's session must equal the test's (TLS, login and
password, AUTH mechanism, envelope sender, From) — or, where the module refused, the app sends nothing.

Redmine: Debian's ``redmine`` 5.0 + ``redmine-sqlite`` (mail 2.7.1, net-smtp 0.3.1), in a throw-away instance
(``REDMINE_INSTANCE`` names a directory laid out as ``redmine-instances create`` makes one: config/, log/,
tmp/, files/, public/plugin_assets/) holding only database.yml (sqlite in the instance), secret_key.txt and the
configuration.yml the module wrote. One ``rails runner`` boot per test worker (redmine_mailer.rb); each
scenario's send runs in a child forked from it, which loads configuration.yml as Redmine's boot does and calls
``Mailer.deliver_test_email``. Redmine keeps its sender in its database (``Setting.mail_from``, set to the
address the module tested with); the module refuses ``from_email`` for it, so the test's sender is the login.

coreBOS: outgoing_server runs through ansible-playbook against a real MariaDB holding coreBOS's tables; then real
PHP reads the row it wrote as coreBOS does (tests/readers/php/corebos_lib.php) and sends through Debian's
PHPMailer mapped as coreBOS's modules/Emails/mail.php maps the row (corebos_mail.php). coreBOS has no CA
setting: the sandbox CA is in the host's trust store (SSL_CERT_FILE), for the test and for PHP alike. Where the
module's test failed, nothing was written; the row the module would have written (the same task with
``test: none``) is what PHPMailer then gets, and it must send nothing.
"""

import json
import os
import queue
import shutil
import subprocess
import threading
import types

import pytest

import readers
from app_sessions import (
    FROM,
    PASSWORD,
    RCPT,
    SCENARIOS,
    USER,
    ModuleRun,
    assert_app_sent_as_tested,
    assert_app_sent_nothing,
    corebos_send,
    host_store_with_sandbox_ca,
    run_corebos_tasks,
)

pytest_plugins = ['mariadb.pytest_plugin']

HERE = os.path.dirname(os.path.abspath(__file__))
REDMINE_ROOT = '/usr/share/redmine'
# The default instance's database that redmine-sqlite's postinst (dbconfig-common) creates and migrates.
PACKAGE_DATABASE = '/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default'
INSTANCE_DIRS = ('config', 'log', 'tmp', 'files', os.path.join('public', 'plugin_assets'))


class Redmine(object):
    """A booted Redmine (rails runner redmine_mailer.rb) in its own instance directory."""

    def __init__(self, instance):
        self.instance = instance
        for name in INSTANCE_DIRS:
            os.makedirs(os.path.join(instance, name))
        database = os.path.join(instance, 'redmine.sqlite3')
        if os.access(PACKAGE_DATABASE, os.R_OK):  # migrated by the package's postinst: a copy saves the minute
            shutil.copyfile(PACKAGE_DATABASE, database)
        with open(os.path.join(instance, 'config', 'database.yml'), 'w') as handle:
            handle.write('production:\n  adapter: sqlite3\n  database: %s\n' % database)
        with open(os.path.join(instance, 'config', 'secret_key.txt'), 'w') as handle:
            handle.write(os.urandom(32).hex() + '\n')
        self.log = open(os.path.join(instance, 'runner.log'), 'w+')
        # Debian's Redmine takes its instance as a name under /usr/share/redmine/instances; a relative path
        # reaches a private directory without touching the system's instances.
        tenant = os.path.relpath(instance, os.path.join(REDMINE_ROOT, 'instances'))
        self.process = subprocess.Popen(
            [os.path.join(REDMINE_ROOT, 'bin', 'rails'), 'runner', os.path.join(HERE, 'redmine_mailer.rb')],
            cwd=REDMINE_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            universal_newlines=True, bufsize=1,
            env=dict(readers.BASE_ENV, HOME=instance, RAILS_ENV='production', REDMINE_INSTANCE=tenant,
                     REDMINE_TEST_MAIL_FROM=USER))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_for('ready', 180)
        self.count = 0

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def _wait_for(self, word, timeout):
        line = ''
        try:
            while line is not None and line != word:
                line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            self.log.seek(0)
            raise AssertionError('Redmine did not answer %r:\n%s' % (word, self.log.read()[-4000:]))

    def send(self, text):
        """Mailer.deliver_test_email with ``text`` as the instance's configuration.yml: {"sent"} or {"error"}."""
        self.count += 1
        with open(os.path.join(self.instance, 'config', 'configuration.yml'), 'w') as handle:
            handle.write(text)
        result = os.path.join(self.instance, 'result-%d.json' % self.count)
        self.process.stdin.write(json.dumps({'result': result}) + '\n')
        self.process.stdin.flush()
        self._wait_for('done', 60)
        with open(result) as handle:
            return json.load(handle)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope='module')
def redmine(tmp_path_factory):
    app = Redmine(str(tmp_path_factory.mktemp('redmine-instance')))
    yield app
    app.close()


def _redmine_run(sandbox, security, tmp_path, sandbox_ca):
    return ModuleRun('redmine', str(tmp_path / 'configuration.yml'), sandbox, security, ca_path=sandbox_ca,
                     from_email=None)


@pytest.mark.parametrize('scenario', sorted(name for name in SCENARIOS if name != 'none'))
def test_redmine_sends_exactly_as_the_module_tested(scenario, smtp_sandbox, tmp_path, sandbox_ca, redmine):
    config, security, expected = SCENARIOS[scenario]
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    run = _redmine_run(sandbox, security, tmp_path, sandbox_ca)
    assert run.outcome == expected, run.message
    assert 'ca_file: %s' % sandbox_ca in run.text  # the private CA the test trusted is Redmine's too
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    done = redmine.send(run.text)
    if expected == 'ok':
        assert done == {'sent': True, 'delivery_method': 'smtp'}, done
        assert_app_sent_as_tested(sandbox, run, sessions - 1, messages - 1)
    else:
        assert 'error' in done, done
        assert_app_sent_nothing(sandbox, sessions - 1, messages)


def test_redmine_without_the_stored_ca_file_refuses_the_private_ca(smtp_sandbox, tmp_path, sandbox_ca, redmine):
    """The ca_file the module writes is what makes Redmine trust the private CA: without it, no login, no mail."""
    sandbox = smtp_sandbox(users={USER: PASSWORD}, security='starttls')
    run = _redmine_run(sandbox, 'starttls', tmp_path, sandbox_ca)
    assert run.outcome == 'ok', run.message
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    without = ''.join(line for line in run.text.splitlines(True) if 'ca_file:' not in line)
    done = redmine.send(without)
    assert 'certificate verify failed' in done.get('error', ''), done
    assert_app_sent_nothing(sandbox, sessions - 1, messages)


def test_redmine_security_none_is_refused_because_redmine_upgrades(smtp_sandbox, tmp_path, sandbox_ca, redmine):
    """security none is refused naming the option: Redmine's Net::SMTP upgrades whenever STARTTLS is offered.

    What a plaintext setting becomes in configuration.yml (no ssl, enable_starttls_auto false) still has Redmine
    send STARTTLS to a server that offers it (net-smtp 0.3's default is starttls: :auto, and mail 2.7.1 never
    turns it off) — and then without the ca_file (mail only hands its SSL context over when it enables TLS
    itself): the plaintext test would have passed, Redmine fails on the certificate.
    """
    sandbox = smtp_sandbox(users={USER: PASSWORD}, security='starttls')
    run = _redmine_run(sandbox, 'none', tmp_path, sandbox_ca)
    assert run.outcome == 'refused' and run.refused.option == 'security', run.message
    assert 'upgrades to STARTTLS' in run.message and run.text is None
    plaintext = ('default:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
                 '      address: %s\n      port: %d\n      authentication: :login\n      user_name: %s\n'
                 '      password: "%s"\n      enable_starttls_auto: false\n      ca_file: %s\n'
                 % (sandbox.host, sandbox.port, USER, PASSWORD, sandbox_ca))
    done = redmine.send(plaintext)
    assert 'certificate verify failed' in done.get('error', ''), done
    commands = sandbox.wait_sessions_closed(1)[0]['commands']
    assert [c.upper() for c in commands if c.upper().startswith('STARTTLS')] == ['STARTTLS'], commands
    assert_app_sent_nothing(sandbox, -1, 0)


# --------------------------------------------------------------------------------------------------- coreBOS


@pytest.fixture(scope='module')
def host_store(tmp_path_factory):
    return host_store_with_sandbox_ca(tmp_path_factory.mktemp('host-store'))


def _corebos_task(name, db, sandbox, security, test):
    args = dict(app='corebos', login_host=db.host, login_port=db.port, login_user=db.user,
                login_password=db.password, login_db=db.name, server='%s:%d' % (sandbox.host, sandbox.port),
                security=security, username=USER, password=PASSWORD, from_email=FROM, test=test,
                test_recipient=RCPT, ehlo_name='crm.example.test', timeout=3, deadline=8)
    return {'name': name, 'mailops.smtp.outgoing_server': args, 'ignore_errors': True}


def _corebos_module(run_playbook, tmp_path, db, sandbox, security, host_store, expected):
    """outgoing_server as tested; where the test fails, then the same task with test: none (what it would write)."""
    tasks = [_corebos_task('outgoing', db, sandbox, security, 'send')]
    if expected != 'ok':
        tasks.append(_corebos_task('unchecked', db, sandbox, security, 'none'))
    return run_corebos_tasks(run_playbook, tmp_path, tasks, host_store)


@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_corebos_sends_exactly_as_the_module_tested(scenario, smtp_sandbox, tmp_path, corebos_db, host_store,
                                                    run_playbook):
    config, security, expected = SCENARIOS[scenario]
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    outcome = _corebos_module(run_playbook, tmp_path, corebos_db, sandbox, security, host_store, expected)
    result, status = outcome.result('outgoing'), outcome.status('outgoing')
    if expected == 'ok':
        assert status == 'ok' and result['changed'], result.get('msg')
        sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
        assert corebos_send(corebos_db, host_store) == {'sent': True}
        tested = types.SimpleNamespace(settings=types.SimpleNamespace(security=security))
        assert_app_sent_as_tested(sandbox, tested, sessions - 1, messages - 1)
        return
    assert status == 'failed' and result['diagnosis']['category'] == expected, result.get('msg')
    assert outcome.status('unchecked') == 'ok' and len(corebos_db.email_rows()) == 1
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    done = corebos_send(corebos_db, host_store)
    assert 'error' in done, done
    assert_app_sent_nothing(sandbox, sessions - 1, messages)
