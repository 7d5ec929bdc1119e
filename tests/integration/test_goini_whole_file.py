# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Through the real modules (ansible-playbook, AnsiballZ): Gitea and Grafana read their WHOLE file with go-ini.

A line go-ini cannot parse in ANOTHER section (here ``PASSWD = \"\"\"\"\"`` under ``[database]`` and an unclosed
backtick under ``[server]``) stops the app, even with a perfect ``[mailer]``/``[smtp]`` section. The real reader
(tests/readers, go-ini from Debian with the app's LoadOptions) refuses these files; the modules must too:
outgoing_server fails naming the file and the line and leaves it byte-identical (same inode and mtime), and
outgoing_server_info fails instead of reporting ``in_sync``. Gitea compares PROTOCOL case-sensitively, so a
hand-written ``SMTPS`` is drift (Gitea speaks plain SMTP with it) and gets rewritten to ``smtps``.
"""

import pytest
import readers

from outgoing_helpers import file_state, run_tasks

USER = 'mailer@example.com'
PASSWORD = 'Db-and-Smtp-Pass'

GITEA = """APP_NAME = Gitea

[database]
DB_TYPE = mysql
PASSWD = \"\"\"\"\"

[mailer]
ENABLED = true
PROTOCOL = smtps
SMTP_ADDR = smtp.example.com
SMTP_PORT = 465
USER = {user}
PASSWD = {password}
FORCE_TRUST_SERVER_CERT = false
"""

GRAFANA = """[server]
root_url = `https://grafana.example.com/

[smtp]
enabled = true
host = smtp.example.com:465
user = {user}
password = {password}
skip_verify = false
"""

GITEA_CASE = GITEA.replace('PASSWD = """""\n', '').replace('PROTOCOL = smtps', 'PROTOCOL = SMTPS')

SETTINGS = dict(server='ssl://smtp.example.com:465', username=USER, password='{{ smtp_password }}', test='none')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('goini')
    paths = {}
    for name, text in (('gitea', GITEA), ('grafana', GRAFANA), ('gitea-case', GITEA_CASE)):
        path = tmp_path / ('%s.ini' % name)
        path.write_text(text.format(user=USER, password=PASSWORD))
        paths[name] = str(path)
    before = {name: file_state(path) for name, path in paths.items()}
    tasks = []
    for name, app in (('gitea', 'gitea'), ('grafana', 'grafana')):
        tasks.append({'mailops.smtp.outgoing_server_info': dict(SETTINGS, app=app, path=paths[name])})
        tasks.append({'mailops.smtp.outgoing_server': dict(SETTINGS, app=app, path=paths[name])})
    case = dict(SETTINGS, app='gitea', path=paths['gitea-case'])
    tasks += [{'mailops.smtp.outgoing_server_info': case}, {'mailops.smtp.outgoing_server': case},
              {'mailops.smtp.outgoing_server': case}]
    results, output = run_tasks(tmp_path, tasks, verbosity=3, extra_vars={'smtp_password': PASSWORD})
    yield dict(results=results, output=output, paths=paths, before=before)


@pytest.mark.parametrize('app, index, line, why', [
    ('gitea', 0, 5, 'PASSWD in [database] opens a multi-line """ quote that no later line closes'),
    ('grafana', 2, 2, 'root_url in [server] opens a multi-line ` quote that no later line closes'),
])
def test_a_file_go_ini_refuses_in_another_section_is_refused_and_left_byte_identical(run, app, index, line, why):
    path = run['paths'][app]
    with open(path, encoding='utf-8') as handle:
        seen = (readers.gitea_many if app == 'gitea' else readers.grafana_many)([handle.read()])[0]
    assert isinstance(seen, readers.Unreadable)  # the app itself does not start with this file
    reader = 'go-ini (the INI reader of %s) refuses the whole file' % app.title()
    info, write = run['results'][index], run['results'][index + 1]
    for result in (info, write):
        assert result['failed'] is True and 'in_sync' not in result
        assert result['msg'].startswith('%s: cannot parse %s as ini: line %d: ' % (app, path, line)), result['msg']
        assert why in result['msg'] and reader in result['msg']
        assert result['msg'].endswith('nothing was changed')
    assert write.get('changed') is not True
    assert file_state(path) == run['before'][app]  # bytes, inode and mtime


def test_gitea_protocol_in_another_case_is_drift_and_gets_rewritten(run):
    info, first, second = run['results'][4:7]
    assert info['in_sync'] is False
    assert [item['setting'] for item in info['drift']] == ['security']
    assert info['settings']['security'] == 'none'  # Gitea's SMTP sender: no TLS for a protocol it does not know
    assert first['changed'] is True and first.get('failed') is not True
    with open(run['paths']['gitea-case'], encoding='utf-8') as handle:
        text = handle.read()
    assert readers.gitea(text)['mailer']['PROTOCOL'] == 'smtps'
    assert second['changed'] is False


def test_no_password_in_the_output(run):
    assert PASSWORD not in run['output']
