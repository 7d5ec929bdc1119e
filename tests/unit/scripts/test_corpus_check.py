# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""corpus_check maps a corpus laid out by app to profiles, and lists everything else as not a profile file."""

import importlib.util
import os

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
