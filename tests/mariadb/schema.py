"""The coreBOS tables the tests need, with the column types coreBOS's own ADOdb schema gives them.

coreBOS declares its tables in ``schema/DatabaseSchema.xml`` (ADOdb AXMLS; the real file is in
../shared/corpus/corebos/, see its SOURCES.md). The declarations below are ours: each column's name, ADOdb meta
type, size and flags as that schema declares them, in its column order, turned into the DDL ADOdb's MySQL data
dictionary generates (C -> VARCHAR(size), I -> INTEGER(size), X -> TEXT, a key -> NOT NULL + PRIMARY KEY, the
table options for MySQL).

``vtiger_systems`` has every column (the tests INSERT by position, as coreBOS's Settings/Save.php does).
``vtiger_users`` has the columns the module and the tests use (the user's name, ``email1``, ``status``,
``deleted``, ...): the users whose ``email1`` coreBOS sends from when "Email From" is empty (tests of the default
``test_senders``).

``vtiger_systems_seq`` is not in the schema: ADOdb ``GenID()`` creates it on first use with
``create table if not exists %s (id int not null)`` and seeds it with ``startID - 1`` = 0.
"""

import xml.etree.ElementTree as ET

# (column, ADOdb meta type, size, flags): flags are 'key', 'autoincrement', 'notnull' and ('default', value).
VTIGER_SYSTEMS_COLUMNS = (
    ('id', 'I', '19', ('key',)),
    ('server', 'C', '100', ()),
    ('server_port', 'I', '19', ()),
    ('server_username', 'C', '100', ()),
    ('server_password', 'C', '100', ()),
    ('server_type', 'C', '20', ()),
    ('smtp_auth', 'C', '5', ()),
    ('server_path', 'C', '256', ()),
    ('from_email_field', 'C', '50', ()),
)

VTIGER_USERS_COLUMNS = (
    ('id', 'I', None, ('key', 'autoincrement')),
    ('user_name', 'C', '255', ()),
    ('user_password', 'C', '200', ()),
    ('first_name', 'C', '30', ()),
    ('last_name', 'C', '30', ()),
    ('is_admin', 'C', '3', (('default', '0'),)),
    ('email1', 'C', '100', ()),
    ('email2', 'C', '100', ()),
    ('status', 'C', '25', ()),
    ('deleted', 'I', '1', ('notnull', ('default', '0'))),
    ('crypt_type', 'C', '20', ('notnull', ('default', 'MD5'))),
)

_ADODB_MYSQL_TYPES = {
    'C': 'VARCHAR', 'C2': 'VARCHAR', 'X': 'TEXT', 'X2': 'LONGTEXT', 'XL': 'LONGTEXT', 'B': 'LONGBLOB',
    'D': 'DATE', 'T': 'DATETIME', 'L': 'TINYINT', 'I': 'INTEGER', 'I1': 'TINYINT', 'I2': 'SMALLINT',
    'I4': 'INTEGER', 'I8': 'BIGINT', 'F': 'DOUBLE', 'N': 'NUMERIC',
}

SEQ_DDL = 'create table if not exists vtiger_systems_seq (id int not null)'


def mysql_ddl(table, columns, options='Engine=InnoDB'):
    """CREATE TABLE statement for declared ``columns``, as ADOdb would issue it on MySQL."""
    parts_list = []
    keys = []
    for name, meta, size, flags in columns:
        sql_type = _ADODB_MYSQL_TYPES[meta]
        if size and meta not in ('X', 'X2', 'XL', 'B', 'D', 'T'):
            sql_type += '(%s)' % size.replace('.', ',')
        parts = ['`%s`' % name, sql_type]
        if 'key' in flags:
            keys.append(name)
            parts.append('NOT NULL')
        elif 'notnull' in flags:
            parts.append('NOT NULL')
        for flag in flags:
            if isinstance(flag, tuple) and flag[0] == 'default':
                parts.append("DEFAULT '%s'" % flag[1])
        if 'autoincrement' in flags:
            parts.append('AUTO_INCREMENT')
        parts_list.append(' '.join(parts))
    if keys:
        parts_list.append('PRIMARY KEY (%s)' % ', '.join('`%s`' % key for key in keys))
    return 'CREATE TABLE `%s` (\n  %s\n) %s' % (table, ',\n  '.join(parts_list), options)


def axmls_to_mysql(xml_text):
    """CREATE TABLE statement for one AXMLS ``<table>`` element, as ADOdb would issue it on MySQL."""
    table = ET.fromstring(xml_text)
    columns = []
    for field in table.findall('field'):
        flags = tuple(tag for tag in ('key', 'notnull', 'autoincrement') if field.find(tag) is not None)
        default = field.find('default')
        if default is not None:
            flags += (('default', default.get('value')),)
        columns.append((field.get('name'), field.get('type'), field.get('size'), flags))
    options = ' '.join(opt.text for opt in table.findall('opt') if opt.get('platform', 'mysql') == 'mysql')
    return mysql_ddl(table.get('name'), columns, options)


# The Global Variables module (modules/GlobalVariable): the columns GlobalVariable::getVariable() reads, written
# here by hand (the module creates its tables at install, outside DatabaseSchema.xml). Its records are CRM
# entities: ``vtiger_crmentity`` holds ``deleted``, the owner (``smownerid``) and ``description``.
CRMENTITY_DDL = ("CREATE TABLE vtiger_crmentity (crmid INT NOT NULL PRIMARY KEY, smownerid INT NOT NULL DEFAULT 0, "
                 "setype VARCHAR(30), description TEXT, deleted INT NOT NULL DEFAULT 0) ENGINE=InnoDB")
GLOBALVARIABLE_DDL = ("CREATE TABLE vtiger_globalvariable (globalvariableid INT NOT NULL PRIMARY KEY, "
                      "globalno VARCHAR(100), gvname VARCHAR(200), default_check VARCHAR(3), value VARCHAR(1024), "
                      "mandatory VARCHAR(3), blocked VARCHAR(3), module_list TEXT, in_module_list VARCHAR(3), "
                      "category VARCHAR(200), rolegv VARCHAR(255)) ENGINE=InnoDB")

VTIGER_SYSTEMS_DDL = mysql_ddl('vtiger_systems', VTIGER_SYSTEMS_COLUMNS)
VTIGER_USERS_DDL = mysql_ddl('vtiger_users', VTIGER_USERS_COLUMNS)
