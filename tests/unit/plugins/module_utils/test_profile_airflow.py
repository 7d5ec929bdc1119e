"""app: airflow, the profile's own cases: the connection it edits, what it refuses, removal, and the diff.

What Airflow reads back is proven by Airflow itself (readers.airflow_many: apache-airflow-core from PyPI), once for
every written case here; the full send is in tests/integration/test_airflow.py.
"""

import os

import pytest

import readers
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures', 'airflow',
                       'airflow.cfg')
CONN = '/srv/airflow/airflow.env'
USER, PASSWORD = 'mailer@example.com', 'pa%ss $HOME \'"#'
JSON_CONN = ('AIRFLOW_CONN_SMTP_DEFAULT=\'{"conn_type": "smtp", "host": "relay.example.com", "port": 587, '
             '"login": "old@example.com", "password": "old", "extra": {"timeout": 10}}\'\n')
URI_CONN = 'OTHER=1\nAIRFLOW_CONN_SMTP_DEFAULT=smtp://old:old@relay.example.com:587?disable_ssl=true\n'


def fixture():
    with open(FIXTURE, encoding='utf-8') as handle:
        return handle.read()


def plan(text, conn_text, state='present', **params):
    args = dict(app='airflow', path='/srv/airflow/airflow.cfg', connection_file=CONN, server='smtp.example.com',
                port=587, security='starttls', username=USER, password=PASSWORD)
    args.update(params)
    profile = get_profile('airflow')(None, args)
    settings = settings_from_params(args) if state == 'present' else None
    profile.check(settings, state)
    parser, _store, name, value = profile._view(text, conn_text)
    stored = profile._model(parser, value)
    handle = dict(text=text, conn_text=conn_text, name=name, overrides=profile._overrides(conn_text), backend=None)
    snapshot = Snapshot(True, stored, secrets=[], handle=handle)
    return profile.plan(snapshot, settings, state, 'always')


@pytest.fixture(scope='module')
def written():
    """The cases written here, and what ONE Airflow process reads from each (its env from systemd's reader)."""
    cases = {'json': plan(fixture(), JSON_CONN), 'uri': plan(fixture(), URI_CONN),
             'no-login': plan(fixture(), URI_CONN, username=None, password=None, security='tls', port=465),
             'percent': plan(fixture(), None, from_email='ops%team@example.com')}
    names = sorted(cases)
    envs = readers.systemd_many([cases[name].payload['conn_text'] or '' for name in names])
    seen = readers.airflow_many([(cases[name].payload['text'], env) for name, env in zip(names, envs)])
    return dict((name, (cases[name].payload, values)) for name, values in zip(names, seen))


def test_an_existing_json_or_uri_connection_keeps_its_other_parts_and_airflow_reads_the_new_login(written):
    (as_json, json_seen), (as_uri, uri_seen) = written['json'], written['uri']
    assert '@relay.example.com:587?__extra__=%7B%22timeout%22%3A10%7D' in as_json['conn_text']
    assert as_uri['conn_text'].startswith('OTHER=1\nAIRFLOW_CONN_SMTP_DEFAULT=')
    assert '@relay.example.com:587?disable_ssl=true' in as_uri['conn_text']
    for values in (json_seen, uri_seen):
        assert (values['login'], values['password']) == (USER, PASSWORD), values
        assert (values['smtp_host'], values['smtp_port'], values['smtp_starttls']) == ('smtp.example.com', 587, True)


def test_without_a_login_the_connection_loses_its_login_and_airflow_sends_without_one(written):
    payload, values = written['no-login']
    assert "AIRFLOW_CONN_SMTP_DEFAULT='smtp://relay.example.com:587?disable_ssl=true'" in payload['conn_text']
    assert (values['login'], values['password'], values['smtp_ssl']) == (None, None, True)


def test_removal_takes_the_smtp_keys_and_the_connection_and_keeps_everything_else():
    text = fixture()
    result = plan(text, URI_CONN, state='absent')
    assert result.payload['conn_text'] == 'OTHER=1\n'
    for key in ('smtp_host', 'smtp_port', 'smtp_starttls', 'smtp_ssl', 'smtp_mail_from'):
        assert '\n%s = ' % key not in result.payload['text']
    kept = [line for line in text.splitlines() if not line.startswith(('smtp_host', 'smtp_port', 'smtp_starttls',
                                                                      'smtp_ssl', 'smtp_mail_from'))]
    assert result.payload['text'].splitlines() == kept


@pytest.mark.parametrize('option, value, why', [
    ('from_email', 'ops$HOME@example.com', 'expands $NAME'),
    ('from_email', '~root@example.com', 'leading ~'),
])
def test_what_airflow_would_expand_is_refused_naming_the_option(option, value, why):
    with pytest.raises(SettingsError) as caught:
        plan(fixture(), None, **{option: value})
    assert caught.value.option == option and why in str(caught.value)


def test_percent_is_doubled_and_a_continuation_line_after_a_written_key_is_refused(written):
    payload, values = written['percent']
    assert 'smtp_mail_from = ops%%team@example.com\n' in payload['text']
    assert values['smtp_mail_from'] == 'ops%team@example.com'
    continued = fixture().replace('smtp_host = localhost\n', 'smtp_host = localhost\n    relay2.example.com\n')
    with pytest.raises(StoreError) as caught:
        plan(continued, None)
    assert 'host' in str(caught.value) and 'nothing was changed' in str(caught.value)


def test_the_diff_masks_the_password_in_every_spelling_and_warns_about_overrides():
    result = plan(fixture(), 'AIRFLOW__SMTP__SMTP_PORT=2525\n')
    shown = result.before + result.after
    assert PASSWORD not in shown and 'pa%25ss' not in shown
    assert 'AIRFLOW_CONN_SMTP_DEFAULT=********' in result.after
    assert any('AIRFLOW__SMTP__SMTP_PORT (in %s)' % CONN in warning for warning in result.warnings)


def test_a_login_needs_the_connection_file_and_from_name_is_refused():
    with pytest.raises(SettingsError) as caught:
        plan(fixture(), None, connection_file=None)
    assert caught.value.option == 'connection_file'
    with pytest.raises(SettingsError) as caught:
        plan(fixture(), None, from_name='Airflow')
    assert caught.value.option == 'from_name'
