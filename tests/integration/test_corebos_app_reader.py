"""coreBOS reads exactly what was tested: the corebos profile against coreBOS's own reading (issue 10).

coreBOS's reader is PHP: the row comes from MariaDB over mysqli with ``SET NAMES utf8``, through
``PearDatabase::query_result()`` (``to_html()``: ``htmlentities(ENT_QUOTES)`` on most requests, nothing on
``<Module>Ajax`` and a few others) and, for the password only, mail.php's ``html_entity_decode``
(tests/readers/php/corebos.php runs those steps with the real PHP functions against the real database).

* writing: for every text setting (username, password, from_email), over printable Unicode rich in
  ``&``, entities, quotes, ``<>``, Latin-1 and supplementary characters, either coreBOS reads exactly the value
  on every kind of page, or the profile refused it with an error naming the option (and the row is unchanged);
* reading: over hand-edited rows (any text in those columns, utf8 and utf8mb4 tables), what the module reads
  (what ``outgoing_server_info`` reports and idempotence compares) is what coreBOS reads, or ``Computed`` when
  coreBOS itself reads it differently from one page to another (drift: the module rewrites it);
* through ansible-playbook: a refused value fails naming the option and leaves the row exactly as it was.
"""

import os

import pymysql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import readers
from ansible_collections.mailops.smtp.plugins.module_utils._profiles import corebos as cb
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

pytest_plugins = ['mariadb.pytest_plugin']

BATCH = 24
EXAMPLES = int(os.environ.get('READER_PROPERTY_EXAMPLES', '4'))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
OPTIONS = (('username', 'server_username'), ('password', 'server_password'), ('from_email', 'from_email_field'))
BASE_ROW = dict(server='tls://smtp.example.com:587', server_port=0, server_username='base-user@example.com',
                server_password='base-Passw0rd', server_type='email', smtp_auth='tls', server_path='',
                from_email_field='crm@example.com')

SPECIAL = ['&', '&amp;', '&lt;', '&gt;', '&quot;', '&#039;', '&#39;', '&apos;', '&#x41;', '&#1;', '&#128;',
           '&eacute;', '&nbsp;', '&nosuch;', '&amp', ';', '#', "'", '"', '<', '>', ' ', '\t', '\\', '%', '?',
           '\u00e9', '\u00a0', '\u20ac', '\u03c0', '\u2013', '\u015d', '\u200b', '\u2028', '\U0001f600',
           '\U00010000', '\ufffe']
ANY_CHAR = st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='\r\n\x00')
VALUE = st.lists(st.one_of(st.sampled_from(SPECIAL), ANY_CHAR), min_size=1, max_size=8).map(''.join)


def _connection(server):
    return {'host': server.host, 'port': server.port, 'user': server.root_user, 'password': ''}


@pytest.fixture(scope='module')
def pool(mariadb_server):
    """BATCH * 3 coreBOS databases (every third one with a utf8mb4 vtiger_systems), reused by every example."""
    databases = []
    for index in range(BATCH * len(OPTIONS)):
        database = mariadb_server.create_corebos_database()
        if index % 3 == 2:
            database.execute('ALTER TABLE vtiger_systems CONVERT TO CHARACTER SET utf8mb4')
        databases.append(database)
    yield databases
    for database in databases:
        mariadb_server.drop_database(database.name)


def reset(database, **columns):
    """The row as Settings > Outgoing Server saved it, with ``columns`` hand-edited (raw text, any charset)."""
    row = dict(BASE_ROW)
    row.update(columns)
    database.execute('DELETE FROM vtiger_systems')
    database.insert(id=1, **row)


def conn_params(database):
    return {'host': database.host, 'port': database.port, 'user': database.user, 'password': database.password,
            'database': database.name}


def module_read(database):
    """What the module reads: CoreBOSStore over its own connection (utf8, as coreBOS), then decode_row."""
    store = cb.CoreBOSStore(cb.connect(conn_params(database)))
    try:
        row = store.read()
        limits = store.column_limits()
        store.connection.rollback()
    finally:
        store.close()
    return row, cb.decode_row(row), limits


def write(database, option, value):
    """Plan and write ``option: value`` through the real profile and store; the SettingsError if refused."""
    params = dict(server='tls://smtp.example.com:587', username='mailer@example.com', password='s3cret-Pass',
                  from_email='crm@example.com')
    params[option] = value
    profile = cb.CorebosProfile(None, {'app': 'corebos', 'login_db': database.name, 'login_user': database.user})
    profile.conn_params = conn_params(database)
    try:
        desired = settings_from_params(params)
        profile.check(desired, 'present')
        row, decoded, limits = module_read(database)
        snapshot = Snapshot(True, cb._model_only(decoded),
                            handle={'row': row, 'decoded': decoded, 'limits': limits, 'user_addresses': []})
        plan = profile.plan(snapshot, desired, 'present', 'always')
    except SettingsError as exc:
        return exc
    store = cb.CoreBOSStore(cb.connect(conn_params(database)))
    try:
        store.write(plan.payload)
    finally:
        store.close()
    return None


def property_test(test):
    """One reader process per example (BATCH values x 3 options); no shrinking: a failure names the value."""
    return settings(max_examples=EXAMPLES, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])(
        given(values=st.lists(VALUE, min_size=BATCH, max_size=BATCH))(test))


def each_case(pool, values):
    """(database, option, column, value) for every value and option: each pair gets its own database."""
    for index, value in enumerate(values):
        for offset, (option, column) in enumerate(OPTIONS):
            yield pool[index * len(OPTIONS) + offset], option, column, value


def _shown(value):
    return value.encode('unicode_escape').decode('ascii')


@property_test
def test_corebos_reads_exactly_what_was_written_or_the_value_is_refused(pool, mariadb_server, values):
    cases = []
    for database, option, column, value in each_case(pool, values):
        reset(database)
        text = value + '@example.com' if option == 'from_email' else value
        before = database.rows()
        cases.append((database, option, column, text, write(database, option, text), before))
    seen = readers.corebos_many(_connection(mariadb_server), [case[0].name for case in cases])
    wrong = []
    written = 0
    for (database, option, column, text, error, before), pages in zip(cases, seen):
        if error is not None:
            assert error.option == option, error
            assert str(error).startswith(option + ':'), error
            assert database.rows() == before, 'refused %s=%s but the row changed' % (option, _shown(text))
            continue
        written += 1
        assert not isinstance(pages, readers.Unreadable), pages
        for page in readers.COREBOS_PAGES:
            if pages[page][column] != text:
                wrong.append('%s=%s: on %s coreBOS reads %s' % (option, _shown(text), page,
                                                                _shown(pages[page][column])))
    assert not wrong, '%d of %d written values are misread:\n%s' % (len(wrong), written, '\n'.join(wrong[:12]))
    assert written, 'every value was refused'


@property_test
def test_what_the_module_reads_from_a_hand_edited_row_is_what_corebos_reads(pool, mariadb_server, values):
    cases = []
    for database, option, column, value in each_case(pool, values):
        try:
            reset(database, **{column: value})
        except pymysql.MySQLError:
            reset(database)  # the column's character set cannot hold it (utf8mb3 and an emoji)
            continue
        cases.append((database, option, column, value))
    seen = readers.corebos_many(_connection(mariadb_server), [case[0].name for case in cases])
    wrong = []
    for (database, option, column, value), pages in zip(cases, seen):
        assert not isinstance(pages, readers.Unreadable), pages
        _row, decoded, _limits = module_read(database)
        ours = decoded[option]
        theirs = set(pages[page][column] for page in readers.COREBOS_PAGES)
        if len(theirs) > 1:
            if not isinstance(ours, Computed):
                wrong.append('%s=%s: coreBOS reads %s depending on the page, the module reads %s as plain' % (
                    option, _shown(value), ' / '.join(_shown(text) for text in sorted(theirs)), _shown(ours)))
            continue
        theirs = theirs.pop()
        if isinstance(ours, Computed) or (ours or '') != theirs:
            wrong.append('%s=%s: the module reads %r, coreBOS %s' % (option, _shown(value), ours, _shown(theirs)))
    assert not wrong, '%d of %d hand-edited values are read differently:\n%s' % (len(wrong), len(cases),
                                                                                 '\n'.join(wrong[:12]))
