"""coreBOS: config.inc.php reading, and the vtiger_systems row <-> model tables (reference/app-profiles.md)."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._profiles import corebos as cb
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params
from mariadb.schema import VTIGER_SYSTEMS_DDL, axmls_to_mysql

INSTALLER_CONFIG = r"""<?php
/*********************************************************************************
 * The contents of this file are subject to the vtiger CRM Public License Version 1.0
 ********************************************************************************/
include 'vtigerversion.php';

// more than 8MB memory needed for graphics
ini_set('memory_limit', '512M');

/* database configuration
      db_server
      db_port
      db_hostname
      db_username
      db_password
      db_name
*/
// $dbconfig['db_server'] = 'old.example.com';
# $dbconfig['db_name'] = 'not_this';
/* $dbconfig['db_username'] = 'nobody'; */

$dbconfig['db_server'] = 'db.example.com';
$dbconfig['db_port'] = ':3307';
$dbconfig['db_username'] = 'cbuser';
$dbconfig['db_password'] = 'it\'s a \\secret; // not a comment';
$dbconfig['db_name'] = 'corebos';
$dbconfig['db_type'] = 'mysqli';
$dbconfig['db_status'] = 'true';

$dbconfig['db_hostname'] = $dbconfig['db_server'].$dbconfig['db_port'];
$dbconfig['log_sql'] = false;
$host_name = $dbconfig['db_hostname'];
$site_URL = "http://localhost/corebos";
?>
"""


def write(tmp_path, text, name='config.inc.php'):
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return str(tmp_path)


# ---------------------------------------------------------------------------------------- config.inc.php

def test_installer_style_config_gives_the_credentials_and_ignores_comments(tmp_path):
    params, warnings = cb.read_config_inc(write(tmp_path, INSTALLER_CONFIG))
    assert params == {'host': 'db.example.com', 'port': 3307, 'user': 'cbuser',
                      'password': "it's a \\secret; // not a comment", 'database': 'corebos', 'unix_socket': None}
    assert warnings == []


def test_path_may_name_the_file_itself(tmp_path):
    write(tmp_path, INSTALLER_CONFIG)
    params, _warnings = cb.read_config_inc(os.path.join(str(tmp_path), 'config.inc.php'))
    assert params['database'] == 'corebos'


def test_the_last_assignment_wins_as_in_php(tmp_path):
    text = INSTALLER_CONFIG.replace("?>", "$dbconfig['db_name'] = \"corebos_prod\";\n?>")
    params, _warnings = cb.read_config_inc(write(tmp_path, text))
    assert params['database'] == 'corebos_prod'


def test_double_quoted_escapes_are_decoded(tmp_path):
    text = INSTALLER_CONFIG.replace("'cbuser'", '"cb\\x75ser\\t\\$x"')
    params, _warnings = cb.read_config_inc(write(tmp_path, text))
    assert params['user'] == 'cbuser\t$x'


def test_getenv_overrides_are_detected_and_the_file_value_is_used(tmp_path):
    text = INSTALLER_CONFIG.replace("?>", (
        "$dbconfig['db_username'] = getenv('COREBOS_DBUSER') ? getenv('COREBOS_DBUSER') : 'fallback';\n"
        "if (getenv('COREBOS_DBPASS')) { $dbconfig['db_password'] = getenv('COREBOS_DBPASS'); }\n?>"))
    params, warnings = cb.read_config_inc(write(tmp_path, text))
    assert params['user'] == 'fallback'
    assert params['password'] == "it's a \\secret; // not a comment"
    assert len(warnings) == 1
    assert 'COREBOS_DBUSER' in warnings[0] and 'COREBOS_DBPASS' in warnings[0]
    assert 'secret' not in warnings[0]


@pytest.mark.parametrize('server, port, expected', [
    ('localhost', ':3306', ('localhost', 3306, None)),
    ('db', '3308', ('db', 3308, None)),
    ('db', '', ('db', 3306, None)),
    ('db:3309', '', ('db', 3309, None)),
    ('localhost', ':/run/mysqld/mysqld.sock', ('localhost', 3306, '/run/mysqld/mysqld.sock')),
    ('p:db', ':3306', ('db', 3306, None)),
])
def test_db_server_and_port_as_mysqli_reads_them(server, port, expected):
    assert cb.split_db_server(server, port) == expected


def test_bad_db_port_is_a_clear_error():
    with pytest.raises(StoreError, match='db_port'):
        cb.split_db_server('db', ':33o6')


def test_missing_config_file_names_the_file_and_the_alternative(tmp_path):
    with pytest.raises(StoreError) as info:
        cb.read_config_inc(str(tmp_path))
    assert 'config.inc.php' in str(info.value) and 'login_' in str(info.value)


def test_config_without_plain_db_name_asks_for_login_options(tmp_path):
    text = INSTALLER_CONFIG.replace("$dbconfig['db_name'] = 'corebos';", "$dbconfig['db_name'] = $name;")
    with pytest.raises(StoreError, match=r"db_name.*login_"):
        cb.read_config_inc(write(tmp_path, text))


def test_login_options_override_config_values(tmp_path):
    params, _warnings = cb.connection_params({'path': write(tmp_path, INSTALLER_CONFIG), 'login_host': '127.0.0.1',
                                              'login_port': 4406, 'login_password': 'other'})
    assert (params['host'], params['port'], params['user'], params['password'], params['database']) == (
        '127.0.0.1', 4406, 'cbuser', 'other', 'corebos')


def test_without_path_login_db_is_required():
    with pytest.raises(SettingsError) as info:
        cb.connection_params({'login_user': 'x'})
    assert info.value.option == 'login_db'


@given(st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00'), max_size=40))
def test_any_single_quoted_php_string_round_trips(value):
    literal = "'%s'" % value.replace('\\', '\\\\').replace("'", "\\'")
    values, _env = cb.parse_dbconfig("<?php\n$dbconfig['db_password'] = %s;\n" % literal)
    assert values['db_password'] == value


# ---------------------------------------------------------------------------------------- decoding rows

def row(server, smtp_auth, username='', password='', from_email=''):
    return {'id': 3, 'server': server, 'server_port': 0, 'server_username': username, 'server_password': password,
            'server_type': 'email', 'smtp_auth': smtp_auth, 'server_path': '', 'from_email_field': from_email}


DECODE = [
    # server column, smtp_auth -> host, port, security, validate_certs, auth
    ('smtp.example.com', 'false', ('smtp.example.com', 25, 'none', True, False)),
    ('smtp.example.com:0', 'false', ('smtp.example.com', 25, 'none', True, False)),
    ('smtp.example.com:2525', 'true', ('smtp.example.com', 2525, 'none', True, True)),
    ('tls://smtp.example.com:587', 'false', ('smtp.example.com', 587, 'starttls', True, False)),
    ('tls://smtp.example.com:587', 'tls', ('smtp.example.com', 587, 'starttls', True, True)),
    ('tls://smtp.example.com:587', 'tlsnc', ('smtp.example.com', 587, 'starttls', False, True)),
    ('smtp.example.com:587', 'tls', ('smtp.example.com', 587, 'starttls', True, True)),
    ('ssl://smtp.example.com:465', 'ssl', ('smtp.example.com', 465, 'tls', True, True)),
    ('smtp.example.com:465', 'sslnc', ('smtp.example.com', 465, 'tls', False, True)),
    ('ssl://SMTP.Example.com', 'tls', ('smtp.example.com', 25, 'tls', True, True)),  # prefix wins
    ('tls://smtp.example.com', 'ssl', ('smtp.example.com', 25, 'starttls', True, True)),
    ('smtp.example.com', '', ('smtp.example.com', 25, 'none', True, True)),  # '' turns AUTH on
    ('smtp.example.com', None, ('smtp.example.com', 25, 'none', True, True)),  # so does NULL
]


@pytest.mark.parametrize('server, smtp_auth, expected', DECODE)
def test_decode_row_as_mail_php_and_phpmailer_use_it(server, smtp_auth, expected):
    model = cb.decode_row(row(server, smtp_auth))
    assert (model['host'], model['port'], model['security'], model['validate_certs'], model['auth']) == expected
    assert model['from_name'] is None


def test_decode_backup_servers_and_skipped_entries():
    model = cb.decode_row(row('tls://a.example.com:587; ssl://b.example.com:465;c.example.com;bad host', 'tls'))
    assert model['server'] == 'tls://a.example.com:587;ssl://b.example.com:465;tls://c.example.com:25'
    assert [entry['valid'] for entry in model['servers']] == [True, True, True, False]
    assert "'bad host'" in model['warnings'][0]


def test_a_row_whose_values_depend_on_the_page_reads_as_computed():
    """query_result() HTML-encodes on most pages only; mail.php decodes the password only: such values are drift."""
    model = cb.decode_row(row('mail.example.com', 'true', "o'brien@example.com", 'p&amp;ss&lt;w',
                              'crm&co@example.com'))
    for key in ('username', 'password', 'from_email'):
        assert isinstance(model[key], Computed), key
        assert model[key] != str(model[key])  # drift: equal to nothing
    plain = cb.decode_row(row('mail.example.com', 'true', 'crm@example.com', 'p&ss<\'"w;', 'crm@example.com'))
    assert (plain['username'], plain['password'], plain['from_email']) == (
        'crm@example.com', 'p&ss<\'"w;', 'crm@example.com')
    assert not any(isinstance(plain[key], Computed) for key in ('username', 'password', 'from_email'))


@pytest.mark.parametrize('stored, decoded', [
    ('plain', 'plain'),
    ('a&amp;b', 'a&b'),
    ('&#x41;&#66;', 'AB'),
    ('&amp', '&amp'),          # PHP needs the semicolon
    ('&apos;', '&apos;'),      # not an HTML 4.01 entity (ENT_HTML401)
    ('&nosuch;', '&nosuch;'),
    ('&eacute;t&eacute;', '\u00e9t\u00e9'),
    ('&#1;&#128;&#9;', '&#1;&#128;\t'),  # control characters are not decoded, TAB is
    ('&#x110000;&#55296;', '&#x110000;&#55296;'),
])
def test_html_entity_decode_matches_php(stored, decoded):
    assert cb.html_entity_decode(stored) == decoded


@pytest.mark.parametrize('text, encoded', [
    ('plain@example.com', 'plain@example.com'),
    ("o'brien&co", 'o&#039;brien&amp;co'),
    ('<"\u00e9\u20ac\u03c0>', '&lt;&quot;&eacute;&euro;&pi;&gt;'),
    ('\u015d\u2028\u200b', '\u015d\u2028\u200b'),  # no HTML 4.01 name: kept
])
def test_htmlentities_matches_php(text, encoded):
    assert cb.htmlentities(text) == encoded


@given(st.text(max_size=30))
def test_plain_text_reads_the_same_on_every_page_exactly_when_it_is_accepted(text):
    for column, option in (('server_password', 'password'), ('server_username', 'username'),
                           ('from_email_field', 'from_email')):
        converted, raw = cb.column_reads(column, text)
        try:
            cb.check_storable(column, option, text)
        except SettingsError as exc:
            assert exc.option == option and 'cannot be stored in corebos' in str(exc)
            if option == 'password':
                assert text not in str(exc) or len(text) < 2
            continue
        assert converted == raw == text


# ---------------------------------------------------------------------------------------- encoding

def encode(server, **kwargs):
    params = {'server': server}
    params.update(kwargs)
    return cb.encode_from_settings(settings_from_params(params))


ENCODE = [
    # options -> server column, smtp_auth
    (dict(server='mail.example.com', security='none'), ('mail.example.com:25', 'false')),
    (dict(server='mail.example.com:2525', security='none', username='u', password='p'),
     ('mail.example.com:2525', 'true')),
    (dict(server='mail.example.com'), ('tls://mail.example.com:587', 'false')),  # TLS without auth
    (dict(server='mail.example.com', username='u', password='p'), ('tls://mail.example.com:587', 'tls')),
    (dict(server='mail.example.com', username='u', password='p', validate_certs=False),
     ('tls://mail.example.com:587', 'tlsnc')),
    (dict(server='mail.example.com:465', username='u', password='p'), ('ssl://mail.example.com:465', 'ssl')),
    (dict(server='ssl://mail.example.com:2465', username='u', password='p', validate_certs=False),
     ('ssl://mail.example.com:2465', 'sslnc')),
    (dict(server='ssl://mail.example.com', auth=False), ('ssl://mail.example.com:465', 'false')),
    (dict(server='tls://a.example.com:587;ssl://b.example.com:465', username='u', password='p'),
     ('tls://a.example.com:587;ssl://b.example.com:465', 'tls')),
    (dict(server='tls://a.example.com;smtp://b.example.com', username='u', password='p'),
     ('tls://a.example.com:587;b.example.com:25', 'true')),
    (dict(server='b\u00fccher.example', username='u', password='p'),
     ('tls://xn--bcher-kva.example:587', 'tls')),
]


@pytest.mark.parametrize('options, expected', ENCODE)
def test_encode_settings_as_settings_outgoing_server_saves_them(options, expected):
    params = dict(options)
    result = cb.encode_from_settings(settings_from_params(params))
    assert (result['server'], result['smtp_auth']) == expected
    assert result['server_port'] == 0
    assert result['server_type'] == 'email'
    assert result['server_path'] == ''


@pytest.mark.parametrize('options, expected', ENCODE)
def test_what_we_write_decodes_to_what_was_asked(options, expected):
    settings = settings_from_params(dict(options))
    model = cb.decode_row(cb.encode_from_settings(settings))
    assert [(e['host'], e['port'], e['security']) for e in model['servers']] == [
        (spec.ascii_host, spec.port, spec.security) for spec in settings.servers]
    assert model['auth'] == settings.auth
    assert model['validate_certs'] == settings.validate_certs
    assert model['password'] == settings.password


def test_username_password_and_from_email_columns_hold_plain_text():
    result = encode('mail.example.com', username='crm@example.com', password='p&ss <"x\'>;',
                    from_email='crm@example.com')
    assert (result['server_username'], result['server_password'], result['from_email_field']) == (
        'crm@example.com', 'p&ss <"x\'>;', 'crm@example.com')


@pytest.mark.parametrize('options, option', [
    (dict(username='u', password='p&amp;ss'), 'password'),
    (dict(username='u', password='p&#65;'), 'password'),
    (dict(username='u', password='key\U0001F511'), 'password'),
    (dict(username="o'brien@example.com", password='p'), 'username'),
    (dict(username='j\u00f6rg@example.com', password='p'), 'username'),
    (dict(from_email='crm&co@example.com'), 'from_email'),
])
def test_values_corebos_reads_differently_from_page_to_page_are_refused(options, option):
    params = dict(server='mail.example.com')
    params.update(options)
    with pytest.raises(SettingsError) as info:
        cb.encode_from_settings(settings_from_params(params))
    assert info.value.option == option
    assert str(info.value).startswith('%s: cannot be stored in corebos because' % option)
    if option == 'password':
        assert params['password'] not in str(info.value) and '&amp;' not in str(info.value)


@pytest.mark.parametrize('options, option', [
    (dict(from_name='CRM'), 'from_name'),
    (dict(validate_certs=False), 'validate_certs'),              # nc needs auth in smtp_auth
    (dict(server='[2001:db8::1]:587', username='u', password='p'), 'server'),  # PHPMailer 5.2: no IPv6
])
def test_settings_corebos_cannot_store_are_clear_errors(options, option):
    params = dict(server='mail.example.com')
    params.update(options)
    with pytest.raises(SettingsError) as info:
        cb.encode_from_settings(settings_from_params(params))
    assert info.value.option == option
    assert 'corebos' in str(info.value).lower()


def test_mixing_no_tls_and_unchecked_certificates_is_refused():
    servers = parse_servers('tls://a.example.com;smtp://b.example.com')
    with pytest.raises(SettingsError) as info:
        cb.encode_settings(servers, True, False, 'u', 'p', None)
    assert info.value.option == 'validate_certs'


def test_lengths_are_checked_against_the_columns_without_quoting_the_password():
    limits = {'server': 100, 'server_username': 100, 'server_password': 100, 'from_email_field': 50}
    long_from = 'a' * 45 + '@example.com'
    with pytest.raises(SettingsError) as info:
        cb.check_lengths(encode('mail.example.com', from_email=long_from), limits)
    assert info.value.option == 'from_email' and 'at most 50' in str(info.value)
    secret = 'x' * 101
    with pytest.raises(SettingsError) as info:
        cb.check_lengths(encode('mail.example.com', username='u', password=secret), limits)
    assert info.value.option == 'password' and secret not in str(info.value)


@pytest.mark.parametrize('charset, fits', [('latin1', False), ('ascii', False), ('utf8mb4', True)])
def test_characters_the_column_charset_cannot_hold_are_refused(charset, fits):
    limits = {'server_password': {'size': 100, 'charset': charset}}
    row_ = encode('mail.example.com', username='u', password='key\u0151')
    if fits:
        cb.check_lengths(row_, limits)
    else:
        with pytest.raises(SettingsError) as info:
            cb.check_lengths(row_, limits)
        assert info.value.option == 'password' and charset in str(info.value)
        assert 'key\u0151' not in str(info.value)


def test_decoded_key_ignores_what_corebos_ignores():
    ui_row = row('mail.example.com:587', 'tls', 'u', 'a&b')
    ours = row('tls://mail.example.com:587', 'tls', 'u', 'a&b')
    assert cb.decoded_key(cb.decode_row(ui_row)) == cb.decoded_key(cb.decode_row(ours))
    assert cb.decoded_key(cb.decode_row(row('mail.example.com', 'false', 'stale-user', 'stale'))) == \
        cb.decoded_key(cb.decode_row(row('mail.example.com:25', 'false')))
    assert cb.decoded_key(cb.decode_row(ours)) != cb.decoded_key(cb.decode_row(row('tls://mail.example.com:587',
                                                                                   'tlsnc', 'u', 'a&b')))


# ---------------------------------------------------------------------------------------- test schema

def test_vtiger_systems_ddl_follows_the_axmls_definition():
    assert '`id` INTEGER(19) NOT NULL' in VTIGER_SYSTEMS_DDL
    assert '`smtp_auth` VARCHAR(5)' in VTIGER_SYSTEMS_DDL
    assert '`from_email_field` VARCHAR(50)' in VTIGER_SYSTEMS_DDL
    assert 'PRIMARY KEY (`id`)' in VTIGER_SYSTEMS_DDL
    assert VTIGER_SYSTEMS_DDL.endswith('Engine=InnoDB')


def test_axmls_translation_of_other_meta_types():
    ddl = axmls_to_mysql('<table name="t"><field name="a" type="X" /><field name="n" type="N" size="10.3" />'
                         '<field name="d" type="C" size="10"><notnull /><default value="0" /></field></table>')
    assert ddl == 'CREATE TABLE `t` (\n  `a` TEXT,\n  `n` NUMERIC(10,3),\n  `d` VARCHAR(10) NOT NULL DEFAULT \'0\'\n) '


_labels = st.from_regex(r'[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?', fullmatch=True).filter(
    lambda label: not label.isdigit() and not label.startswith('xn--'))
_servers = st.lists(st.tuples(st.lists(_labels, min_size=2, max_size=3).map('.'.join),
                              st.integers(min_value=1, max_value=65535),
                              st.sampled_from(['none', 'starttls', 'tls'])), min_size=1, max_size=3)


_storable_passwords = st.text(min_size=1, max_size=20).filter(
    lambda t: '\r' not in t and '\n' not in t and '\x00' not in t)


@given(_servers, st.booleans(), st.booleans(), _storable_passwords)
def test_any_storable_settings_round_trip_through_the_row(servers, auth, validate_certs, password):
    server = ';'.join('%s://%s:%d' % ({'none': 'smtp', 'starttls': 'tls', 'tls': 'ssl'}[sec], host, port)
                      for host, port, sec in servers)
    params = {'server': server}
    if auth:
        params.update(username='crm@example.com', password=password)
    if servers[0][2] != 'none':
        params['validate_certs'] = validate_certs
    settings = settings_from_params(params)
    try:
        row = cb.encode_from_settings(settings)
    except SettingsError as exc:
        # Only the combinations smtp_auth cannot express, and passwords coreBOS reads differently from page to
        # page, are refused.
        if exc.option == 'password':
            assert (cb.column_reads('server_password', password) != (password, password)
                    or max(password) > '\uffff')
        else:
            assert exc.option == 'validate_certs' and not settings.validate_certs
        return
    model = cb.decode_row(row)
    assert [(e['host'], e['port'], e['security']) for e in model['servers']] == [
        (spec.ascii_host, spec.port, spec.security) for spec in settings.servers]
    assert model['auth'] is settings.auth
    assert model['password'] == (settings.password if auth else None)
    uses_tls = any(spec.security != 'none' for spec in settings.servers)
    assert model['validate_certs'] is (settings.validate_certs if uses_tls and model['security'] != 'none' else True)
    # Writing what we read back changes nothing (idempotence).
    again = cb.decode_row(cb.encode_settings(settings.servers, model['auth'], settings.validate_certs,
                                             model['username'], model['password'], model['from_email']))
    assert cb.decoded_key(again) == cb.decoded_key(model)


def test_a_fifo_named_config_inc_php_is_refused_without_blocking(tmp_path):
    """Run in a child process with a timeout: a blocking open() of the FIFO would hang otherwise."""
    import subprocess
    import sys
    os.mkfifo(str(tmp_path / 'config.inc.php'))
    collections = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '.collections'))
    script = ('import sys; sys.path.insert(0, %r)\n'
              'from ansible_collections.mailops.smtp.plugins.module_utils._profiles.corebos import read_config_inc\n'
              'from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError\n'
              'try:\n    read_config_inc(sys.argv[1])\nexcept StoreError as exc:\n    print(exc)\n' % collections)
    proc = subprocess.run([sys.executable, '-c', script, str(tmp_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30, universal_newlines=True, check=False)
    assert proc.stdout.startswith('coreBOS: %s is a FIFO' % (tmp_path / 'config.inc.php')), proc.stdout
