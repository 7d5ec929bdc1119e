"""The app sends the way the module tested it (DESIGN.md "The app connects the way it was tested").

For each scenario the module's own steps run in-process (the profile's check and plan, then the SMTP test as
``_outgoing`` runs it: the app's mechanisms, its CA file trusted as the app trusts it) against a recording SMTP
sandbox (loopback, trustme CA). Where the test passed, the real application is then started with the file the
module wrote and nothing else, and sends one message to the same sandbox; the sandbox's record of the app's
session must equal the test's: TLS, login (the sandbox checks the password), envelope sender, From. Where the
module refused, the app is started with the file the module would have written, and the sandbox must see no
login and no mail from it.

Apps: msmtp 1.8 (Debian), Django 5.2 from PyPI (its SMTP backend, settings read from the ``.env`` by
django-environ and by python-dotenv; a venv the test makes, cached in tests/output/appvenvs/).
Scenarios: STARTTLS, implicit TLS, none (with a login), a private CA, a server that hides STARTTLS, a certificate
of an unknown CA, a certificate for another name. One app start per scenario, all in one process per app.
"""

import json
import os
import subprocess

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
    host_store_with_sandbox_ca,
)
from readers.appvenv import app_venv


# --------------------------------------------------------------------------------------------------- msmtp


def msmtp_send(text, tmp_path, name):
    path = tmp_path / ('msmtprc-%s' % name)
    path.write_text(text)
    os.chmod(str(path), 0o600)  # msmtp refuses a password file others may read
    return subprocess.run(['msmtp', '-C', str(path), '-a', 'default', RCPT], capture_output=True, timeout=30,
                          input=('From: %s\nSubject: msmtp as tested\n\nhello\n' % FROM).encode(),
                          env=readers.BASE_ENV, check=False)


@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_msmtp_sends_exactly_as_the_module_tested(scenario, smtp_sandbox, tmp_path, sandbox_ca):
    config, security, expected = SCENARIOS[scenario]
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    run = ModuleRun('msmtp', str(tmp_path / 'msmtprc'), sandbox, security, ca_path=sandbox_ca)
    assert run.outcome == expected, run.result['msg']
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    done = msmtp_send(run.text, tmp_path, scenario)
    if expected == 'ok':
        assert done.returncode == 0, done.stderr
        assert_app_sent_as_tested(sandbox, run, sessions - 1, messages - 1)
    else:
        assert done.returncode != 0
        assert_app_sent_nothing(sandbox, sessions - 1, messages)


# --------------------------------------------------------------------------------------------------- Django

DJANGO_PINS = ('Django==5.2.20', 'python-dotenv==1.2.4', 'django-environ==0.14.0')

# A settings module as a project writes it, for each .env reader; then Django's SMTP backend sends one mail.
DJANGO_SEND = r'''
import json, os, sys
reader, path = sys.argv[1], sys.argv[2]
if reader == "django-environ":
    import environ
    env = environ.Env()
    environ.Env.read_env(path)
    conf = dict(EMAIL_HOST=env.str("EMAIL_HOST"), EMAIL_PORT=env.int("EMAIL_PORT"),
                EMAIL_HOST_USER=env.str("EMAIL_HOST_USER", default=""),
                EMAIL_HOST_PASSWORD=env.str("EMAIL_HOST_PASSWORD", default=""),
                EMAIL_USE_TLS=env.bool("EMAIL_USE_TLS", default=False),
                EMAIL_USE_SSL=env.bool("EMAIL_USE_SSL", default=False),
                DEFAULT_FROM_EMAIL=env.str("DEFAULT_FROM_EMAIL"))
else:
    from dotenv import load_dotenv
    load_dotenv(path)
    conf = dict(EMAIL_HOST=os.environ["EMAIL_HOST"], EMAIL_PORT=int(os.environ["EMAIL_PORT"]),
                EMAIL_HOST_USER=os.environ.get("EMAIL_HOST_USER", ""),
                EMAIL_HOST_PASSWORD=os.environ.get("EMAIL_HOST_PASSWORD", ""),
                EMAIL_USE_TLS=os.environ.get("EMAIL_USE_TLS") == "True",
                EMAIL_USE_SSL=os.environ.get("EMAIL_USE_SSL") == "True",
                DEFAULT_FROM_EMAIL=os.environ["DEFAULT_FROM_EMAIL"])
from django.conf import settings
settings.configure(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_TIMEOUT=5, **conf)
import django
django.setup()
from django.core.mail import send_mail
try:
    send_mail("Django as tested", "hello", None, [sys.argv[3]])
except Exception as exc:
    print(json.dumps({"error": "%s: %s" % (type(exc).__name__, exc)}))
    sys.exit(1)
print(json.dumps({"sent": True}))
'''


@pytest.fixture(scope='module')
def django_python():
    """Python of a venv holding Django 5.2 and both .env readers (made once, cached in tests/output/)."""
    return app_venv('django', DJANGO_PINS)


@pytest.fixture(scope='module')
def host_store(tmp_path_factory):
    """The host's trust store with the sandbox CA installed (what a user does for a private CA)."""
    return host_store_with_sandbox_ca(tmp_path_factory.mktemp('host-store'))


@pytest.mark.parametrize('reader', ['django-environ', 'python-dotenv'])
@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_django_sends_exactly_as_the_module_tested(scenario, reader, smtp_sandbox, tmp_path, host_store,
                                                   django_python, monkeypatch):
    config, security, expected = SCENARIOS[scenario]
    sandbox = smtp_sandbox(users={USER: PASSWORD}, **config)
    # Django has no CA setting: the private CA is in the host's store, which the test and Django both use
    monkeypatch.setenv('SSL_CERT_FILE', host_store)
    dialect = {'python-dotenv': None, 'django-environ': 'django-environ'}[reader]
    run = ModuleRun('dotenv', str(tmp_path / '.env'), sandbox, security, params=dict(dialect=dialect))
    assert run.outcome == expected, run.result['msg']
    sessions, messages = len(sandbox.wait_sessions_closed(1)), len(sandbox.messages)
    env_file = tmp_path / 'written.env'
    env_file.write_text(run.text)
    done = subprocess.run([django_python, '-c', DJANGO_SEND, reader, str(env_file), RCPT], capture_output=True,
                          timeout=60, cwd=str(tmp_path), check=False,
                          env=dict(readers.BASE_ENV, SSL_CERT_FILE=host_store))
    if expected == 'ok':
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)['sent'] is True
        assert_app_sent_as_tested(sandbox, run, sessions - 1, messages - 1)
    else:
        assert done.returncode != 0
        assert_app_sent_nothing(sandbox, sessions - 1, messages)
