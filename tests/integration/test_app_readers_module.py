# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 10 through the real modules (ansible-playbook): what the app reads is what was tested.

For dotenv dialects, Redmine, Discourse, Grafana, GitLab, Synapse and NetBox: a value the app's reader cannot be
given is refused and the file keeps its bytes, inode and mtime; an accepted value is read back exactly by the app's
REAL reader (tests/readers); and over a hand-edited line, ``outgoing_server_info`` reports what the app reads (drift for
``p#ss``, in sync for what the app really sees).
"""

import os

import pytest
import readers
from outgoing_helpers import apply_then_info, fixture_copy, parse_file_state, run_hosts

PASSWORD_KEYS = {'dotenv': 'EMAIL_HOST_PASSWORD', 'discourse': 'DISCOURSE_SMTP_PASSWORD'}
BASE = dict(server='smtp.example.com', port=587, security='starttls', username='mailer@example.com', test='none')

# name -> (app, fixture, extra module args, password, refused option or None, reader(text) -> password)
WRITES = {
    'python-dotenv-refuses-interpolation': ('dotenv', '.env', {}, 'a${HOME}b', 'password', None),
    'systemd-refuses-dollar': ('dotenv', '.env', {'dialect': 'systemd'}, 'pa$$word', 'password', None),
    'discourse-refuses-backslash': ('discourse', 'app.yml', {}, 'pa\\ss', 'password', None),
    'grafana-refuses-file-expansion': ('grafana', 'grafana.ini', {}, 'x$__file{/etc/passwd}', 'password', None),
    'ruby-dotenv-writes-exactly': ('dotenv', '.env', {'dialect': 'ruby-dotenv'}, 'p#ss \'"\\ $HOME `x`', None,
                                   lambda text: readers.ruby_dotenv(text)['EMAIL_HOST_PASSWORD']),
    'django-environ-writes-exactly': ('dotenv', '.env', {'dialect': 'django-environ'}, '"quoted" #; \\n', None,
                                      lambda text: readers.django_environ(text)['EMAIL_HOST_PASSWORD']),
    'compose-writes-exactly': ('dotenv', '.env', {'dialect': 'docker-compose'}, "it's $HOME \\\"x\"", None,
                               lambda text: readers.docker_compose(text)['EMAIL_HOST_PASSWORD']),
    'redmine-writes-erb-escaped': ('redmine', 'configuration-production.yml', {'environment': 'production'},
                                   "<%= `id` %> :login", None,
                                   lambda text: readers.redmine(text)['email_delivery']['smtp_settings']['password']),
    'discourse-writes-exactly': ('discourse', 'app.yml', {}, ' #lead $HOME "q\'', None,
                                 lambda text: readers.discourse(text)['DISCOURSE_SMTP_PASSWORD']),
    'gitlab-writes-exactly': ('gitlab', 'gitlab.rb', {}, 'p\'a"s #{`id`} #@x \\q \u00e9', None,
                              lambda text: readers.gitlab(text)['gitlab_rails']['smtp_password']),
    'netbox-writes-exactly': ('netbox', 'configuration.py', {}, 'p\'a"s \\q \u00e9 #x', None,
                              lambda text: readers.netbox(text)['EMAIL_HOST_PASSWORD']),
    'synapse-writes-exactly': ('synapse', 'homeserver-configured.yaml', {}, "100% 'q' \"x\" %(app)s: #y", None,
                               lambda text: readers.synapse(text)['smtp_pass']),
}


@pytest.fixture(scope='module')
def writes(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('app-readers')
    hosts, paths = {}, {}
    for name, (app, fixture, extra, password, _refused, _reader) in WRITES.items():
        path = fixture_copy(tmp_path, app, fixture, prefix=name)
        paths[name] = path
        args = dict(BASE, app=app, path=path, password=password, **extra)
        hosts[name] = dict(case_path=path, case_args=args)
    results, output = apply_then_info(tmp_path, hosts)
    return results, output, paths


@pytest.mark.parametrize('name', sorted(WRITES))
def test_refused_or_read_back_exactly_by_the_real_reader(name, writes):
    results, output, paths = writes
    _app, _fixture, _extra, password, refused, reader = WRITES[name]
    before, applied, after, info = results[name]
    before, after = parse_file_state(before), parse_file_state(after)
    if refused:
        assert applied['failed'] is True
        assert applied['msg'].startswith('%s: cannot be stored in' % refused), applied['msg']
        assert 'nothing was changed' in applied['msg']
        assert (after['sha1'], after['inode'], after['mtime']) == (before['sha1'], before['inode'], before['mtime'])
    else:
        assert applied.get('failed') is not True, applied.get('msg')
        assert applied['changed'] is True
        with open(paths[name], encoding='utf-8') as handle:
            assert reader(handle.read()) == password
        assert info['in_sync'] is True, info.get('drift')
    assert password not in output


# name -> (app, fixture, extra args, hand-written line replacing the password line, what the app reads)
# name -> (app, fixture, extra args, hand-written line, what it looks like, what the app reads)
HAND = {
    'ruby-dotenv-cuts-at-hash': ('dotenv', '.env', {'dialect': 'ruby-dotenv'}, 'EMAIL_HOST_PASSWORD=secret4#ever',
                                 'secret4#ever', 'secret4'),
    'python-dotenv-single-quote-escape': ('dotenv', '.env', {}, "EMAIL_HOST_PASSWORD='it\\'s-s3cret'",
                                          "it\\'s-s3cret", "it's-s3cret"),
    'django-environ-keeps-the-comment': ('dotenv', '.env', {'dialect': 'django-environ'},
                                         'EMAIL_HOST_PASSWORD=s3cret-pw # old', 's3cret-pw', 's3cret-pw # old'),
    'discourse-launcher-drops-backslash': ('discourse', 'app.yml', {},
                                           '  DISCOURSE_SMTP_PASSWORD: "a\\\\b-s3cret"', 'a\\b-s3cret', 'ab-s3cret'),
}


def _hand_text(app, fixture, line):
    with open(os.path.join(os.path.dirname(__file__), 'fixtures', app, fixture), encoding='utf-8') as handle:
        lines = handle.read().split('\n')
    key = line.strip().split('=')[0].split(':')[0]
    index = next(i for i, text in enumerate(lines) if text.strip().startswith((key + '=', key + ':')))
    lines[index] = line
    if app == 'dotenv':  # the Django sample has no server yet: without one nothing counts as configured
        lines[lines.index('EMAIL_HOST=')] = 'EMAIL_HOST=smtp.example.com'
        lines[lines.index('EMAIL_HOST_USER=')] = 'EMAIL_HOST_USER=mailer@example.com'
    return '\n'.join(lines)


@pytest.fixture(scope='module')
def hand(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('hand-edited')
    hosts, texts = {}, {}
    for name, (app, fixture, extra, line, looks, seen) in HAND.items():
        text = _hand_text(app, fixture, line)
        texts[name] = text
        path = str(tmp_path / ('%s-%s' % (name, fixture.lstrip('.'))))
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(text)
        common = dict(BASE, app=app, path=path, **extra)
        hosts[name] = dict(case_literal=dict(common, password=looks), case_seen=dict(common, password=seen))
    results, output = run_hosts(tmp_path, hosts, [
        {'mailops.smtp.outgoing_server_info': '{{ case_literal }}'},
        {'mailops.smtp.outgoing_server_info': '{{ case_seen }}'},
    ])
    return results, texts


@pytest.mark.parametrize('name', sorted(HAND))
def test_info_reports_what_the_app_reads_from_a_hand_edited_line(name, hand):
    results, texts = hand
    app, _fixture, extra, _line, _looks, seen = HAND[name]
    reader = {'discourse': lambda text: readers.discourse(text)['DISCOURSE_SMTP_PASSWORD']}.get(
        app, lambda text: readers.DOTENV_READERS[extra.get('dialect', 'python-dotenv')]([text])[0][
            'EMAIL_HOST_PASSWORD'])
    assert reader(texts[name]) == seen  # the real reader agrees with the case's claim
    literal, as_seen = results[name]
    assert as_seen.get('failed') is not True, as_seen.get('msg')
    assert literal.get('failed') is not True, literal.get('msg')
    # (the fixtures' other settings differ from the desired ones: only the password matters here)
    assert 'password' not in [item['setting'] for item in as_seen['drift']], as_seen['drift']
    assert 'password' in [item['setting'] for item in literal['drift']], literal['drift']
