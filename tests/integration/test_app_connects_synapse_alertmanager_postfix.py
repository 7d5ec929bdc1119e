"""Synapse, Alertmanager and Postfix send the way the module tested them (DESIGN.md "The app connects the way it
was tested"; the shared steps are in app_sessions.py).

Per scenario the module's own steps run in-process (the profile's check and plan, then the SMTP test as
``_outgoing`` runs it) against a recording SMTP sandbox (loopback, trustme CA). The real application is then
started with the file the module wrote (or, where the test failed, would have written) and sends one message to
the same sandbox; the sandbox's record of the app's session must equal the test's (TLS, login and password,
AUTH mechanism, envelope sender, From), or show no login and no mail where the module refused.

* Synapse 1.163 from PyPI (a venv the tooling makes, tests/output/appvenvs/synapse): a homeserver.yaml made by
  ``--generate-config``, the module's ``email:`` section, loaded with Synapse's ``HomeServerConfig``; the mail
  goes through ``SynapseHomeServer(...).get_send_email_handler().send_email`` (Twisted's ESMTP client).
* Alertmanager 0.25 (Debian): started with the written alertmanager.yml; an alert posted to its API is mailed.
* Postfix (Debian): a private instance (tests/mta/postfix.py) with the written main.cf and SASL map; a message
  handed to its sendmail goes out through the relay.

Scenarios: STARTTLS, implicit TLS, none (with a login), a private CA given as ``ca_path``, a server that hides
STARTTLS, a certificate of an unknown CA, one for another name. Synapse and Alertmanager have no CA setting:
``ca_path`` is refused for them, and the CA goes into the host's store (SSL_CERT_FILE here), which the test and
the app both use; Postfix stores ``ca_path`` as ``smtp_tls_CAfile``.
"""

import fcntl
import json
import os
import subprocess
import time

import pytest

import readers
from app_sessions import (
    HostTools,
    PASSWORD,
    RCPT,
    SCENARIOS,
    USER,
    ModuleRun,
    assert_app_sent_as_tested,
    assert_app_sent_nothing,
    host_store_with_sandbox_ca,
)
from mta.postfix import PostfixInstance, postfix_available
from readers.alertmanager_server import Alertmanager
from readers.appvenv import app_venv

ALL_SCENARIOS = sorted(SCENARIOS) + ['private_ca']
# a homeserver.yaml whose email section already names another certificate name (email.tlsname): the module
# removes it, so Synapse checks the name the test checked
STALE_TLSNAME = '\nemail:\n  tlsname: mail.other.test\n'


@pytest.fixture(scope='module')
def host_store(tmp_path_factory):
    """The host's trust store with the sandbox CA installed (what a user does for a private CA)."""
    return host_store_with_sandbox_ca(tmp_path_factory.mktemp('host-store'))


def _after_test(sandbox, run):
    """(index of the test's session, index of its message or the message count where it sent none)."""
    sessions = len(sandbox.wait_sessions_closed(1)) - 1
    return sessions, len(sandbox.messages) - (1 if run.outcome == 'ok' else 0)


def run_without_a_ca_setting(app, scenario, path, sandbox, server, host_store, sandbox_ca, monkeypatch):
    """The module's steps for ``app``, which has no CA setting: (run, trust store for the app, index of the test's
    session, index of its message or the message count).

    The CA is in the host's store (SSL_CERT_FILE, for the test and the app). ``private_ca``: the CA given as
    ca_path is refused naming ca_path and the app; then the file the module would write without it, with the CA
    in no store: the test fails on the certificate, and so must the app.
    """
    config, security, expected = SCENARIOS.get(scenario, SCENARIOS['starttls'])
    trust = host_store
    if scenario == 'private_ca':
        refused = ModuleRun(app, str(path), sandbox, security, ca_path=sandbox_ca, server=server, existing=True)
        assert refused.outcome == 'refused', refused.message
        assert refused.refused.option == 'ca_path' and app in str(refused.refused), str(refused.refused)
        trust, expected = None, 'tls_certificate_invalid'
        monkeypatch.delenv('SSL_CERT_FILE', raising=False)
    else:
        monkeypatch.setenv('SSL_CERT_FILE', host_store)
    run = ModuleRun(app, str(path), sandbox, security, server=server, existing=True)
    assert run.outcome == expected, run.message
    sessions, messages = _after_test(sandbox, run)
    return run, trust, sessions, messages


# --------------------------------------------------------------------------------------------------- Synapse

SYNAPSE_PINS = ('matrix-synapse==1.163.2',)

# Synapse's own loader and mail path: HomeServerConfig reads the file (every section, as at start-up), the
# HomeServer builds its SendEmailHandler (synapse/handlers/send_email.py), send_email runs Twisted's ESMTP client.
# A failed TLS handshake never completes the Deferred: the reactor stops after a timeout.
SYNAPSE_SEND = r'''
import json, sys
config_path, rcpt, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
from synapse.config.homeserver import HomeServerConfig
from synapse.app.homeserver import SynapseHomeServer
from twisted.internet import defer, reactor
config = HomeServerConfig.load_config("synapse", ["-c", config_path])
handler = SynapseHomeServer(config.server.server_name, config=config, reactor=reactor).get_send_email_handler()
result = {}
def finish(key, value):
    result.setdefault(key, value)
    if reactor.running:
        reactor.stop()
deferred = defer.ensureDeferred(handler.send_email(
    email_address=rcpt, subject="Synapse as tested", app_name=config.email.email_app_name, html="<p>hello</p>",
    text="hello"))
deferred.addCallbacks(lambda _: finish("sent", True),
                      lambda failure: finish("error", "%s: %s" % (failure.type.__name__, failure.getErrorMessage())))
reactor.callLater(timeout, finish, "error", "no answer within %s s" % timeout)
if not result:
    reactor.run()
print(json.dumps(result))
sys.exit(0 if result.get("sent") else 1)
'''


@pytest.fixture(scope='module')
def synapse(tmp_path_factory):
    """(python, homeserver.yaml as --generate-config makes it) for Synapse 1.163 in its cached venv."""
    python = app_venv('synapse', SYNAPSE_PINS)
    directory = tmp_path_factory.mktemp('synapse')
    config = directory / 'homeserver.yaml'
    subprocess.run([python, '-m', 'synapse.app.homeserver', '--server-name', 'example.test', '--config-path',
                    str(config), '--generate-config', '--report-stats=no'], check=True, capture_output=True,
                   timeout=120, cwd=str(directory), env=readers.BASE_ENV)
    return python, config.read_text()


def synapse_send(python, path, trust, timeout):
    env = dict(readers.BASE_ENV)
    if trust:
        env['SSL_CERT_FILE'] = trust
    return subprocess.run([python, '-c', SYNAPSE_SEND, str(path), RCPT, str(timeout)], capture_output=True,
                          timeout=90,
                          cwd=os.path.dirname(str(path)), check=False, env=env)


@pytest.mark.parametrize('scenario', ALL_SCENARIOS + ['stale_tlsname'])
def test_synapse_sends_exactly_as_the_module_tested(scenario, smtp_sandbox, tmp_path, host_store, sandbox_ca,
                                                    synapse, monkeypatch):
    python, generated = synapse
    config, security, expected = SCENARIOS.get(scenario, SCENARIOS['starttls'])
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    path = tmp_path / 'homeserver.yaml'
    path.write_text(generated + (STALE_TLSNAME if scenario == 'stale_tlsname' else ''))
    server = 'localhost:%d' % sandbox.port  # the name Synapse verifies (tlsname defaults to smtp_host)
    run, trust, sessions, messages = run_without_a_ca_setting('synapse', scenario, path, sandbox, server,
                                                              host_store, sandbox_ca, monkeypatch)
    expected = run.outcome
    path.write_text(run.text)
    # where the test failed, Synapse gets 5 s: a refused handshake leaves its Deferred waiting forever
    done = synapse_send(python, path, trust, 20 if expected == 'ok' else 5)
    if expected == 'ok':
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout.splitlines()[-1]) == {'sent': True}
        assert_app_sent_as_tested(sandbox, run, sessions, messages)
    else:
        assert done.returncode != 0, done.stdout
        assert_app_sent_nothing(sandbox, sessions, messages)


# --------------------------------------------------------------------------------------------------- Alertmanager

# Our own minimal alertmanager.yml: one route to one email receiver; the module writes global.smtp_*.
ALERTMANAGER_BASE = '''\
route:
  receiver: mail
  group_wait: 1s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: mail
    email_configs:
      - to: %s
        send_resolved: false
''' % RCPT
# Alertmanager 0.25 uses implicit TLS exactly on port 465 (notify/email/email.go), so the implicit-TLS
# scenarios need a sandbox there: one at a time on this machine (a lock shared by every checkout and worker).
PORT_465_LOCK = '/tmp/mailops-smtp-port465.lock'


@pytest.fixture
def port_465():
    with open(PORT_465_LOCK, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield 465


def alertmanager_send(path, trust, wait):
    """Start Alertmanager with ``path``, fire one alert, and wait until it reports the notification's outcome."""
    manager = Alertmanager(str(path), ca_path=trust)
    manager.start()
    try:
        manager.send_alert('AppSendsAsTested')
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            log = manager.log()
            if 'Notify success' in log or 'Notify attempt failed' in log or 'Notify for alerts failed' in log:
                return log
            time.sleep(0.1)
        return manager.log()
    finally:
        manager.stop()


@pytest.mark.parametrize('scenario', ALL_SCENARIOS)
def test_alertmanager_sends_exactly_as_the_module_tested(scenario, smtp_sandbox, tmp_path, host_store, sandbox_ca,
                                                         monkeypatch, request):
    config, security, expected = SCENARIOS.get(scenario, SCENARIOS['starttls'])
    if config['security'] == 'tls':
        config = dict(config, port=request.getfixturevalue('port_465'))
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    path = tmp_path / 'alertmanager.yml'
    path.write_text(ALERTMANAGER_BASE)
    server = 'localhost:%d' % sandbox.port
    run, trust, sessions, messages = run_without_a_ca_setting('alertmanager', scenario, path, sandbox, server,
                                                              host_store, sandbox_ca, monkeypatch)
    expected = run.outcome
    path.write_text(run.text)
    log = alertmanager_send(path, trust, 15)
    if expected == 'ok':
        assert 'Notify success' in log, log
        assert_app_sent_as_tested(sandbox, run, sessions, messages)
    else:
        assert 'Notify success' not in log and 'Notify attempt failed' in log, log
        assert_app_sent_nothing(sandbox, sessions, messages)


# --------------------------------------------------------------------------------------------------- Postfix


@pytest.fixture(scope='module')
def postfix_here():
    reason = postfix_available()
    assert reason is None, reason  # an error, never a skip: scripts/system-deps.sh installs Postfix


@pytest.mark.parametrize('scenario', ALL_SCENARIOS)
def test_postfix_relays_exactly_as_the_module_tested(scenario, smtp_sandbox, host_store, sandbox_ca, postfix_here):
    config, security, expected = SCENARIOS.get(scenario, SCENARIOS['starttls'])
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    # Postfix stores ca_path (smtp_tls_CAfile) and trusts it alone: the private CA is the CA file by itself,
    # every other scenario gives the host's bundle with the CA installed
    ca_path = sandbox_ca if scenario == 'private_ca' else host_store
    postfix = PostfixInstance().create()
    try:
        run = ModuleRun('postfix', postfix.main_cf, sandbox, security, ca_path=ca_path,
                        server='localhost:%d' % sandbox.port, existing=True, module=HostTools())
        assert run.outcome == expected, run.message
        sessions, messages = _after_test(sandbox, run)
        run.profile.commit(run.plan)  # what the module writes (where the test failed: would have written)
        postfix.start()
        postfix.sendmail(b'From: Cron Daemon <root@relay-client.mailops.test>\nTo: %s\nSubject: Postfix as tested'
                         b'\n\nhello\n' % RCPT.encode(), 'root@relay-client.mailops.test', [RCPT])
        log = postfix.wait_for_log('status=sent' if expected == 'ok' else 'status=deferred')
        if expected == 'ok':
            assert_app_sent_as_tested(sandbox, run, sessions, messages)
        else:
            assert 'status=sent' not in log, log
            assert_app_sent_nothing(sandbox, sessions, messages)
    finally:
        postfix.stop()
