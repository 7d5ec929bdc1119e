# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every option of smtp_probe, outgoing_server_info and outgoing_server reaches the outgoing_server role: the role
documents and validates a variable for it (meta/argument_specs.yml, same type and choices) and passes that variable
to the module (the module_defaults of tasks/main.yml). Read from the committed files, so a module option added
without `make docs` fails here."""

import importlib.util
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, 'roles', 'outgoing_server')


def load():
    path = os.path.join(ROOT, 'scripts', 'gen_role_options.py')
    spec = importlib.util.spec_from_file_location('gen_role_options', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def role_files():
    with open(os.path.join(ROLE, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        meta = yaml.safe_load(handle)['argument_specs']['main']['options']
    with open(os.path.join(ROLE, 'tasks', 'main.yml'), encoding='utf-8') as handle:
        tasks = yaml.safe_load(handle)
    defaults = tasks[0]['module_defaults']
    return meta, defaults


def test_every_module_option_has_a_role_variable_that_reaches_the_module():
    gen = load()
    specs = gen.module_specs()
    meta, defaults = role_files()
    missing = []
    for module, spec in specs.items():
        passed = defaults['mailops.smtp.' + module]
        for option, option_spec in spec.items():
            if (module, option) in gen.ROLE_SET:
                assert option not in passed  # the role's tasks set it themselves
                continue
            variable = gen.role_variable(option)
            value = passed.get(option, '')
            if not re.search(r'\b%s\b' % variable, value) or variable not in meta:
                missing.append('%s.%s (role variable %s)' % (module, option, variable))
                continue
            module_type = option_spec.get('type', 'str')
            assert meta[variable].get('type', 'str') == ('str' if module_type == 'raw' else module_type), variable
            assert meta[variable].get('choices') == option_spec.get('choices'), variable
            assert meta[variable].get('elements') == option_spec.get('elements'), variable
            assert sorted(meta[variable].get('options') or {}) == sorted(option_spec.get('options') or {}), variable
    assert not missing, 'module options the role cannot pass: ' + ', '.join(missing)
    # the options of issue 24 by name: the role could not pass them before
    for variable in ('outgoing_server_dialect', 'outgoing_server_validate', 'outgoing_server_oauth2',
                     'outgoing_server_file_mode'):
        assert variable in meta


def test_a_new_module_option_is_added_to_the_role_and_a_mismatched_entry_is_named():
    gen = load()
    specs = gen.module_specs()
    meta_text = open(os.path.join(ROLE, 'meta', 'argument_specs.yml'), encoding='utf-8').read()
    tasks_text = open(os.path.join(ROLE, 'tasks', 'main.yml'), encoding='utf-8').read()
    docs = {module: {} for module in gen.MODULES}
    assert gen.render_tasks(tasks_text, specs) == tasks_text
    assert gen.render_meta_text(meta_text, specs, docs)[1] == []
    specs['outgoing_server']['brand_new'] = dict(type='str', choices=['a', 'b'])
    new_meta, problems = gen.render_meta_text(meta_text, specs, docs)
    assert problems == [] and new_meta != meta_text
    options = yaml.safe_load(new_meta)['argument_specs']['main']['options']  # the emitter writes YAML that reads back
    assert options['outgoing_server_brand_new']['choices'] == ['a', 'b']
    assert options['outgoing_server_security'] == yaml.safe_load(meta_text)['argument_specs']['main']['options'][
        'outgoing_server_security']  # hand-written entries are kept as written
    assert 'brand_new: "{{ outgoing_server_brand_new | default(omit) }}"' in gen.render_tasks(tasks_text, specs)
    # a hand-written role option whose choices no longer match its module option is named, not silently kept
    specs['outgoing_server']['security'] = dict(type='str', choices=['none', 'starttls', 'tls', 'quantum'])
    problems = gen.render_meta_text(meta_text, specs, docs)[1]
    assert len(problems) == 1 and problems[0].startswith('outgoing_server_security: choices')
