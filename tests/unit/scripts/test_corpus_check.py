# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""corpus_check maps a corpus laid out by app to profiles, and lists everything else as not a profile file."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def load():
    spec = importlib.util.spec_from_file_location('corpus_check', os.path.join(ROOT, 'scripts', 'corpus_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_discover_maps_files_by_app_directory(tmp_path):
    layout = {
        'grafana/sample.ini': 'grafana', 'gitea/app.example.ini': 'gitea', 'nextcloud/config.php': 'nextcloud',
        'mattermost/config.json': 'mattermost', 'redmine/configuration.yml.example': 'redmine',
        'discourse/standalone.yml': 'discourse', 'django/.env.example': 'dotenv',
        'mastodon/.env.production.sample': 'dotenv', 'corebos/DatabaseSchema.xml': None, 'SOURCES.md': None,
        'grafana/README.md': None, 'unknown/app.ini': None, 'alertmanager/alertmanager.yml': 'alertmanager',
        'alertmanager/simple.yml': 'alertmanager', 'gitlab/gitlab.rb.template': 'gitlab',
        'synapse/homeserver.yaml.sample': 'synapse', 'netbox/configuration_example.py': 'netbox',
        'postfix/main.cf.dist': None, 'msmtp/msmtprc-user.example': 'msmtp',
    }
    for rel in layout:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('x\n')
    found = dict(load().discover(str(tmp_path)))
    assert set(found) == set(layout)
    for rel, app in layout.items():
        assert (found[rel]['app'] if found[rel] else None) == app, rel


def test_mastodon_files_use_mastodon_key_names(tmp_path):
    path = tmp_path / 'mastodon' / '.env.production.sample'
    path.parent.mkdir()
    path.write_text('SMTP_SERVER=x\n')
    spec = dict(load().discover(str(tmp_path)))['mastodon/.env.production.sample']
    assert spec['params']['keys']['host'] == 'SMTP_SERVER'


def test_ci_runs_exactly_the_test_commands_the_readme_gives():
    """.ci/run = the README's first sh block minus `make demo`: make test, then corpus-check (corpus there)."""
    def commands(lines):
        return [line.split('#', 1)[0].strip() for line in lines
                if line.strip() and not line.lstrip().startswith('#')]

    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        readme = handle.read()
    block = readme.split('```sh\n', 1)[1].split('```', 1)[0].splitlines()
    with open(os.path.join(ROOT, '.ci', 'run'), encoding='utf-8') as handle:
        ci = handle.read().splitlines()
    ci_commands = [line for line in commands(ci) if not line.startswith(('set ', 'cd '))]
    assert [line for line in commands(block) if line != 'make demo'] == ci_commands
    assert ci_commands == ['make test', '[ ! -d ../shared/corpus ] || make corpus-check']


def test_the_app_readers_see_what_corpus_check_compares():
    """What corpus-check compares with the settings it wrote is what the application's own reader gives."""
    check = load()
    want = dict(host='127.0.0.1', port='2525', user='u@example.com', password='p#1;x')
    assert check.app_reads('grafana', '[smtp]\nhost = 127.0.0.1:2525\nuser = u@example.com\n'
                                      'password = """p#1;x"""\n') == want
    assert check.app_reads('discourse', 'env:\n  DISCOURSE_SMTP_ADDRESS: 127.0.0.1\n  DISCOURSE_SMTP_PORT: 2525\n'
                                        '  DISCOURSE_SMTP_USER_NAME: u@example.com\n'
                                        '  DISCOURSE_SMTP_PASSWORD: "p#1;x"\n') == want
    assert check.app_reads('redmine', 'default:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
                                      '      address: 127.0.0.1\n      port: 2525\n      user_name: u@example.com\n'
                                      '      password: "p#1;x"\n') == want
    assert check.app_reads('nextcloud', '<?php\n') is None  # its parse already is php's reading


def test_a_profile_not_in_the_registry_waits_and_the_netbox_files_are_python():
    check = load()
    assert 'netbox' in check.PROFILES and check.PROFILES['netbox'][0][1]['parser'] == 'python'
    assert {'grafana', 'postfix', 'msmtp', 'corebos'} <= check.registered_apps()


FIXTURES = os.path.join(ROOT, 'tests', 'integration', 'fixtures')
# corpus directory -> our own fixture in that app's shape (the corpus parsers that need no running service)
OWN_FIXTURES = {'grafana': 'grafana/grafana.ini', 'gitea': 'gitea/app-legacy.ini', 'nextcloud': 'nextcloud/config.php',
                'mattermost': 'mattermost/config.json', 'redmine': 'redmine/configuration.yml',
                'discourse': 'discourse/app.yml', 'alertmanager': 'alertmanager/alertmanager.yml',
                'synapse': 'synapse/homeserver-configured.yaml', 'netbox': 'netbox/configuration.py',
                'mastodon': 'dotenv/mastodon.env', 'gitlab': 'gitlab/gitlab.rb'}


@pytest.mark.parametrize('app_dir', sorted(OWN_FIXTURES))
def test_a_write_and_a_removal_change_only_the_keys_the_profile_declares(app_dir, tmp_path):
    """The owned keys corpus_check allows to change come from the profile (``AppProfile.owned()``); here they are
    held against what the profile really writes and removes, read back by the corpus check's parsers."""
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
    from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params
    check = load()
    spec = check.PROFILES[app_dir][0][1]
    with open(os.path.join(FIXTURES, OWN_FIXTURES[app_dir]), encoding='utf-8') as handle:
        texts = [handle.read()]
    path = tmp_path / os.path.basename(OWN_FIXTURES[app_dir])
    settings = settings_from_params(dict(server='127.0.0.1', port=2525, security='starttls', username=check.USER,
                                         password=check.PASSWORD, from_email=spec['params'].get('from_email')))
    for state in ('present', 'absent'):
        profile = get_profile(spec['app'])(None, dict(spec['params'], path=str(path)))
        wanted = settings if state == 'present' else None
        profile.check(wanted, state)
        stored = profile.extract(profile.parse(texts[-1]))
        texts.append(profile.plan(Snapshot(True, stored, handle=texts[-1]), wanted, state, 'always').payload)
    parsed = []
    for text in texts:
        path.write_text(text, encoding='utf-8')
        parsed.append(check.parse(spec['parser'], str(path)))
    owned = check.owned_of(spec, str(path))
    kept = [check.without_owned(spec['parser'], item, owned) for item in parsed]
    assert kept[0] == kept[1] == kept[2], app_dir
    assert parsed[0] != parsed[1] != parsed[2]   # the write and the removal did change owned keys
