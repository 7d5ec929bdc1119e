# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the app profiles against a directory of real configuration files (``make corpus-check CORPUS=dir``).

The directory is laid out by application, like ../shared/corpus: ``grafana/``, ``gitea/``, ``nextcloud/``,
``mattermost/``, ``redmine/``, ``discourse/``, ``django/`` (dotenv, Django names, read back with python-dotenv),
``mastodon/`` (dotenv, Mastodon names, the ``ruby-dotenv`` dialect, read back with Ruby dotenv),
``alertmanager/``, ``gitlab/`` (``gitlab.rb*``, read back by Ruby evaluating it), ``synapse/``
(``homeserver.yaml*``), ``postfix/`` (``main.cf``, ``main.cf.debian``, ``main.cf.tls``: copied as ``main.cf`` into
a directory of its own, read back with ``postconf`` and ``postmap``; ``main.cf.dist`` is a template Postfix refuses
to run with, not a profile file), ``msmtp/`` (``msmtprc*``, account ``default``, read back with ``msmtp --pretend``
and the AUTH msmtp sends) and ``netbox/`` (``configuration*.py``, read back by CPython running the file; checked
once the ``netbox`` profile is in the registry, listed as "no profile here yet" before).
Every file is COPIED to a temporary directory; the originals are never written.

Stage 1, copies: no file of the repository may copy text from the corpus (``scripts/copy_check.py``): the
repository's fixtures are our own, in the shapes of these files.

Stage 2, profiles: for each profile file, through ``ansible-playbook`` and ``mailops.smtp.outgoing_server``
against an SMTP sandbox started here: check mode leaves the file identical; apply changes only the keys the profile
declares it writes (``AppProfile.owned()``) and the result parses under the application's rules with the new values,
and the application's own reader (tests/readers: go-ini, Go encoding/json, Psych + ERB, the Discourse launcher
model, Synapse's config code, php, Ruby, postconf/postmap, msmtp, python-dotenv, Ruby dotenv)
reads the new host, port, user and password;
a second run reports changed=false and leaves the file untouched; a failing SMTP test (wrong password) fails with
diagnosis auth_failed and leaves the file untouched; no password appears in the output.

Prints the copies found, then one table row per file; files that are not profile files are listed as "not a
profile file". Exit status 0 only when no copy was found and every profile file passed.
"""

import argparse
import copy
import fnmatch
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for extra in (os.path.join(ROOT, '.collections'), os.path.join(ROOT, 'tests'),
              os.path.join(ROOT, 'tests', 'integration')):
    sys.path.insert(0, extra)

from outgoing_helpers import (  # noqa: E402
    changed_lines,
    parse_file_state,
    parse_ini,
    parse_json,
    parse_php,
    parse_yaml,
    HOST_TRUST_ENV,
    private_ca,
    run_hosts,
)
from smtp_sandbox import SmtpSandbox  # noqa: E402
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile  # noqa: E402
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.postfix import PostfixProfile  # noqa: E402

USER = 'corpus-check@example.com'
PASSWORD = 'C0rpus #check;pw\'"'
FROM = 'noreply@example.com'

MASTODON_KEYS = {'host': 'SMTP_SERVER', 'port': 'SMTP_PORT', 'username': 'SMTP_LOGIN', 'password': 'SMTP_PASSWORD',
                 'from_email': 'SMTP_FROM_ADDRESS', 'use_tls': 'SMTP_ENABLE_STARTTLS_AUTO', 'use_ssl': 'SMTP_TLS'}
RUBY_BOOLEANS = {'true': 'true', 'false': 'false'}
POSTFIX_OWNED = PostfixProfile.owned_keys


def ini_values(section, names):
    def get(parsed):
        return {name: parsed.get((section, key)) for name, key in names.items()}
    return get


def path_values(names):
    def get(parsed):
        result = {}
        for name, path in names.items():
            node = parsed
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            result[name] = node
        return result
    return get


def expected_values(port, port_type=str):
    return dict(host='127.0.0.1', port=port_type(port), user=USER, password=PASSWORD)


# app directory -> list of (file pattern, profile spec)
PROFILES = {
    'grafana': [('*.ini', dict(
        app='grafana', parser='ini', params=dict(from_email=FROM),
        values=ini_values('smtp', dict(host='host', user='user', password='password', from_email='from_address')),
        expect=lambda port: dict(host='127.0.0.1:%d' % port, user=USER, password=PASSWORD, from_email=FROM),
        tokens=('enabled', 'host', 'user', 'password', 'skip_verify', 'from_address', 'from_name', 'startTLS')))],
    'gitea': [('*.ini', dict(
        app='gitea', parser='ini', params=dict(from_email=FROM),
        values=ini_values('mailer', dict(host='SMTP_ADDR', port='SMTP_PORT', user='USER', password='PASSWD',
                                         protocol='PROTOCOL', from_email='FROM')),
        expect=lambda port: dict(expected_values(port), protocol='smtp+starttls', from_email=FROM),
        tokens=('[mailer]', 'ENABLED', 'PROTOCOL', 'SMTP_ADDR', 'SMTP_PORT', 'USER', 'PASSWD', 'FORCE_TRUST', 'FROM',
                'HOST', 'IS_TLS_ENABLED', 'SKIP_VERIFY', 'MAILER_TYPE')))],
    'nextcloud': [('*.php', dict(
        app='nextcloud', parser='php', params=dict(from_email=FROM),
        values=path_values(dict(host=('mail_smtphost',), port=('mail_smtpport',), user=('mail_smtpname',),
                                password=('mail_smtppassword',), local=('mail_from_address',),
                                domain=('mail_domain',))),
        expect=lambda port: dict(expected_values(port, int), local='noreply', domain='example.com'),
        tokens=('mail_',)))],
    'mattermost': [('*.json', dict(
        app='mattermost', parser='json', params=dict(from_email=FROM),
        values=path_values(dict(host=('EmailSettings', 'SMTPServer'), port=('EmailSettings', 'SMTPPort'),
                                user=('EmailSettings', 'SMTPUsername'), password=('EmailSettings', 'SMTPPassword'),
                                from_email=('EmailSettings', 'FeedbackEmail'))),
        expect=lambda port: dict(expected_values(port), from_email=FROM),
        tokens=None))],
    'redmine': [('configuration.yml*', dict(
        app='redmine', parser='yaml', params={},
        values=path_values(dict(host=('default', 'email_delivery', 'smtp_settings', 'address'),
                                port=('default', 'email_delivery', 'smtp_settings', 'port'),
                                user=('default', 'email_delivery', 'smtp_settings', 'user_name'),
                                password=('default', 'email_delivery', 'smtp_settings', 'password'),
                                method=('default', 'email_delivery', 'delivery_method'))),
        expect=lambda port: dict(expected_values(port, int), method=':smtp'),
        tokens=('email_delivery', 'delivery_method', 'smtp_settings', 'address', 'port', 'authentication',
                'user_name', 'password', 'enable_starttls_auto', 'enable_starttls', 'ca_file')))],
    'discourse': [('*.yml', dict(
        app='discourse', parser='yaml', params=dict(from_email=FROM),
        values=path_values(dict(host=('env', 'DISCOURSE_SMTP_ADDRESS'), port=('env', 'DISCOURSE_SMTP_PORT'),
                                user=('env', 'DISCOURSE_SMTP_USER_NAME'), password=('env', 'DISCOURSE_SMTP_PASSWORD'),
                                from_email=('env', 'DISCOURSE_NOTIFICATION_EMAIL'))),
        expect=lambda port: dict(expected_values(port), from_email=FROM),
        tokens=('DISCOURSE_SMTP', 'DISCOURSE_NOTIFICATION')))],
    'django': [('.env*', dict(
        app='dotenv', parser='python_dotenv', params=dict(from_email=FROM),
        values=path_values(dict(host=('EMAIL_HOST',), port=('EMAIL_PORT',), user=('EMAIL_HOST_USER',),
                                password=('EMAIL_HOST_PASSWORD',), from_email=('DEFAULT_FROM_EMAIL',))),
        expect=lambda port: dict(expected_values(port), from_email=FROM),
        tokens=('EMAIL_', 'DEFAULT_FROM_EMAIL')))],
    'mastodon': [('.env*', dict(
        app='dotenv', parser='ruby_dotenv',
        params=dict(from_email=FROM, keys=MASTODON_KEYS, dialect='ruby-dotenv',
                    values=dict(use_tls=RUBY_BOOLEANS, use_ssl=RUBY_BOOLEANS)),
        values=path_values(dict(host=('SMTP_SERVER',), port=('SMTP_PORT',), user=('SMTP_LOGIN',),
                                password=('SMTP_PASSWORD',), from_email=('SMTP_FROM_ADDRESS',))),
        expect=lambda port: dict(expected_values(port), from_email=FROM),
        tokens=tuple(MASTODON_KEYS.values())))],
    'alertmanager': [('*.yml', dict(
        app='alertmanager', parser='yaml', params=dict(from_email=FROM),
        values=path_values(dict(host=('global', 'smtp_smarthost'), user=('global', 'smtp_auth_username'),
                                password=('global', 'smtp_auth_password'), from_email=('global', 'smtp_from'),
                                require_tls=('global', 'smtp_require_tls'))),
        expect=lambda port: dict(host='127.0.0.1:%d' % port, user=USER, password=PASSWORD, from_email=FROM,
                                 require_tls=True),
        tokens=('smtp_',)))],
    'gitlab': [('gitlab.rb*', dict(
        app='gitlab', parser='gitlab', params=dict(from_email=FROM),
        values=path_values(dict(host=('gitlab_rails', 'smtp_address'), port=('gitlab_rails', 'smtp_port'),
                                user=('gitlab_rails', 'smtp_user_name'), password=('gitlab_rails', 'smtp_password'),
                                from_email=('gitlab_rails', 'gitlab_email_from'))),
        expect=lambda port: dict(expected_values(port, int), from_email=FROM),
        tokens=("gitlab_rails['smtp_", "gitlab_rails['gitlab_email_")))],
    'synapse': [('homeserver.yaml*', dict(
        app='synapse', parser='yaml', params=dict(from_email=FROM),
        values=path_values(dict(host=('email', 'smtp_host'), port=('email', 'smtp_port'), user=('email', 'smtp_user'),
                                password=('email', 'smtp_pass'), from_email=('email', 'notif_from'))),
        expect=lambda port: dict(expected_values(port, int), from_email=FROM),
        tokens=('smtp_', 'require_transport_security', 'notif_from')))],
    'postfix': [(pattern, dict(
        app='postfix', parser='postfix', params=dict(from_email=FROM), own_dir='main.cf',
        values=lambda parsed: dict(host=parsed['main'].get('relayhost'), user=parsed['login'][0],
                                   password=parsed['login'][1], from_email=parsed['main'].get('sender_canonical_maps')),
        expect=lambda port: dict(host='[127.0.0.1]:%d' % port, user=USER, password=PASSWORD,
                                 from_email='static:' + FROM),
        tokens=POSTFIX_OWNED))
        for pattern in ('main.cf', 'main.cf.debian', 'main.cf.tls')],
    'msmtp': [('msmtprc*', dict(
        app='msmtp', parser='msmtp', params=dict(from_email=FROM),
        values=lambda parsed: dict(host=parsed['default']['host'], port=parsed['default']['port'],
                                   user=parsed['login']['user'], password=parsed['login']['password'],
                                   from_email=parsed['default']['from']),
        expect=lambda port: dict(expected_values(port), from_email=FROM),
        tokens=('host', 'port', 'tls', 'auth', 'user', 'password', 'from', 'account default')))],
    # NetBox's configuration.py EMAIL dict (its settings.py maps it onto Django's EMAIL_* settings). Checked once
    # the netbox profile is registered (see registered_apps); before that its files are listed, not failed.
    'netbox': [('configuration*.py', dict(
        app='netbox', parser='python', params=dict(from_email=FROM),
        values=path_values(dict(host=('EMAIL', 'SERVER'), port=('EMAIL', 'PORT'), user=('EMAIL', 'USERNAME'),
                                password=('EMAIL', 'PASSWORD'), from_email=('EMAIL', 'FROM_EMAIL'))),
        expect=lambda port: dict(expected_values(port, int), from_email=FROM),
        tokens=None))],
}


def app_reads(app, text):
    """``{host, port, user, password}`` as the application itself reads the edited file (tests/readers), for the
    apps whose own reader runs here and whose ``parse`` above is a plain format parser; None for the others
    (their ``parse`` already is the app's reading: php, Ruby, postconf/postmap, msmtp, the dotenv libraries)."""
    import readers
    if app == 'grafana':
        smtp = readers.grafana(text)['smtp']
        host, _sep, port = smtp['host'].rpartition(':')
        return dict(host=host, port=port, user=smtp['user'], password=smtp['password'])
    if app == 'gitea':
        mailer = readers.gitea(text)['mailer']
        return dict(host=mailer['SMTP_ADDR'], port=mailer['SMTP_PORT'], user=mailer['USER'], password=mailer['PASSWD'])
    if app == 'mattermost':
        email = readers.mattermost(text)['EmailSettings']
        return dict(host=email['SMTPServer'], port=email['SMTPPort'], user=email['SMTPUsername'],
                    password=email['SMTPPassword'])
    if app == 'redmine':
        smtp = readers.redmine(text)['email_delivery']['smtp_settings']
        return dict(host=smtp['address'], port=str(smtp['port']), user=smtp['user_name'], password=smtp['password'])
    if app == 'discourse':
        env = readers.discourse(text)
        return dict(host=env['DISCOURSE_SMTP_ADDRESS'], port=env['DISCOURSE_SMTP_PORT'],
                    user=env['DISCOURSE_SMTP_USER_NAME'], password=env['DISCOURSE_SMTP_PASSWORD'])
    if app == 'synapse':
        email = readers.synapse(text)
        return dict(host=email['smtp_host'], port=str(email['smtp_port']), user=email['smtp_user'],
                    password=email['smtp_pass'])
    return None


def parse(kind, path):
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if kind == 'ini':
        return parse_ini(text)
    if kind == 'json':
        return parse_json(text)
    if kind == 'yaml':
        return parse_yaml(text)
    if kind == 'python_dotenv':
        import readers  # python-dotenv, what Django settings read with it see
        return readers.python_dotenv(text)
    if kind == 'ruby_dotenv':
        import readers  # Ruby dotenv, what Mastodon reads
        return readers.ruby_dotenv(text)
    if kind == 'python':
        return parse_python_module(path)
    if kind == 'gitlab':
        import readers  # real Ruby evaluating gitlab.rb as Omnibus does
        return readers.gitlab(text)
    if kind == 'postfix':
        return parse_postfix(path, text)
    if kind == 'msmtp':
        return parse_msmtp(text)
    return parse_php(path)


def parse_python_module(path):
    """CPython running the file in a process of its own (NetBox imports configuration.py): its top-level names."""
    import json
    import subprocess
    program = ('import json, runpy, sys; names = runpy.run_path(sys.argv[1]); '
               'print(json.dumps({k: v for k, v in names.items() if not k.startswith("_")}, default=repr))')
    done = subprocess.run([sys.executable, '-I', '-c', program, path], capture_output=True, check=False,
                          cwd=os.path.dirname(path), env={'PATH': os.environ.get('PATH', '')})
    if done.returncode != 0:
        raise ValueError(done.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:])
    return json.loads(done.stdout)


def registered_apps():
    """The ``app`` values this checkout's registry knows (a profile that has not landed is not checked)."""
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles import _registry
    return set(getattr(_registry, 'APPS', ())) | set(getattr(_registry, 'PROFILES', {}))


def parse_postfix(path, text):
    """Postfix's reading: postconf -nx of main.cf and the credentials postmap -q finds for its relayhost."""
    import readers
    main = readers.postfix(text)
    login = (None, None)
    maps = main.get('smtp_sasl_password_maps')
    if maps and main.get('relayhost'):
        entries = readers.postfix_map(maps, os.path.dirname(path))
        credentials = entries.get(main['relayhost'].lower())
        if credentials:
            login = tuple(credentials.split(':', 1))
    return dict(main=main, login=login)


def parse_msmtp(text):
    """msmtp's reading of every account (--pretend), and the user and password it sends for ``default``."""
    import re

    import readers
    env = readers.msmtp_passwordeval_stub_env()
    parsed = {}
    for account in re.findall(r'^[ \t]*account[ \t]+([^ \t:\r\n]+)', text, re.M) or ['default']:
        parsed[account] = readers.msmtp(text, account, env=env)
    parsed['login'] = readers.msmtp_login_many([text], 'default')[0]
    return parsed


def owned_of(spec, path):
    """``(container, keys)`` the profile declares it writes (``AppProfile.owned()``: the profile is the one place
    for them); the msmtp parse adds the ``login`` msmtp sends for that account."""
    container, keys = get_profile(spec['app'])(None, dict(spec['params'], path=path)).owned()
    return container, tuple(keys) + (('login',) if spec['parser'] == 'msmtp' else ())


def without_owned(kind, parsed, owned):
    """``parsed`` minus the keys the profile owns (what must stay identical)."""
    container, keys = owned
    if kind == 'postfix':
        return {k: v for k, v in parsed['main'].items() if k not in keys}
    if kind == 'msmtp':
        return {k: v for k, v in parsed.items() if k not in keys}
    if kind == 'ini':
        return {k: v for k, v in parsed.items() if not (k[0] == container and k[1] in keys)}
    data = copy.deepcopy(parsed)
    if container is not None and isinstance(data, dict) and data.get(container) is None:
        data[container] = {}  # a null mapping (Synapse's sample ``email:``) is an empty one
    node = data if container is None else (data or {}).get(container)
    if isinstance(node, dict):
        for key in keys:
            node.pop(key, None)
    return data


def discover(corpus):
    """[(relative path, spec or None)] for every file under ``corpus``."""
    found = []
    for dirpath, _dirs, files in os.walk(corpus):
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, corpus)
            app_dir = rel.split(os.sep)[0] if os.sep in rel else None
            spec = None
            for pattern, candidate in PROFILES.get(app_dir, []):
                if fnmatch.fnmatch(name, pattern):
                    spec = candidate
                    break
            found.append((rel, spec))
    return sorted(found)


def check_file(rel, spec, info, port):
    """Return a list of problems (empty when the file passed)."""
    problems = []
    check, after_check, applied, again, failed, after_all = info['results']
    original = info['original']
    after_check, after_all = parse_file_state(after_check), parse_file_state(after_all)
    if check.get('failed') or not check.get('changed'):
        problems.append('check mode: %s' % (check.get('msg') or 'no change predicted'))
    if after_check is None or after_check['sha1'] != original['sha1']:
        problems.append('check mode changed the file')
    if applied.get('failed') or not applied.get('changed'):
        problems.append('apply: %s' % (applied.get('msg') or 'nothing changed'))
        return problems
    try:
        before = parse(spec['parser'], info['original_path'])
        after = parse(spec['parser'], info['path'])
    except Exception as exc:  # the app's parser refused the result
        problems.append('result does not parse as %s: %s' % (spec['parser'], exc))
        return problems
    values = spec['values'](after)
    expected = spec['expect'](port)
    for name, want in expected.items():
        have = values.get(name)
        if name == 'from_email' and isinstance(have, str) and have.endswith('<%s>' % want):
            have = want
        if have != want:
            shown_have = have if name != 'password' else '(another value)'
            shown_want = want if name != 'password' else '(the password)'
            problems.append('%s is %r, expected %r' % (name, shown_have, shown_want))
    with open(info['path'], encoding='utf-8') as handle:
        try:
            seen = app_reads(spec['app'], handle.read())
        except Exception as exc:  # the application's own reader refused the result
            problems.append('%s cannot read the result: %s' % (spec['app'], exc))
            seen = None
    if seen is not None and seen != dict(host='127.0.0.1', port=str(port), user=USER, password=PASSWORD):
        problems.append('%s reads another host, port, user or password' % spec['app'])
    owned = owned_of(spec, info['path'])
    if without_owned(spec['parser'], before, owned) != without_owned(spec['parser'], after, owned):
        problems.append('keys the profile does not own changed')
    if spec['tokens'] is not None:
        with open(info['path'], encoding='utf-8') as handle:
            new_text = handle.read()
        removed, added = changed_lines(original['text'], new_text)
        stray = [line for line in removed + added if not any(token in line for token in spec['tokens'])]
        if stray:
            problems.append('unrelated lines changed: %r' % stray[:3])
    if again.get('failed') or again.get('changed'):
        problems.append('second run: %s' % (again.get('msg') or 'changed=true'))
    if not failed.get('failed') or (failed.get('diagnosis') or {}).get('category') != 'auth_failed':
        problems.append('failing test: %s' % (failed.get('msg') or 'did not fail with auth_failed'))
    if after_all is None or info['after_apply_sha1'] != after_all['sha1']:
        problems.append('the second run or the failing test touched the file')
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('corpus', help='directory of real config files laid out by app (like shared/corpus)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary copies and print where they are')
    args = parser.parse_args(argv)
    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        parser.error('%s is not a directory' % corpus)
    import copy_check  # scripts/ is on sys.path: this file's own directory
    copies = copy_check.find_copies(corpus, ROOT)
    for name, rel, run, shared, total in copies:
        print('COPY %s copies %s: a run of %d lines, %d of its %d significant lines' % (name, rel, run, shared, total))
    print('%d file(s) of the repository copy text from the corpus\n' % len(copies))
    registered = registered_apps()
    files = [(rel, spec if spec is None or spec['app'] in registered else dict(spec, waiting=True))
             for rel, spec in discover(corpus)]
    work = tempfile.mkdtemp(prefix='corpus-check-')
    import pathlib
    work_path = pathlib.Path(work)

    sandbox = SmtpSandbox(security='starttls', users={USER: PASSWORD})
    sandbox.start()
    try:
        hosts, infos = {}, {}
        for index, (rel, spec) in enumerate(files):
            if spec is None or spec.get('waiting'):
                continue
            name = 'file%02d' % index
            source = os.path.join(corpus, rel)
            path = os.path.join(work, '%s-%s' % (name, os.path.basename(rel).lstrip('.') or 'file'))
            if spec.get('own_dir'):  # Postfix reads main.cf by that name from its configuration directory
                os.mkdir(os.path.join(work, name))
                path = os.path.join(work, name, spec['own_dir'])
            with open(source, 'rb') as src, open(path, 'wb') as dst:
                data = src.read()
                dst.write(data)
            os.chmod(path, 0o640)
            import hashlib
            infos[rel] = dict(name=name, path=path, original_path=source,
                              original=dict(sha1=hashlib.sha1(data).hexdigest(),
                                            text=data.decode('utf-8', 'replace')))
            ca_args, trust = private_ca(spec['app'], sandbox)   # ca_path where stored, else SSL_CERT_FILE
            task_args = dict(app=spec['app'], path=path, server=sandbox.server, username=USER,
                             password='{{ smtp_password }}', test='auth', timeout=5, deadline=10, **ca_args)
            task_args.update(spec['params'])
            hosts[name] = dict(case_path=path, case_args=task_args,
                               case_bad_args=dict(task_args, password='{{ wrong_password }}'), **trust)
        output = ''
        if hosts:
            results, output = run_hosts(work_path, hosts, [
                {'mailops.smtp.outgoing_server': '{{ case_args }}', 'check_mode': True, 'diff': True},
                {'file_state': True},
                {'mailops.smtp.outgoing_server': '{{ case_args }}', 'diff': True},
                {'mailops.smtp.outgoing_server': '{{ case_args }}'},
                {'mailops.smtp.outgoing_server': '{{ case_bad_args }}'},
                {'file_state': True},
            ], extra_vars={'smtp_password': PASSWORD, 'wrong_password': 'not the password'},
                environment=HOST_TRUST_ENV)
            for info in infos.values():
                info['results'] = results[info['name']]
                # after the apply, the file must equal what the second run and the failing test left
                applied_state = info['results'][2]
                import hashlib
                with open(info['path'], 'rb') as handle:
                    info['after_apply_sha1'] = hashlib.sha1(handle.read()).hexdigest()
                info['applied'] = applied_state
    finally:
        sandbox.stop()

    failures = 0
    rows = []
    for rel, spec in files:
        if spec is None:
            rows.append((rel, '-', 'not a profile file', ''))
            continue
        if spec.get('waiting'):
            rows.append((rel, spec['app'], 'no profile here yet', 'the %s profile is not in the registry'
                         % spec['app']))
            continue
        problems = check_file(rel, spec, infos[rel], sandbox.port)
        if PASSWORD in output or PASSWORD in repr(infos[rel]['results']):
            problems.append('the password appears in the output')
        if problems:
            failures += 1
        rows.append((rel, spec['app'], 'FAIL' if problems else 'ok', '; '.join(problems)))
    width = max(len(row[0]) for row in rows) if rows else 10
    print('%-*s  %-12s  %-19s  %s' % (width, 'file', 'profile', 'result', 'notes'))
    print('%s  %s  %s  %s' % ('-' * width, '-' * 12, '-' * 19, '-' * 5))
    for rel, app, result, notes in rows:
        print('%-*s  %-12s  %-19s  %s' % (width, rel, app, result, notes))
    waiting = sum(1 for row in rows if row[2] == 'no profile here yet')
    checked = sum(1 for row in rows if row[1] != '-') - waiting
    print('\n%d profile file(s) checked, %d failed, %d not a profile file, %d waiting for their profile; '
          '%d repository file(s) copy the corpus' % (checked, failures, len(rows) - checked - waiting, waiting,
                                                     len(copies)))
    if args.keep:
        print('copies kept in %s' % work)
    else:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or copies or not checked else 0


if __name__ == '__main__':
    sys.exit(main())
