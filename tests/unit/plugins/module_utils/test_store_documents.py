# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole documents: a UTF-8 BOM neither hides the first section/key nor gets lost, CRLF stays, and a YAML file
broken ANYWHERE is refused before any write. Proven with the apps' own readers (go-ini, python-dotenv, Ruby dotenv,
Ruby Psych) and PyYAML."""

import glob
import json
import os
import shutil
import subprocess

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import readers
from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.env import EnvStore
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore
from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import YamlStore, _split_key

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
BOM = '\ufeff'


# --------------------------------------------------------------------------- BOM and CRLF

def test_a_bom_does_not_hide_the_grafana_smtp_section_and_stays():
    text = BOM + '[smtp]\r\nenabled = true\r\nhost = old.example.com:587\r\n'
    store = IniStore.parse(text)
    assert store.get(('smtp', 'host')) == 'old.example.com:587'
    store.set(('smtp', 'host'), 'new.example.com:587')
    after = store.render()
    assert after == BOM + '[smtp]\r\nenabled = true\r\nhost = new.example.com:587\r\n'
    assert after.count('[smtp]') == 1
    assert readers.grafana(after)['smtp']['host'] == 'new.example.com:587'


def test_a_bom_does_not_hide_the_first_dotenv_key_and_stays():
    text = BOM + 'EMAIL_HOST=old.example.com\r\nDEBUG=0\r\n'
    store = EnvStore.parse(text)
    assert store.get(('EMAIL_HOST',)) == 'old.example.com'
    store.set(('EMAIL_HOST',), 'new.example.com')
    after = store.render()
    assert after == BOM + 'EMAIL_HOST=new.example.com\r\nDEBUG=0\r\n'
    assert readers.python_dotenv(after)['EMAIL_HOST'] == 'new.example.com'
    assert readers.ruby_dotenv(after)['EMAIL_HOST'] == 'new.example.com'


def test_a_bom_does_not_hide_the_first_yaml_key_and_stays():
    text = BOM + 'env:\r\n  DISCOURSE_SMTP_ADDRESS: old.example.com\r\n'
    store = YamlStore.parse(text)
    assert store.get(('env', 'DISCOURSE_SMTP_ADDRESS')) == 'old.example.com'
    store.set(('env', 'DISCOURSE_SMTP_ADDRESS'), 'new.example.com')
    after = store.render()
    assert after == BOM + 'env:\r\n  DISCOURSE_SMTP_ADDRESS: new.example.com\r\n'
    assert readers.discourse_yaml(after)['DISCOURSE_SMTP_ADDRESS'] == 'new.example.com'


def test_a_file_that_is_only_a_bom_gets_its_section_after_it():
    store = IniStore.parse(BOM)
    store.set(('smtp', 'host'), 'a.example.com:25')
    after = store.render()
    assert after.startswith(BOM + '[smtp]') and after.count(BOM) == 1


# --------------------------------------------------------------------------- YAML: the whole document

BROKEN = [
    'production:\n  email_delivery:\n    delivery_method: :smtp\n  bad: [1, 2\n',
    'production:\n  email_delivery:\n    smtp_settings:\n      address: a\n   port: 25\n',
    'env:\n  A: b\n   C: d\n',
    'env:\n  A: b\n other: x\n',
    "env:\n  A: 'unterminated\n",
    'env:\n  A: "unterminated\n',
    'env:\n  A: b: c\n',
    'env:\n  A: b\njust text\n',
    'env:\n  A: b\n  - item\n',
    'list:\n  - a\n  b: c\n',
    'env:\n  A: @reserved\n',
    'env:\n  A: b\n  B: {x: 1\n',
    "env:\n  A: 'x' y\n",
    'env:\n  A: b\n    c: d\n',
    'x:\n\t- a\n',
    'env:\n  A: b\n\n  - c\n',
    'a:\n  b: 1\n c: 2\n',
    'templates:\n  - "a.yml"\nenv:\n  X: 1\nrun:\n  - exec: "echo hi\n',
]

VALID = [
    'env:\n  A: plain\n    continued\n',
    'a:\n- 1\n- 2\nb: 3\n',
    'a: |\n  text: with colon\n   - dash\nb: 2\n',
    'a: >-\n  folded\n\nb: 2\n',
    "a: 'multi\n  line'\nb: 2\n",
    'a: "multi \\\n  line"\nb: 2\n',
    'a: [1,\n  2]\nb: {x: 1,\n  y: 2}\n',
    'a: &x\n  b: 1\nc: *x\n',
    'a: !!str 1\n',
    'a:\n  - name: x\n    run: |\n      echo hi\n  - name: y\n',
    'a: http://x:80/y\n',
    'a: b # c: d\n',
    '\'quoted key\': 1\n"k": 2\n',
    'templates:\n  - "templates/postgres.template.yml"\nexpose:\n  - "80:80"   # http\n',
    '# only a comment\n',
    '',
    'a:\n  -\n    b: 1\n',
    'b:\n  text on its own line\n  and more\n',
    '---\na: 1\n...\n',
]

PSYCH_SYNTAX = ("require 'json'; require 'yaml'; out = JSON.parse($stdin.read).map do |t| "
                "begin; Psych.parse(t); true; rescue Psych::SyntaxError; false; end; end; "
                "$stdout.write(JSON.generate(out))")


def psych_accepts(texts):
    """Ruby Psych (what Redmine and the Discourse launcher read YAML with): does each text parse?"""
    ruby = shutil.which('ruby')
    if ruby is None:
        raise readers.ReaderMissing('ruby is not installed: run scripts/system-deps.sh')
    done = subprocess.run([ruby, '-e', PSYCH_SYNTAX], input=json.dumps(texts).encode('utf-8'),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=True)
    return json.loads(done.stdout)


def pyyaml_accepts(text):
    try:
        for _event in yaml.parse(text):
            pass
    except yaml.YAMLError:
        return False
    return True


def ours_accepts(text):
    try:
        YamlStore.parse(text)
    except StoreError:
        return False
    return True


def test_yaml_broken_anywhere_is_refused_like_psych_and_pyyaml_refuse_it():
    assert psych_accepts(BROKEN) == [False] * len(BROKEN)
    assert [pyyaml_accepts(t) for t in BROKEN] == [False] * len(BROKEN)
    for text in BROKEN:
        with pytest.raises(StoreError, match=r'^YAML line [0-9]+: '):
            YamlStore.parse(text)


def test_valid_yaml_shapes_outside_the_edited_block_are_accepted_like_psych_accepts_them():
    assert psych_accepts(VALID) == [True] * len(VALID)
    assert [ours_accepts(t) for t in VALID] == [True] * len(VALID)


def test_every_real_yaml_file_we_ship_or_study_is_accepted():
    files = set()
    for top in (os.path.join(ROOT, '..', 'shared', 'corpus'), os.path.join(ROOT, 'tests'),
                os.path.join(ROOT, 'roles'), os.path.join(ROOT, 'extensions')):
        for pattern in ('*.yml', '*.yaml', '*.yml.example', '*.yaml.example'):
            files.update(path for path in glob.glob(os.path.join(top, '**', pattern), recursive=True)
                         if os.sep + 'output' + os.sep not in path)
    files = sorted(files)
    assert len(files) > 25
    texts = []
    for path in files:
        with open(path, encoding='utf-8') as handle:
            texts.append(handle.read())
    refused = [path for path, text in zip(files, texts) if not ours_accepts(text)]
    assert refused == []


def test_a_broken_line_far_from_the_edited_key_stops_the_edit():
    text = ('production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
            '      address: old.example.com\n\nother:\n  setting: [unclosed\n')
    with pytest.raises(StoreError, match='YAML line 8: unterminated flow collection'):
        YamlStore.parse(text)


FRAGMENTS = ['a: 1', 'b:', '- x', '- y: 2', "c: 'q'", 'd: "e"', 'e: [1, 2]', 'f: {g: 1}', 'h: |', 'text',
             'i: j: k', '# c', '', "k: 'open", 'l: [open', 'm: &a', 'n: *a', 'o: x # c', '- ', 'p: >',
             'q: http://h:1', "r: '", 's: ]']


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([0, 0, 1, 2, 2, 3, 4, 6]), st.sampled_from(FRAGMENTS)),
                min_size=1, max_size=7))
def test_a_document_we_refuse_is_one_pyyaml_refuses_too(lines):
    """No false refusals: whatever mix of shapes, a file YAML readers accept is never refused (for documents
    whose root is a mapping or a sequence, which is what a configuration file is)."""
    text = ''.join(' ' * indent + fragment + '\n' for indent, fragment in lines)
    content = [fragment for _indent, fragment in lines if fragment.strip() and not fragment.startswith('#')]
    if content and _split_key(content[0])[0] not in ('key', 'seq'):
        return
    if not ours_accepts(text):
        assert not pyyaml_accepts(text), text
