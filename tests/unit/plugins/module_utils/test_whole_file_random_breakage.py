# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 20 item 3: seeded random breakage of gitlab.rb and config.php, judged by the real apps' readers.

Each snippet is a real-shaped file (the test fixture, or a short one using heredocs, ``=begin``, ``%q()``,
``?>`` in a string, nested arrays) with one or two random injuries: a truncation, a stray quote, a stray
``end``/bracket, an opened block or bracket, a few deleted characters. The judge is the app's own reading
(``readers.gitlab``: Ruby evaluating the file as Omnibus does; ``readers.nextcloud``: PHP including it as
Nextcloud does). The module's verdict is its reading of the file (``read()`` of the profile: the store's model,
then ``ruby -c`` / ``php -l`` of this host).

What must hold for every snippet: where both read the file, they read the same SMTP values; no file the app
refuses for its SYNTAX is read by the module. What is left -- files that parse but fail when run (a ``NameError``,
a PHP file that never assigns ``$CONFIG``) -- is counted and printed (``-s``): only running the file finds those,
and the module does not run user configuration on a target (docs/security.md). The model alone (no syntax
check) is counted too: that is the gap ``ruby -c`` / ``php -l`` close.
"""

import os
import random
import shutil
import subprocess

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures')
SNIPPETS = 400
GITLAB_KEYS = ('smtp_enable', 'smtp_address', 'smtp_port', 'smtp_user_name', 'smtp_password', 'smtp_domain',
               'smtp_authentication', 'smtp_enable_starttls_auto', 'smtp_tls')
NEXTCLOUD_KEYS = ('mail_smtphost', 'mail_smtpport', 'mail_smtpsecure', 'mail_smtpauth', 'mail_smtpname',
                  'mail_smtppassword', 'mail_from_address', 'mail_domain', 'mail_smtpmode')
GITLAB_SHORT = ("external_url 'https://gitlab.example.com'\ngitlab_rails['smtp_enable'] = true\n"
                "gitlab_rails['smtp_address'] = \"smtp.example.com\"\ngitlab_rails['smtp_port'] = 587\n"
                "gitlab_rails['smtp_user_name'] = 'user@example.com'\ngitlab_rails['smtp_password'] = 'p\\'w'\n"
                "if ::ENV['X']\n  nginx['listen_port'] = 80\nend\nroles ['application_role']\n"
                "x = <<~EOS\n  text\nEOS\n=begin\ncomment\n=end\ngitlab_rails['smtp_domain'] = %q(example.com)\n")
NEXTCLOUD_SHORT = ("<?php\n// a comment\n$CONFIG = array (\n"
                   "  'instanceid' => 'oc1?>',\n  'mail_smtphost' => 'smtp.example.com',\n  'mail_smtpport' => 587,\n"
                   "  'mail_smtpname' => \"u@x\",\n  'mail_smtppassword' => 'p\\'w',\n  'mail_smtpauth' => true,\n"
                   "  # hash comment\n  /* block */\n"
                   "  'mail_smtpstreamoptions' => array ('ssl' => ['verify_peer' => false]),\n);\n")


class HostTools(object):
    """The AnsibleModule parts a profile's read() uses, running this host's real ruby and php."""

    params = {}
    check_mode = False

    @staticmethod
    def get_bin_path(name, opt_dirs=None, required=False):
        return shutil.which(name)

    @staticmethod
    def run_command(args):
        done = subprocess.run(args, capture_output=True, check=False, timeout=60)
        return done.returncode, done.stdout.decode('utf-8', 'replace'), done.stderr.decode('utf-8', 'replace')


def injure(text, rng):
    pos = rng.randrange(len(text) + 1)
    kind = rng.choice(('truncate', 'quote', 'close', 'open', 'delete'))
    if kind == 'truncate':
        return text[:pos]
    if kind == 'quote':
        return text[:pos] + rng.choice(("'", '"', '`')) + text[pos:]
    if kind == 'close':
        starts = [0] + [i + 1 for i, char in enumerate(text) if char == '\n']
        at = rng.choice(starts)
        return text[:at] + rng.choice(('end\n', '  end\n', 'end end\n', '}\n', ')\n', ']\n')) + text[at:]
    if kind == 'open':
        return text[:pos] + rng.choice(('(', '[', '{', 'do ', 'if true\n', '<<EOS\n', '=begin\n', '#{')) + text[pos:]
    return text[:pos] + text[pos + rng.randint(1, 5):]


def snippets(bases, seed):
    rng = random.Random(seed)
    out = []
    for _index in range(SNIPPETS):
        text = injure(rng.choice(bases), rng)
        if rng.random() < 0.3:
            text = injure(text, rng)
        out.append(text)
    return out


def plain(value):
    return ':' + value.name if hasattr(value, 'name') and not isinstance(value, str) else value


CASES = {
    'gitlab': (lambda: [open(os.path.join(FIXTURES, 'gitlab', 'gitlab.rb'), encoding='utf-8').read(), GITLAB_SHORT],
               2026, lambda texts: [v if isinstance(v, readers.Unreadable) else v['gitlab_rails']
                                    for v in readers.gitlab_many(texts)],
               ('gitlab_rails', GITLAB_KEYS), 'ruby'),
    'nextcloud': (lambda: [open(os.path.join(FIXTURES, 'nextcloud', 'config.php'), encoding='utf-8').read(),
                           NEXTCLOUD_SHORT],
                  2027, readers.nextcloud_many, ('CONFIG', NEXTCLOUD_KEYS), 'php'),
}


@pytest.mark.parametrize('app', sorted(CASES))
def test_random_breakage_the_app_refuses_for_its_syntax_is_never_read(app, tmp_path):
    bases, seed, app_read, (root, keys), interpreter = CASES[app]
    if shutil.which(interpreter) is None:
        pytest.fail('%s is needed (scripts/system-deps.sh installs it)' % interpreter)
    texts = snippets(bases(), seed)
    judged = app_read(texts)
    counts = dict(snippets=len(texts), app_refuses=0, model_reads_them=0, module_reads_them=0, runtime_only=0,
                  both_read=0)
    syntax_misses = []
    runtime = {}
    path = str(tmp_path / ('config.php' if app == 'nextcloud' else 'gitlab.rb'))
    for text, verdict in zip(texts, judged):
        profile = get_profile(app)(HostTools(), dict(app=app, path=path))
        try:
            store = profile.parse(text)
            model = {key: store.get((root, key)) for key in keys}
        except StoreError:
            model = None
        module = model
        if model is not None and profile.syntax_refusal(text):
            module = None
        if isinstance(verdict, readers.Unreadable):
            counts['app_refuses'] += 1
            counts['model_reads_them'] += model is not None
            if module is not None:
                counts['module_reads_them'] += 1
                if 'SyntaxError' in str(verdict) or 'ParseError' in str(verdict):
                    syntax_misses.append((text, str(verdict)))
                else:
                    counts['runtime_only'] += 1
                    runtime.setdefault(str(verdict).split(':', 1)[0] + (
                        ' (the model reads no setting)' if not any(v is not None for v in module.values()) else ''),
                        []).append(text)
        elif module is not None:
            counts['both_read'] += 1
            seen = {key: plain(verdict.get(key)) for key in keys}
            assert {key: plain(value) for key, value in module.items()} == seen, text
    print('\n%s: %s; runtime-only: %s' % (app, counts, {k: len(v) for k, v in runtime.items()}))
    for kind, texts in runtime.items():
        print('  e.g. %s: %r' % (kind, texts[0][-160:]))
    assert counts['app_refuses'] > SNIPPETS // 4 and counts['both_read'] > SNIPPETS // 20   # the draw breaks files
    assert counts['model_reads_them'] > counts['module_reads_them']   # the syntax check closes a real gap
    assert syntax_misses == [], syntax_misses[:3]
