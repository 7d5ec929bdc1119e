# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A password the app does not read (a second ``password =`` line in the section, a duplicate key) is a secret all
the same: masked in the diff and added to the secrets every output hides (issue 20 item 4), for every store."""

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._argspec import CONNECTION_ARGS
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

SHADOWED, LIVE, NEW = 'ShadowedOld1', 'LiveOne22', 'NewPass333'

CASES = {
    'grafana': ('ini', '[smtp]\nenabled = true\nhost = a:587\nuser = u\npassword = %s\npassword = %s\n'),
    'gitea': ('ini', '[mailer]\nENABLED = true\nSMTP_ADDR = a\nSMTP_PORT = 587\nUSER = u\nPASSWD = %s\n'
                     'PASSWD = `%s`\n'),
    'redmine': ('yml', 'production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
                       '      address: a\n      port: 587\n      user_name: u\n      password: %s\n'
                       '      password: "%s"\n      authentication: :login\n'),
    'dotenv': ('env', 'EMAIL_HOST=a\nEMAIL_HOST_PASSWORD=%s\nEMAIL_HOST_PASSWORD="%s"\n'),
    'msmtp': ('conf', 'account default\nhost a\nport 587\nauth on\nuser u\npassword %s\npassword %s\n'),
    'alertmanager': ('yml', 'global:\n  smtp_smarthost: a:587\n  smtp_auth_username: u\n'
                            '  smtp_auth_password: %s\n  smtp_auth_password: %s\n'),
    'mattermost': ('json', '{"EmailSettings": {"SMTPServer": "a", "SMTPPassword": "%s", "SMTPPassword": "%s"}}\n'),
    'synapse': ('yaml', 'email:\n  smtp_host: a\n  notif_from: a@b.example\n  smtp_pass: %s\n  smtp_pass: %s\n'),
    'gitlab': ('rb', "gitlab_rails['smtp_address'] = 'a'\ngitlab_rails['smtp_password'] = '%s'\n"
                     "gitlab_rails['smtp_password'] = \"%s\"\n"),
    'nextcloud': ('php', "<?php\n$CONFIG = array(\n  'mail_smtphost' => 'a',\n  'mail_smtppassword' => '%s',\n"
                         "  'mail_smtppassword' => '%s',\n);\n"),
    'discourse': ('yml', 'env:\n  DISCOURSE_SMTP_ADDRESS: a\n  DISCOURSE_SMTP_PASSWORD: %s\n'
                         '  DISCOURSE_SMTP_PASSWORD: %s\n'),
}


class Module:
    check_mode = False
    params = {}

    def selinux_enabled(self):
        return False


@pytest.mark.parametrize('app', sorted(CASES))
def test_a_shadowed_password_is_masked_in_the_diff_and_hidden_everywhere(tmp_path, app):
    ext, text = CASES[app]
    path = tmp_path / ('conf.' + ext)
    path.write_text(text % (SHADOWED, LIVE))
    params = dict(app=app, path=str(path), server='b.example.com:587', username='u', password=NEW, auth=True,
                  state='present', test='none', update_password='always', environment='production',
                  account='default', from_email='a@b.example')
    profile = get_profile(app)(Module(), params)
    snapshot = profile.read()
    assert LIVE in snapshot.secrets   # _outgoing adds them to no_log_values
    if app not in ('gitlab', 'mattermost', 'msmtp'):   # their masking covers every occurrence already
        assert SHADOWED in snapshot.secrets
    connection = {k: v.get('default') for k, v in CONNECTION_ARGS.items()}
    connection.update((k, v) for k, v in params.items() if k in CONNECTION_ARGS)
    plan = profile.plan(snapshot, settings_from_params(connection), 'present', 'always')
    diff = '%s\n%s' % (plan.before, plan.after)
    assert plan.changed
    for secret in (SHADOWED, LIVE, NEW):
        assert secret not in diff, (app, secret, diff)


def test_a_file_with_one_password_line_is_parsed_once(tmp_path):
    """The shadow search costs nothing when the key's name occurs once (no second parse)."""
    path = tmp_path / 'grafana.ini'
    path.write_text('[smtp]\nhost = a:587\nuser = u\npassword = %s\n' % LIVE)
    profile = get_profile('grafana')(Module(), dict(app='grafana', path=str(path)))
    calls = []
    parse = profile.parse
    profile.parse = lambda text: calls.append(1) or parse(text)
    assert profile.read().secrets == [LIVE]
    assert len(calls) == 1
