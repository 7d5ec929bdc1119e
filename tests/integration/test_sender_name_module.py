# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sender name that looks like an RFC 2047 encoded word, through the real module (ansible-playbook).

Every app that stores a sender name refuses it (recipients' mail programs would decode it, quoted or not: see
tests/unit/plugins/module_utils/test_sender_name.py): the run fails naming ``from_name`` and the file keeps its
bytes, inode and mtime. A stored look-alike is refused when only ``from_email`` would rewrite it. A name that only
resembles an encoded word is written, and Gitea's reader (Go ``net/mail``) reads it back exactly. Synapse also
refuses a non-ASCII name (its From header would lose the address: test_profiles_stack.py).
"""

import pytest
import readers
from outgoing_helpers import fixture_copy, parse_file_state, run_hosts

BASE = dict(server='smtp.example.com', port=587, security='starttls', username='mailer@example.com',
            password='s3cret-Pass', from_email='alerts@example.com', test='none')
STORED_FROM = '"=?utf-8?q?x?=" <alerts@example.com>'

# name -> (app, fixture, module args, refused: the name 'given' or the one 'stored', 'non-ascii', or None: written)
CASES = {
    'gitea': ('gitea', 'app.ini', dict(from_name='=?utf-8?q?x?='), 'given'),
    'grafana': ('grafana', 'grafana.ini', dict(from_name='=?UTF-8?B?eA==?='), 'given'),
    'mattermost': ('mattermost', 'config.json', dict(from_name='Ops =?utf-8?q?Team?= desk'), 'given'),
    'gitlab': ('gitlab', 'gitlab.rb', dict(from_name='=?utf-8?q?x?='), 'given'),
    'alertmanager': ('alertmanager', 'alertmanager.yml', dict(from_name='x=?us-ascii?q?y?=z'), 'given'),
    'synapse': ('synapse', 'homeserver-configured.yaml', dict(from_name='=?iso-8859-1?q?a b?='), 'given'),
    'dotenv': ('dotenv', '.env', dict(from_name='=?utf-8?q?x?='), 'given'),
    'alertmanager-stored': ('alertmanager', 'alertmanager.yml', dict(from_email='new@example.com'), 'stored'),
    'gitea-look-alike': ('gitea', 'app.ini', dict(from_name='=?a?x?y?= =?'), None),
    'synapse-non-ascii': ('synapse', 'homeserver-configured.yaml', dict(from_name='J\u00f6rg'), 'non-ascii'),
}


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('sender-name')
    hosts, paths = {}, {}
    for name, (app, fixture, extra, _refused) in CASES.items():
        path = fixture_copy(tmp_path, app, fixture, prefix=name)
        if name == 'alertmanager-stored':
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
            assert "  smtp_from: 'alerts@example.net'\n" in text
            with open(path, 'w', encoding='utf-8') as handle:
                handle.write(text.replace("  smtp_from: 'alerts@example.net'\n",
                                          "  smtp_from: '%s'\n" % STORED_FROM))
        paths[name] = path
        hosts[name] = dict(case_path=path, case_args=dict(BASE, app=app, path=path, **extra))
    results, output = run_hosts(tmp_path, hosts, [
        {'file_state': True},
        {'mailops.smtp.outgoing_server': '{{ case_args }}', 'diff': True},
        {'file_state': True},
    ])
    return results, output, paths


@pytest.mark.parametrize('name', sorted(CASES))
def test_an_encoded_word_sender_name_is_refused_and_nothing_changes(name, runs):
    results, output, paths = runs
    app, _fixture, extra, refused = CASES[name]
    before, applied, after = results[name]
    before, after = parse_file_state(before), parse_file_state(after)
    if refused:
        assert applied['failed'] is True
        start = 'from_name: cannot be stored in %s because the sender name %s' % (
            app, 'already stored' if refused == 'stored' else 'looks like')
        if refused == 'non-ascii':
            start = 'from_name: synapse cannot store this setting: Synapse puts notif_from into its From header'
        assert applied['msg'].startswith(start), applied['msg']
        assert 'nothing was changed' in applied['msg']
        assert 'RFC 2047 encoded word' in applied['msg'] or refused == 'non-ascii'
        assert (after['sha1'], after['inode'], after['mtime']) == (before['sha1'], before['inode'], before['mtime'])
        if 'from_name' in extra:
            assert extra['from_name'] not in applied['msg']
    else:
        assert applied.get('failed') is not True, applied.get('msg')
        assert applied['changed'] is True and applied['settings']['from_name'] == extra['from_name']
        with open(paths[name], encoding='utf-8') as handle:
            seen = readers.gitea(handle.read())['*']
        assert (seen['mailer.FROM:name'], seen['mailer.FROM:address']) == (extra['from_name'], 'alerts@example.com')
    assert BASE['password'] not in output
