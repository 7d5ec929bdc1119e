"""CoreBOSStore against the real MariaDB: the transaction edge cases a playbook cannot reach."""

import pymysql
import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._profiles import corebos as cb
from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params

pytest_plugins = ['mariadb.pytest_plugin']


def store_for(db):
    params, _warnings = cb.connection_params({'login_host': db.host, 'login_port': db.port, 'login_user': db.user,
                                              'login_password': db.password, 'login_db': db.name})
    return cb.CoreBOSStore(cb.connect(params), pymysql)


def row_for(**options):
    params = {'server': 'tls://smtp.example.com:587', 'username': 'crm@example.com', 'password': 'pw-123456'}
    params.update(options)
    return cb.encode_from_settings(settings_from_params(params))


def test_a_value_the_server_mangles_is_rolled_back(corebos_db):
    corebos_db.add_backup_rows()
    before = corebos_db.rows()
    store = store_for(corebos_db)
    try:
        with pytest.raises(StoreError) as info:
            # 4-byte UTF-8 into a utf8mb3 column, non-strict mode: the profile refuses it before, the store's
            # read-back is the last line of defence
            store.write(dict(row_for(), server_password='key\U0001F511'))
    finally:
        store.close()
    assert 'password' in str(info.value) and 'rolled back' in str(info.value)
    assert 'key' not in str(info.value)
    assert corebos_db.rows() == before
    assert corebos_db.seq() == 2


def test_an_empty_sequence_table_is_seeded_like_adodb(corebos_db):
    corebos_db.execute('DELETE FROM vtiger_systems_seq')
    store = store_for(corebos_db)
    try:
        assert store.write(row_for()) == 1
    finally:
        store.close()
    assert corebos_db.seq() == 1


def test_a_sequence_behind_the_table_is_an_error_not_an_overwrite(corebos_db):
    corebos_db.insert(id=1, server='', server_port=0, server_username='', server_password='', server_type='ftp_backup',
                      smtp_auth='', server_path='', from_email_field='')
    before = corebos_db.rows()
    store = store_for(corebos_db)
    try:
        with pytest.raises(StoreError, match='sequence is behind'):
            store.write(row_for())
    finally:
        store.close()
    assert corebos_db.rows() == before


def test_read_returns_the_first_email_row_and_warns_about_duplicates(corebos_db):
    for row_id, server in ((5, 'first.example.com'), (9, 'second.example.com')):
        corebos_db.insert(id=row_id, server=server, server_port=0, server_username='', server_password='',
                          server_type='email', smtp_auth='false', server_path='', from_email_field='')
    store = store_for(corebos_db)
    try:
        assert store.read()['server'] == 'first.example.com'
        store.write(row_for())
    finally:
        store.close()
    assert [(row['id'], row['server']) for row in corebos_db.email_rows()] == [
        (5, 'tls://smtp.example.com:587'), (9, 'second.example.com')]
    assert '2 rows' in store.warnings[0]


def test_a_database_without_vtiger_systems_is_not_taken_for_corebos(corebos_db):
    corebos_db.execute('DROP TABLE vtiger_systems')
    store = store_for(corebos_db)
    try:
        with pytest.raises(StoreError, match='no vtiger_systems table'):
            store.read()
    finally:
        store.close()
