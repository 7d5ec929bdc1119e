"""The app registry is the one list of apps: every other list is generated from it, and a drift fails here."""

import importlib.util
import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils import _profiles
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._outgoing import STORE_ARGS
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import AppProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import (
    APP_OPTIONS,
    APPS,
    OPTION_APPS,
    PROFILES,
    open_profile,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def _generator():
    spec = importlib.util.spec_from_file_location('gen_app_lists', os.path.join(ROOT, 'scripts', 'gen_app_lists.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_app_list_matches_the_registry():
    """Doc fragment, module description, README table, the role's choices and service map: none drifts."""
    assert _generator().stale(ROOT) == []


def test_a_hand_edited_list_is_caught(tmp_path):
    generator = _generator()
    for name in generator.FILES:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(os.path.join(ROOT, name), encoding='utf-8') as handle:
            target.write_text(handle.read(), encoding='utf-8')
    vars_file = tmp_path / 'roles/outgoing_server/vars/main.yml'
    vars_file.write_text(vars_file.read_text(encoding='utf-8').replace('  grafana: grafana-server\n', ''),
                         encoding='utf-8')
    readme = tmp_path / 'README.md'
    readme.write_text(readme.read_text(encoding='utf-8').replace('| `msmtp` |', '| `msmtp2` |'), encoding='utf-8')
    fragment = tmp_path / 'plugins/doc_fragments/app_store.py'
    text = fragment.read_text(encoding='utf-8')
    assert 'For O(app=corebos), the database port.' in text
    fragment.write_text(text.replace('the database port.', 'the database TCP port.'), encoding='utf-8')
    assert generator.stale(str(tmp_path)) == ['plugins/doc_fragments/app_store.py', 'README.md',
                                              'roles/outgoing_server/vars/main.yml']


def test_the_app_options_are_documented_from_their_declarations():
    """The fragment's entry of each app option is the profiles' declaration: type, default, choices, the
    description (shared options merged, the longest first, with the apps that read it), version_added; the
    argument spec keeps none of the doc keys."""
    import yaml
    from ansible_collections.mailops.smtp.plugins.doc_fragments.app_store import ModuleDocFragment
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    for option, spec in APP_OPTIONS.items():
        assert not set(spec) & {'description', 'version_added'}
        assert STORE_ARGS[option] == spec
        doc = documented[option]
        assert doc['type'] == spec['type'] and doc.get('default') == spec.get('default')
        assert doc.get('choices') == spec.get('choices')
        for app in OPTION_APPS[option]:
            assert 'O(app=%s)' % app in ' '.join(doc['description'])
            assert set(PROFILES[app].options[option]['description']) <= set(doc['description'])
    assert documented['dialect']['description'][0].startswith('For O(app=dotenv), which reader')
    assert documented['dialect']['description'][-2:] == [
        'For O(app=airflow), the reader of O(connection_file) (the same choices).',
        'Only for O(app=dotenv) and O(app=airflow).']
    assert documented['dialect']['version_added'] == '1.1.0'
    assert documented['connection_file']['version_added'] == '1.3.0'
    assert 'version_added' not in documented['login_db']


def test_an_app_option_without_its_app_named_is_refused(monkeypatch):
    generator = _generator()
    monkeypatch.setitem(PROFILES['redmine'].options, 'environment', dict(
        PROFILES['redmine'].options['environment'], description=['The top-level section to edit.']))
    with pytest.raises(SystemExit) as raised:
        generator.fragment_app_options('  ')
    assert 'option environment' in str(raised.value) and 'O(app=redmine)' in str(raised.value)
    monkeypatch.setitem(PROFILES['redmine'].options, 'environment', dict(type='str', default='default'))
    with pytest.raises(SystemExit) as raised:
        generator.fragment_app_options('  ')
    assert 'redmine: option environment declares no description' in str(raised.value)


def test_the_connection_table_says_what_the_profiles_declare():
    """docs/apps.md "How the app connects": a row per app, each agreeing with the profile's ``connection``."""
    assert _generator().connection_table_problems(ROOT) == []


def test_a_connection_table_that_drifts_is_caught(tmp_path):
    with open(os.path.join(ROOT, 'docs', 'apps.md'), encoding='utf-8') as handle:
        text = handle.read()
    gitea = [line for line in text.splitlines() if line.startswith('| Gitea |')][0]
    netbox = [line for line in text.splitlines() if line.startswith('| NetBox |')][0]
    text = text.replace(gitea, gitea.replace('**opportunistic**', 'required')).replace(netbox, '')
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'apps.md').write_text(text, encoding='utf-8')
    assert _generator().connection_table_problems(str(tmp_path)) == [
        'docs/apps.md: Gitea row: STARTTLS is opportunistic in the declaration', 'docs/apps.md: no row for netbox']


def test_every_profile_file_is_an_app_of_the_modules():
    folder = os.path.dirname(_profiles.__file__)
    files = sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and not name.startswith('_'))
    assert list(APPS) == files
    assert STORE_ARGS['app']['choices'] == files


@pytest.mark.parametrize('app', APPS)
def test_every_profile_declares_itself(app):
    cls = PROFILES[app]
    assert issubclass(cls, AppProfile) and cls.name == app
    assert cls.label and cls.settings_location and cls.doc
    assert cls.service_state in ('restarted', 'reloaded')
    assert not (cls.service and cls.apply_command)
    for option in cls.options:
        assert STORE_ARGS[option] == APP_OPTIONS[option]


def test_the_app_options_are_the_profiles():
    assert OPTION_APPS['dialect'] == ('airflow', 'dotenv')
    assert OPTION_APPS['connection_file'] == ('airflow',)
    assert OPTION_APPS['environment'] == ('redmine',)
    assert OPTION_APPS['account'] == ('msmtp',)
    assert OPTION_APPS['login_db'] == ('corebos',)
    assert OPTION_APPS['keys'] == ('dotenv', 'generic')
    assert STORE_ARGS['login_password']['no_log'] is True


@pytest.mark.parametrize('option, value, app', [
    ('dialect', 'shell', 'grafana'),
    ('login_host', 'db.example.com', 'nextcloud'),
    ('account', 'work', 'postfix'),
    ('environment', 'production', 'gitlab'),
    ('keys', {'host': 'SMTP_HOST'}, 'mattermost'),
])
def test_another_apps_option_is_refused_naming_it(option, value, app):
    params = dict((name, spec.get('default')) for name, spec in STORE_ARGS.items())
    params.update(app=app, path='/nonexistent/config', **{option: value})
    with pytest.raises(SettingsError) as raised:
        open_profile(None, params)
    assert raised.value.option == option
    assert str(raised.value).startswith('%s: only app=' % option) and ('app=%s' % app) in str(raised.value)


def test_an_option_left_at_its_default_is_not_refused():
    params = dict((name, spec.get('default')) for name, spec in STORE_ARGS.items())
    params.update(app='grafana', path='/nonexistent/grafana.ini')
    assert open_profile(None, params).name == 'grafana'


def test_every_store_module_is_registered_and_declares_the_store_interface():
    from ansible_collections.mailops.smtp.plugins.module_utils import stores
    from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
    from ansible_collections.mailops.smtp.plugins.module_utils.stores._registry import (
        MAPPED_FORMATS,
        STORES,
        store_class,
    )
    folder = os.path.dirname(stores.__file__)
    files = sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and not name.startswith('_'))
    assert sorted(STORES) == files
    for fmt in STORES:
        cls = store_class(fmt)
        assert issubclass(cls, Store) and cls.__module__.endswith('.stores.%s' % fmt)
        assert cls.parse('').render() == ''
    assert STORE_ARGS['format']['choices'] == list(MAPPED_FORMATS)
    with pytest.raises(SettingsError) as raised:
        store_class('toml')
    assert raised.value.option == 'format' and ', '.join(STORES) in str(raised.value)
