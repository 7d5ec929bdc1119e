"""Every list of apps outside the profiles, generated from the app registry (run by scripts/docs.sh).

    scripts/gen_app_lists.py generate   rewrite the generated blocks in place
    scripts/gen_app_lists.py check      exit 1, naming the stale files, when a block differs from the registry

The formats ``keys`` can address come from the store registry (``plugins/module_utils/stores/_registry.py``).
Each profile declares what the lists say about it (``label``, ``settings_location``, ``doc``, ``service``,
``service_state``, ``apply_command``: see ``plugins/module_utils/_profiles/_base.py``), and its own ``options``
with their documentation (the fragment's entries of those options: ``fragment_app_options``). The blocks sit between a
``BEGIN generated`` and an ``END generated`` marker line (a comment in the file's own syntax); the text between
them is replaced, the rest of each file is kept byte for byte. tests/unit/plugins/module_utils/test_app_registry.py
runs ``stale()``.
``check`` also holds the "How the app connects" table of docs/apps.md against each profile's ``connection``
declaration (``connection_table_problems()``): that table's prose stays hand-written, its facts may not drift.
"""

import json
import os
import re
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.join(ROOT, '.collections') not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, '.collections'))

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import (  # noqa: E402
    APP_OPTIONS,
    APPS,
    OPTION_APPS,
    PROFILES,
)
from ansible_collections.mailops.smtp.plugins.module_utils.stores._registry import MAPPED_FORMATS  # noqa: E402

WIDTH = 120
BEGIN = re.compile(r'^(?P<indent>[ \t]*)(?P<comment>#|<!--) BEGIN generated: (?P<name>[a-z_]+)\b.*$', re.M)


def _wrap(text, first, rest, width=WIDTH):
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


def _flow_list(key, items, indent):
    """A YAML flow sequence ``key: [a, b, ...]`` wrapped under ``indent``."""
    first = '%s%s: [' % (indent, key)
    lines = _wrap(', '.join(items) + ']', first, ' ' * len(first))
    return lines


def _apps_in_doc_order():
    """``generic`` last: the catch-all after the named apps."""
    return [app for app in APPS if app != 'generic'] + ['generic']


def fragment_app(indent):
    lines = ['%sdescription:' % indent,
             '%s  - The application whose outgoing-mail settings are managed; it chooses where and how they are '
             'stored.' % indent]
    for app in _apps_in_doc_order():
        lines += _wrap('V(%s) %s' % (app, PROFILES[app].doc), indent + '  - ', indent + '    ')
    lines += ['%s  - A setting the application cannot store is an error naming the application and the setting.'
              % indent,
              '%stype: str' % indent,
              '%srequired: true' % indent]
    lines += _flow_list('choices', APPS, indent)
    return lines


# A YAML plain scalar may not start with these, nor hold ": " or " #" (then the text is double-quoted).
_YAML_INDICATORS = '!&*{}[]|>\'"%@`#,?:-'


def _scalar(text):
    if text[:1] in _YAML_INDICATORS or ': ' in text or ' #' in text or text.endswith(':'):
        return json.dumps(text, ensure_ascii=False)
    return text


def _option_doc(option):
    """The description (list of paragraphs) and version_added of an app option, from every profile that declares
    it. Identical declarations (a subclass's inherited option) count once; distinct ones are merged, the longest
    first (the option's main text; then the apps' order), followed by a generated "Only for O(app=...)" line. Each
    declaring app must be named as O(app=NAME) in the result, so the text cannot claim fewer apps than read it."""
    descriptions, versions = [], set()
    for app in OPTION_APPS[option]:
        declared = PROFILES[app].options[option]
        description = declared.get('description')
        if not description or not all(isinstance(item, str) and item for item in description):
            raise SystemExit('%s: option %s declares no description (a list of paragraphs)' % (app, option))
        if list(description) not in [item for _app, item in descriptions]:
            descriptions.append((app, list(description)))
        if 'version_added' in declared:
            versions.add(declared['version_added'])
    if len(versions) > 1:
        raise SystemExit('option %s: the profiles declare different version_added %s' % (option, sorted(versions)))
    descriptions.sort(key=lambda pair: (-len(pair[1]), OPTION_APPS[option].index(pair[0])))
    text = [item for _app, description in descriptions for item in description]
    if len(descriptions) > 1:
        text.append('Only for %s.' % ' and '.join('O(app=%s)' % app for app, _description in descriptions))
    missing = [app for app in OPTION_APPS[option] if 'O(app=%s)' % app not in ' '.join(text)]
    if missing:
        raise SystemExit('option %s: its description does not name O(app=%s), which reads it'
                         % (option, ') or O(app='.join(missing)))
    return text, (versions.pop() if versions else None)


def fragment_app_options(indent):
    """Every app's own options (the profiles' ``options``: type, default, choices and their documentation)."""
    lines = []
    for option, spec in APP_OPTIONS.items():
        description, version_added = _option_doc(option)
        lines += ['%s%s:' % (indent, option), '%s  description:' % indent]
        for item in description:
            lines += _wrap(_scalar(item), indent + '    - ', indent + '      ')
        lines.append('%s  type: %s' % (indent, spec['type']))
        if spec.get('default') is not None:
            lines.append('%s  default: %s' % (indent, _scalar(str(spec['default']))))
        if spec.get('choices'):
            lines += _flow_list('choices', spec['choices'], indent + '  ')
        if version_added:
            lines.append('%s  version_added: %s' % (indent, version_added))
    return lines


def fragment_format(indent):
    return _flow_list('choices', MAPPED_FORMATS, indent)


def module_description(indent):
    labels = [PROFILES[app].label for app in _apps_in_doc_order()]
    text = ('Writes the outgoing-mail (SMTP) settings of an application (%s, or %s) in the application\'s own '
            'spelling.' % (', '.join(labels[:-1]), labels[-1]))
    return _wrap(text, indent + '- ', indent + '  ')


def readme_apps(indent):
    lines = ['| `app` | the app | where the settings live |', '|---|---|---|']
    for app in APPS:
        lines.append('| `%s` | %s | %s |' % (app, PROFILES[app].label, PROFILES[app].settings_location))
    return lines


def role_app_choices(indent):
    return _flow_list('choices', APPS, indent)


def role_services(indent):
    lines = ['%s# Apps that read their SMTP settings only at start-up, and the usual name of their service.' % indent,
             '%s__outgoing_server_services:' % indent]
    lines += ['%s  %s: %s' % (indent, app, PROFILES[app].service) for app in APPS if PROFILES[app].service]
    lines += ['', '%s# Apps whose service takes a reload (the default state is restarted).' % indent,
              '%s__outgoing_server_service_states:' % indent]
    lines += ['%s  %s: %s' % (indent, app, PROFILES[app].service_state) for app in APPS
              if PROFILES[app].service and PROFILES[app].service_state != 'restarted']
    lines += ['', '%s# Apps applied by a command rather than a service (argv).' % indent,
              '%s__outgoing_server_apply_commands:' % indent]
    lines += ['%s  %s: [%s]' % (indent, app, ', '.join(PROFILES[app].apply_command)) for app in APPS
              if PROFILES[app].apply_command]
    return lines


def role_service_doc(indent):
    services = ['C(%s)' % PROFILES[app].service for app in APPS if PROFILES[app].service]
    names = ', '.join(services[:-1]) + ' or ' + services[-1]
    text = ('The app\'s service. Default %s for those apps, none for the others (they read their settings on each '
            'use, are applied by O(outgoing_server_apply_command), or, for Postfix, the role runs C(postfix '
            'reload) itself).' % names)
    return _wrap(text, indent + '- ', indent + '  ')


BLOCKS = {
    'fragment_app': fragment_app,
    'fragment_app_options': fragment_app_options,
    'fragment_format': fragment_format,
    'module_description': module_description,
    'readme_apps': readme_apps,
    'role_app_choices': role_app_choices,
    'role_format_choices': fragment_format,
    'role_services': role_services,
    'role_service_doc': role_service_doc,
}

FILES = (
    'plugins/doc_fragments/app_store.py',
    'plugins/modules/outgoing_server.py',
    'README.md',
    'roles/outgoing_server/meta/argument_specs.yml',
    'roles/outgoing_server/vars/main.yml',
)


def render(text, where):
    """``text`` with every generated block made from the registry."""
    out, pos = [], 0
    for begin in BEGIN.finditer(text):
        if begin.start() < pos:
            continue
        name, indent = begin.group('name'), begin.group('indent')
        end_marker = re.compile(r'^[ \t]*(#|<!--) END generated: %s\b.*$' % name, re.M)
        end = end_marker.search(text, begin.end())
        if end is None or name not in BLOCKS:
            raise SystemExit('%s: block %r has no END marker or is not one of %s' % (where, name, ', '.join(BLOCKS)))
        out.append(text[pos:begin.end()] + '\n')
        out.append(''.join(line.rstrip() + '\n' for line in BLOCKS[name](indent)))
        pos = end.start()
    out.append(text[pos:])
    return ''.join(out)


def stale(root=ROOT):
    """The files whose generated blocks differ from the registry (each file must hold at least one block)."""
    result = []
    for name in FILES:
        with open(os.path.join(root, name), encoding='utf-8') as handle:
            text = handle.read()
        if not BEGIN.search(text) or render(text, name) != text:
            result.append(name)
    return result


CONNECTS = 'docs/apps.md'
MECHANISM = re.compile(r'^(?:CRAM-MD5|PLAIN|LOGIN|XOAUTH2)\b')


def _connection_rows(text):
    """{first cell: [cells]} of the table under "## How the app connects" in docs/apps.md."""
    section = text.split('\n## How the app connects', 1)[1].split('\n## ', 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split(' | ')]
        if line.startswith('| ') and len(cells) == 7 and cells[0] not in ('app', '---|---'):
            rows[cells[0]] = cells
    return rows


def _row_of(app, rows):
    for name in rows:
        if name.lower().startswith(app) or PROFILES[app].label.startswith(name):
            return name
    return None


def connection_table_problems(root=ROOT):
    """What the "How the app connects" table of docs/apps.md says against each profile's ``connection``
    declaration (``_profiles/_connection.py``): a row per app and no other, the security modes, required or
    opportunistic STARTTLS, the CA key, the AUTH mechanisms in the app's order (where the row lists them)."""
    with open(os.path.join(root, CONNECTS), encoding='utf-8') as handle:
        rows = _connection_rows(handle.read())
    problems, matched = [], set()
    for app in APPS:
        name = _row_of(app, rows)
        if name is None:
            problems.append('%s: no row for %s' % (CONNECTS, app))
            continue
        matched.add(name)
        connection = PROFILES[app].connection
        if app == 'generic' or connection is None:
            continue   # as mapped: the generic reader is unknown
        _name, modes, starttls, trust, auth = rows[name][:5]
        items = [item.strip().lstrip('*').split()[0] for item in re.split(r'[,;]', modes) if item.strip()]
        for mode in ('none', 'starttls', 'tls'):
            declared = mode in connection.security
            said = mode in items and 'refused' not in modes.split(mode, 1)[1].split(',')[0].split(';')[0]
            if declared != said:
                problems.append('%s: %s row: security %s is %s in the declaration' % (
                    CONNECTS, name, mode, 'possible' if declared else 'not possible'))
        if (connection.starttls == 'opportunistic') != ('**opportunistic**' in starttls):
            problems.append('%s: %s row: STARTTLS is %s in the declaration' % (CONNECTS, name, connection.starttls))
        if connection.ca_key and '`%s`' % connection.ca_key not in trust:
            problems.append('%s: %s row: the CA key is %s in the declaration' % (CONNECTS, name, connection.ca_key))
        if not connection.ca_key and not re.search(r'\bnone\b|no CA key', trust):
            problems.append('%s: %s row: the declaration has no CA key' % (CONNECTS, name))
        if MECHANISM.match(auth):
            listed = [part.strip().replace('else ', '') for part in re.split(r'[;(]', auth)[0].split(',')]
            if tuple(listed) != connection.mechanisms:
                problems.append('%s: %s row: AUTH %s in the declaration' % (
                    CONNECTS, name, ', '.join(connection.mechanisms)))
    problems += ['%s: row %s is no app of the registry' % (CONNECTS, name) for name in sorted(set(rows) - matched)]
    return problems


def main(argv):
    if argv[1:] == ['generate']:
        for name in FILES:
            path = os.path.join(ROOT, name)
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
            new = render(text, name)
            if new != text:
                with open(path, 'w', encoding='utf-8') as handle:
                    handle.write(new)
                print('gen_app_lists: updated %s' % name)
        return 0
    if argv[1:] == ['check']:
        names = stale()
        problems = connection_table_problems()
        for problem in problems:
            print('gen_app_lists: %s' % problem, file=sys.stderr)
        if names:
            print('gen_app_lists: the app lists in these files differ from the app registry:', file=sys.stderr)
            for name in names:
                print('  %s' % name, file=sys.stderr)
            print("Run 'make docs' (scripts/docs.sh generate) and commit them.", file=sys.stderr)
            return 1
        if problems:
            print('gen_app_lists: fix the table or the connection declaration (one of them is wrong)', file=sys.stderr)
            return 1
        print('gen_app_lists: every app list matches the app registry')
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
