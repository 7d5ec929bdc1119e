# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 20 items 1 and 4 through ansible-playbook: the module reads the file as the app reads ALL of it.

Each case is a file the app reads differently from its first part alone: text after Ruby's ``__END__``, code in a
block Ruby never runs, an unclosed heredoc, a syntax error only Ruby's or PHP's own parser sees (``ruby -c``,
``php -l``), a Nextcloud override after ``?>`` ... ``<?php``, Redmine ERB code,
Postfix routing that overrides ``relayhost``, nesting past the limit, a file past the size limit. Either the write
lands where the app reads it (the app's REAL reader reads the new values and ``outgoing_server_info`` says in
sync), or the run fails with a message naming the file, the line and the reason, and the file keeps its bytes,
inode, mtime and mode (``outgoing_server_info`` fails the same way, or reports the relay Postfix really uses as
drift: it never says "in sync" about settings the app does not read).
"""

import os
import subprocess
import time

import pytest
import readers
from outgoing_helpers import apply_then_info, parse_file_state
from smtp_sandbox import SmtpSandbox

BASE = dict(server='smtp.example.com', port=587, security='starttls', username='mailer@example.com',
            password='s3cret-pw!', test='none')
GITLAB_SET = "gitlab_rails['smtp_enable'] = true\ngitlab_rails['smtp_address'] = 'old.example'\n"
NEXTCLOUD = "<?php\n$CONFIG = array (\n  'mail_smtpmode' => 'smtp',\n  'mail_smtphost' => 'old.example',\n);\n"
REDMINE = ("production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n"
           "      address: old.example\n      port: 25\n")
with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'postfix', 'main.cf'), encoding='utf-8') as _handle:
    MAIN_CF = _handle.read().replace('relayhost = \n', 'relayhost = [smtp.example.com]:587\n')
DEEP = "<?php\n$CONFIG = array (\n  'deep' => " + "array(" * 450 + "1" + ")" * 450 + ",\n);\n"

# name -> (app, file name, text, None when the write is modelled / (line, reason) when refused)
CASES = {
    'gitlab-after-end': ('gitlab', 'gitlab.rb', GITLAB_SET + "__END__\ngitlab_rails['smtp_address'] = 'data'\n",
                         None),
    'gitlab-if-false': ('gitlab', 'gitlab.rb', "if false\ngitlab_rails['smtp_address'] = 'hidden.example'\nend\n",
                        (2, 'inside the `if` block opened at line 1')),
    'gitlab-unclosed-heredoc': ('gitlab', 'gitlab.rb', GITLAB_SET + "x = <<~EOS\n  never closed\n",
                                (3, 'the heredoc <<EOS is never closed')),
    'gitlab-exit': ('gitlab', 'gitlab.rb', "exit\n" + GITLAB_SET, (2, 'after the `exit` at line 1')),
    'nextcloud-override': ('nextcloud', 'config.php',
                           NEXTCLOUD + "?>\n<?php $CONFIG['mail_smtphost'] = 'override.example';\n",
                           (7, 'changed again after its array')),
    'gitlab-syntax-error': ('gitlab', 'gitlab.rb', GITLAB_SET + "nginx['listen_port'] = 80 443\n",
                            (3, 'ruby -c refuses the file (syntax error, unexpected integer literal')),
    'nextcloud-syntax-error': ('nextcloud', 'config.php', NEXTCLOUD + "$x = strtolower(;\n",
                               (6, 'php -l refuses the file (Parse error:')),
    'gitlab-begin-unclosed': ('gitlab', 'gitlab.rb', GITLAB_SET + "=begin\nnotes, never closed\n",
                              (3, '=begin has no =end')),
    'postfix-sender-dependent': ('postfix', 'main.cf',
                                 MAIN_CF + 'sender_dependent_relayhost_maps = hash:/etc/postfix/relay_by_sender\n',
                                 (MAIN_CF.count('\n') + 1, 'sender_dependent_relayhost_maps (line')),
    'mattermost-deep': ('mattermost', 'config.json', '{"EmailSettings": {"SMTPServer": "old.example"}, "x": '
                        + '[' * 2000 + ']' * 2000 + '}\n', (1, 'nested deeper than 500 levels')),
    'nextcloud-deep': ('nextcloud', 'config.php', DEEP, (3, 'nested deeper than 100 levels')),
    'postfix-default-transport': ('postfix', 'main.cf', MAIN_CF + 'default_transport = smtp:[old.example]:2525\n',
                                  (MAIN_CF.count('\n') + 1, 'default_transport = smtp:[old.example]:2525')),
    'postfix-transport-maps': ('postfix', 'main.cf', MAIN_CF + 'transport_maps = hash:/etc/postfix/transport\n',
                               (MAIN_CF.count('\n') + 1, 'transport_maps (line')),
    'postfix-control-characters': ('postfix', 'main.cf', MAIN_CF + 'default_transport = error:\x1bc\x9b31m gone\n',
                                   (MAIN_CF.count('\n') + 1, 'default_transport = error:\\x1bc\\x9b31m gone')),
    'grafana-too-big': ('grafana', 'grafana.ini', None, (None, 'larger than 16 MiB')),  # sparse: nothing written
    'redmine-erb-if': ('redmine', 'configuration.yml', "default:\n  x: 1\n<% if false %>\n" + REDMINE + "<% end %>\n",
                       (3, 'ERB code')),
}


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('whole-file')
    hosts, paths = {}, {}
    for name, (app, filename, text, _refusal) in CASES.items():
        path = str(tmp_path / ('%s-%s' % (name, filename)))
        if app == 'postfix':  # a configuration directory of its own: Postfix reads DIR/main.cf
            os.mkdir(str(tmp_path / name))
            path = str(tmp_path / name / filename)
            open(str(tmp_path / name / 'master.cf'), 'w').close()
        with open(path, 'w', encoding='utf-8') as handle:
            if text is None:
                handle.truncate(16 * 1024 * 1024 + 1)
            else:
                handle.write(text)
        os.chmod(path, 0o600)
        past = time.time() - 10  # Postfix naps until a just-written main.cf is a second old
        os.utime(path, (past, past))
        args = dict(BASE, app=app, path=path)
        if app == 'redmine':
            args['environment'] = 'production'
        paths[name] = path
        hosts[name] = dict(case_path=path, case_args=args)
    results, output = apply_then_info(tmp_path, hosts)
    return results, output, paths


@pytest.mark.parametrize('name', sorted(CASES))
def test_the_app_reads_what_was_written_or_the_file_is_refused_untouched(name, runs):
    results, output, paths = runs
    app, _filename, text, refusal = CASES[name]
    before, applied, after, info = results[name]
    before, after = parse_file_state(before), parse_file_state(after)
    assert 'Traceback' not in output and BASE['password'] not in output
    if refusal is None:
        assert applied.get('failed') is not True, applied.get('msg')
        assert applied['changed'] is True and info['in_sync'] is True, info
        with open(paths[name], encoding='utf-8') as handle:
            new = handle.read()
        seen = readers.gitlab(new)['gitlab_rails']
        assert (seen['smtp_address'], seen['smtp_password']) == ('smtp.example.com', BASE['password'])
        assert new.endswith("__END__\ngitlab_rails['smtp_address'] = 'data'\n")  # below __END__: untouched
        return
    line, reason = refusal
    refused = [applied]
    if name == 'postfix-default-transport':
        # modelled for reading: the relay Postfix uses is the transport's next hop, which is drift
        assert info.get('failed') is not True and info['in_sync'] is False, info
        assert 'old.example' in info['settings']['server'], info
    else:
        refused.append(info)
    for result in refused:
        assert result['failed'] is True, result
        assert paths[name] in result['msg'] and reason in result['msg'], result['msg']
        assert line is None or ('line %d' % line) in result['msg'], result['msg']
    assert 'in_sync' not in info or info['in_sync'] is not True
    for result in refused:  # text from the file reaches the terminal as escapes, never as raw controls
        assert not [char for char in result['msg'] if ord(char) < 0x20 or 0x7f <= ord(char) <= 0x9f], result['msg']
    assert (after['sha1'], after['inode'], after['mtime'], after['mode']) == \
        (before['sha1'], before['inode'], before['mtime'], before['mode'])


SHADOWED = 'Shadowed-Old-9'
SHADOW_CASES = {
    'grafana': ('grafana.ini', '[smtp]\nenabled = true\nhost = old.example:587\nuser = u\npassword = %s\n'
                'password = Live-Old-8\n' % SHADOWED, lambda text: readers.grafana(text)['smtp']['password']),
    'redmine': ('configuration.yml', 'production:\n  email_delivery:\n    delivery_method: :smtp\n'
                '    smtp_settings:\n      address: old.example\n      port: 587\n      user_name: u\n'
                '      password: %s\n      password: "Live-Old-8"\n' % SHADOWED,
                lambda text: readers.redmine(text)['email_delivery']['smtp_settings']['password']),
}


def test_a_shadowed_password_never_shows_in_the_diff_and_the_app_reads_the_new_one(tmp_path):
    """Two password lines (the app reads the last): through ``ansible-playbook --diff`` the one the app does not
    read is masked like the live one, in the diff and everywhere else, and the app reads the new password."""
    hosts, paths = {}, {}
    for app, (filename, text, _read) in SHADOW_CASES.items():
        paths[app] = str(tmp_path / ('shadow-%s' % filename))
        with open(paths[app], 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.chmod(paths[app], 0o600)
        args = dict(BASE, app=app, path=paths[app])
        if app == 'redmine':
            args['environment'] = 'production'
        hosts[app] = dict(case_path=paths[app], case_args=args)
    results, output = apply_then_info(tmp_path, hosts)
    assert 'Traceback' not in output
    for app, (_filename, _text, read) in SHADOW_CASES.items():
        _before, applied, _after, info = results[app]
        assert applied.get('failed') is not True and applied['changed'] is True, applied.get('msg')
        assert info['in_sync'] is True, info
        with open(paths[app], encoding='utf-8') as handle:
            assert read(handle.read()) == BASE['password']
        assert '********' in str(applied['diff'])
    for secret in (SHADOWED, 'Live-Old-8', BASE['password']):
        assert secret not in output, secret


def _postconf(directory, *names):
    """What Postfix itself reads from DIR/main.cf (``postconf -c DIR -h``)."""
    done = subprocess.run(['postconf', '-c', directory, '-h'] + list(names), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True, timeout=120)
    return done.stdout.decode('utf-8').split('\n')[:len(names)]


def test_a_postfix_value_of_100000_continuation_lines_is_edited_as_postconf_reads_it(tmp_path):
    """A ``mynetworks`` of 100,000 continuation lines (3 MB, under the 16 MiB limit): the parse is linear, so
    through ``ansible-playbook`` (the 600 s playbook timeout bounds it; speed is not asserted) the module tests the
    sandbox relay, writes ``relayhost`` and leaves the long value as it was; Postfix's own ``postconf`` reads both,
    ``outgoing_server_info`` says in sync, nothing but the password map is left beside main.cf."""
    directory = str(tmp_path / 'postfix')
    os.mkdir(directory)
    open(os.path.join(directory, 'master.cf'), 'w').close()
    path = os.path.join(directory, 'main.cf')
    nets = ''.join(' 10.%d.%d.0/24\n' % (index // 256, index % 256) for index in range(100000))
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(MAIN_CF.replace('relayhost = [smtp.example.com]:587\n', 'relayhost =\n')
                     + 'mynetworks = 127.0.0.0/8\n' + nets)
    os.chmod(path, 0o600)
    past = time.time() - 10  # Postfix naps until a just-written main.cf is a second old
    os.utime(path, (past, past))
    networks = _postconf(directory, 'mynetworks')[0]
    assert networks.count('/24') == 100000
    sandbox = SmtpSandbox(security='starttls', users={BASE['username']: BASE['password']})
    sandbox.start()
    try:
        args = dict(BASE, app='postfix', path=path, server='tls://localhost:%d' % sandbox.port,
                    ca_path=sandbox.ca_path, test='auth', timeout=5, deadline=10)
        del args['port'], args['security']  # both are in the server URL
        results, output = apply_then_info(tmp_path, {'long': dict(case_path=path, case_args=args)})
    finally:
        sandbox.stop()
    assert 'Traceback' not in output and BASE['password'] not in output
    _before, applied, _after, info = results['long']
    assert applied.get('failed') is not True and applied['changed'] is True, applied.get('msg')
    assert info.get('failed') is not True and info['in_sync'] is True, info
    past = time.time() - 10
    os.utime(path, (past, past))
    assert _postconf(directory, 'relayhost', 'mynetworks') == ['[localhost]:%d' % sandbox.port, networks]
    assert sorted(os.listdir(directory)) == ['main.cf', 'master.cf', 'sasl_passwd', 'sasl_passwd.db']
