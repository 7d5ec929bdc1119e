"""The coreBOS tables the tests need, generated from coreBOS's own ADOdb XML schema.

``VTIGER_SYSTEMS_AXMLS`` is the ``vtiger_systems`` definition of coreBOS ``schema/DatabaseSchema.xml``
(lines 2062-2075 at tsolucio/corebos 9ea375f3, kept in ../shared/corpus/corebos/), and ``axmls_to_mysql``
turns it into the DDL ADOdb's MySQL data dictionary generates (C -> VARCHAR(size), I -> INTEGER(size),
X -> TEXT, ``<key/>`` -> NOT NULL + PRIMARY KEY, ``<opt platform="mysql">`` -> table options).

``vtiger_systems_seq`` is not in the XML: ADOdb ``GenID()`` creates it on first use with
``create table if not exists %s (id int not null)`` and seeds it with ``startID - 1`` = 0.
"""

import xml.etree.ElementTree as ET

VTIGER_SYSTEMS_AXMLS = """\
<table name="vtiger_systems">
\t<field name="id" type="I" size="19">
\t\t<key />
\t</field>
\t<field name="server" type="C" size="100" />
\t<field name="server_port" type="I" size="19" />
\t<field name="server_username" type="C" size="100" />
\t<field name="server_password" type="C" size="100" />
\t<field name="server_type" type="C" size="20" />
\t<field name="smtp_auth" type="C" size="5" />
\t<field name="server_path" type="C" size="256" />
\t<field name="from_email_field" type="C" size="50" />
\t<opt platform="mysql">Engine=InnoDB</opt>
</table>
"""

# ADOdb datadict-mysql ActualType() for the meta types the coreBOS schema uses.
_ADODB_MYSQL_TYPES = {
    'C': 'VARCHAR', 'C2': 'VARCHAR', 'X': 'TEXT', 'X2': 'LONGTEXT', 'XL': 'LONGTEXT', 'B': 'LONGBLOB',
    'D': 'DATE', 'T': 'DATETIME', 'L': 'TINYINT', 'I': 'INTEGER', 'I1': 'TINYINT', 'I2': 'SMALLINT',
    'I4': 'INTEGER', 'I8': 'BIGINT', 'F': 'DOUBLE', 'N': 'NUMERIC',
}

SEQ_DDL = 'create table if not exists vtiger_systems_seq (id int not null)'


def axmls_to_mysql(xml_text):
    """CREATE TABLE statement for one AXMLS ``<table>`` element, as ADOdb would issue it on MySQL."""
    table = ET.fromstring(xml_text)
    columns = []
    keys = []
    for field in table.findall('field'):
        name = field.get('name')
        meta = field.get('type')
        sql_type = _ADODB_MYSQL_TYPES[meta]
        size = field.get('size')
        if size and meta not in ('X', 'X2', 'XL', 'B', 'D', 'T'):
            sql_type += '(%s)' % size.replace('.', ',')
        parts = ['`%s`' % name, sql_type]
        if field.find('key') is not None:
            keys.append(name)
            parts.append('NOT NULL')
        elif field.find('notnull') is not None:
            parts.append('NOT NULL')
        default = field.find('default')
        if default is not None:
            parts.append("DEFAULT '%s'" % default.get('value'))
        if field.find('autoincrement') is not None:
            parts.append('AUTO_INCREMENT')
        columns.append(' '.join(parts))
    if keys:
        columns.append('PRIMARY KEY (%s)' % ', '.join('`%s`' % key for key in keys))
    options = ' '.join(opt.text for opt in table.findall('opt') if opt.get('platform', 'mysql') == 'mysql')
    return 'CREATE TABLE `%s` (\n  %s\n) %s' % (table.get('name'), ',\n  '.join(columns), options)


VTIGER_SYSTEMS_DDL = axmls_to_mysql(VTIGER_SYSTEMS_AXMLS)
