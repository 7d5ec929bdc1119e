"""The Python-literal store (NetBox configuration.py): surgical edits located with ast, the rest byte for byte."""

import ast
import os

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.python import PythonStore, encode_literal

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'fixtures', 'netbox',
                       'configuration.py')


def fixture():
    with open(FIXTURE, encoding='utf-8') as handle:
        return handle.read()


def module_globals(text):
    """What CPython binds when it runs the file (the names NetBox's settings.py reads)."""
    scope = {}
    exec(compile(text, 'configuration.py', 'exec'), scope)  # noqa: S102 - our own test text
    return scope


def test_untouched_file_renders_identically():
    text = fixture()
    store = PythonStore.parse(text)
    assert store.get(('EMAIL', 'TIMEOUT')) == 15
    assert store.render() == text


def test_edits_change_only_the_values_of_email():
    text = fixture()
    store = PythonStore.parse(text)
    store.set(('EMAIL', 'SERVER'), 'smtp.example.com')
    store.set(('EMAIL', 'PASSWORD'), 'p"a\'ss\\w\u00f6rd\u2028')
    store.set(('EMAIL', 'USE_TLS'), True)
    store.set(('EMAIL', 'PORT'), 587)
    new = store.render()
    old_lines, new_lines = text.splitlines(True), new.splitlines(True)
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert [b.split(':')[0].strip() for _a, b in changed] == ['"SERVER"', '"PORT"', '"PASSWORD"', '"USE_TLS"']
    scope = module_globals(new)
    assert scope['EMAIL']['PASSWORD'] == 'p"a\'ss\\w\u00f6rd\u2028'
    assert scope['EMAIL']['PORT'] == 587 and scope['EMAIL']['USE_TLS'] is True
    assert scope['DATABASES'] == module_globals(text)['DATABASES']
    assert '"TIMEOUT": 15,  # seconds to wait for the relay\n' in new


def test_a_new_key_goes_before_the_closing_brace_and_delete_takes_its_line():
    store = PythonStore.parse(fixture())
    store.delete(('EMAIL', 'TIMEOUT'))
    store.set(('EMAIL', 'SSL_CERTFILE'), '/etc/ssl/client.pem')
    new = store.render()
    assert '"TIMEOUT"' not in new and 'seconds to wait' not in new
    assert '    "FROM_EMAIL": "",\n    "SSL_CERTFILE": "/etc/ssl/client.pem",\n}\n' in new
    store.delete(('EMAIL', 'SSL_CERTFILE'))
    store.set(('EMAIL', 'TIMEOUT'), 15)
    assert module_globals(store.render())['EMAIL'] == module_globals(fixture())['EMAIL']


@pytest.mark.parametrize('text, expected', [
    ("EMAIL = {'A': 1}\n", "EMAIL = {'A': 1, 'B': 'x'}\n"),
    ("EMAIL = {}\n", "EMAIL = {'B': 'x'}\n"),
    ("EMAIL = {\n    'A': 1\n}\n", "EMAIL = {\n    'A': 1,\n    'B': 'x',\n}\n"),
    ("DEBUG = False", "DEBUG = False\n\nEMAIL = {\n    'B': 'x',\n}\n"),
    ("EMAIL = {'B': 'old'}\nEMAIL = {'B': 'y'}\n", "EMAIL = {'B': 'old'}\nEMAIL = {'B': 'x'}\n"),
])
def test_layouts(text, expected):
    store = PythonStore.parse(text)
    store.set(('EMAIL', 'B'), 'x')
    assert store.render() == expected
    assert module_globals(expected)['EMAIL']['B'] == 'x'


@pytest.mark.parametrize('text, words', [
    ("EMAIL = {**BASE, 'SERVER': 'x'}\n", 'unpacks another dict'),
    ("EMAIL = dict(SERVER='x')\n", 'not assigned a plain dict literal'),
    ("EMAIL = {'SERVER': 'x'}\nEMAIL['PORT'] = 587\n", 'used or changed at line 2'),
    ("EMAIL = {'SERVER': 'x'}\nEMAIL.update(PORT=587)\n", 'used or changed at line 2'),
    ("EMAIL = {'SERVER': 'x'}\nfrom local_settings import *\n", 'import * at line 2'),
    ("import os\nEMAIL = {'SERVER': os.environ['SMTP_HOST']}\n", 'not a plain literal'),
    ("if True:\n    EMAIL = {'SERVER': 'x'}\n", 'used or changed at line 2'),
    ("EMAIL = {'SERVER': 'x'\n", 'not Python that CPython compiles'),
])
def test_what_is_not_plain_literals_where_we_edit_is_refused(text, words):
    with pytest.raises(StoreError) as raised:
        store = PythonStore.parse(text)
        store.get(('EMAIL', 'SERVER'))
        store.set(('EMAIL', 'SERVER'), 'y')
    assert words in str(raised.value)


def test_an_expression_elsewhere_in_the_dict_is_left_alone():
    text = "import os\nEMAIL = {\n    'SERVER': 'x',\n    'SSL_KEYFILE': os.environ.get('KEY'),\n}\n"
    store = PythonStore.parse(text)
    store.set(('EMAIL', 'SERVER'), 'smtp.example.com')
    assert store.render() == text.replace("'x'", "'smtp.example.com'")


@pytest.mark.parametrize('value', ['', 'plain', "it's", 'a"b', 'back\\slash', 'tab\tnl\n', '\x85\u2028\U0001f600',
                                   0, 587, True, False, None, 1.5])
@pytest.mark.parametrize('quote', ["'", '"'])
def test_literals_read_back_exactly(value, quote):
    literal = encode_literal(value, quote)
    assert ast.literal_eval(literal) == value and type(ast.literal_eval(literal)) is type(value)
