"""The coreBOS tables the tests need, generated from coreBOS's own ADOdb XML schema.

``VTIGER_SYSTEMS_AXMLS`` is the ``vtiger_systems`` definition of coreBOS ``schema/DatabaseSchema.xml``
(lines 2062-2075 at tsolucio/corebos 9ea375f3, kept in ../shared/corpus/corebos/), and ``axmls_to_mysql``
turns it into the DDL ADOdb's MySQL data dictionary generates (C -> VARCHAR(size), I -> INTEGER(size),
X -> TEXT, ``<key/>`` -> NOT NULL + PRIMARY KEY, ``<opt platform="mysql">`` -> table options).

``VTIGER_USERS_AXMLS`` is the ``vtiger_users`` definition of the same file (lines 4-107 of the copy in
../shared/corpus/corebos/DatabaseSchema.xml): the users whose ``email1`` coreBOS sends from when "Email From" is
empty (tests of the default ``test_senders``).

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

VTIGER_USERS_AXMLS = """\
<table name="vtiger_users">
\t<field name="id" type="I" >
\t\t<key />
\t\t<autoincrement />
\t</field>
\t<field name="user_name" type="C" size="255" />
\t<field name="user_password" type="C" size="200" />
\t<field name="user_hash" type="C" size="32" />
\t<field name="cal_color" type="C" size="25">
\t\t<default value="#E6FAD8" />
\t</field>
\t<field name="first_name" type="C" size="30" />
\t<field name="last_name" type="C" size="30" />
\t<field name="reports_to_id" type="C" size="36" />
\t<field name="is_admin" type="C" size="3">
\t\t<default value="0" />
\t</field>
\t<field name="currency_id" type="I" size="19">
\t\t<default value="1" />
\t\t<notnull />
\t</field>
\t<field name="description" type="X" />
\t<field name="date_entered" type="T">
\t\t<notnull />
\t\t<deftimestamp />
\t</field>
\t<field name="date_modified" type="T">
\t\t<notnull />
\t\t<deftimestamp />
\t</field>
\t<field name="modified_user_id" type="C" size="36" />
\t<field name="title" type="C" size="50" />
\t<field name="department" type="C" size="150" />
\t<field name="phone_home" type="C" size="50" />
\t<field name="phone_mobile" type="C" size="50" />
\t<field name="phone_work" type="C" size="50" />
\t<field name="phone_other" type="C" size="50" />
\t<field name="phone_fax" type="C" size="50" />
\t<field name="email1" type="C" size="100" />
\t<field name="email2" type="C" size="100" />
\t<field name="secondaryemail" type="C" size="100" />
\t<field name="status" type="C" size="25" />
\t<field name="signature" type="C" size="1000" />
\t<field name="address_street" type="C" size="150" />
\t<field name="address_city" type="C" size="100" />
\t<field name="address_state" type="C" size="100" />
\t<field name="address_country" type="C" size="25" />
\t<field name="address_postalcode" type="C" size="9" />
\t<field name="user_preferences" type="X" />
\t<field name="tz" type="C" size="30" />
\t<field name="holidays" type="C" size="60" />
\t<field name="namedays" type="C" size="60" />
\t<field name="workdays" type="C" size="30" />
\t<field name="weekstart" type="I" size="11" />
\t<field name="date_format" type="C" size="200" />
\t<field name="hour_format" type="C" size="30">
\t\t<default value="am/pm" />
\t</field>
\t<field name="start_hour" type="C" size="30">
\t\t<default value="10:00" />
\t</field>
\t<field name="end_hour" type="C" size="30">
\t\t<default value="23:00" />
\t</field>
\t<field name="activity_view" type="C" size="200">
\t\t<default value="Today" />
\t</field>
\t<field name="lead_view" type="C" size="200">
\t\t<default value="Today" />
\t</field>
\t<field name="imagename" type="C" size="250" />
\t<field name="deleted" type="I" size="1">
\t\t<notnull />
\t\t<default value="0" />
\t</field>
\t<field name="confirm_password" type="C" size="300" />

\t<field name="internal_mailer" type="C" size="3">
\t\t<notnull />
\t\t<default value="1" />
\t</field>
\t<field name="reminder_interval" type="C" size="100" />
\t<field name="reminder_next_time" type="C" size="100" />
\t<field name="crypt_type" type="C" size="20">
\t\t<notnull />
\t\t<default value="MD5" />
\t</field>
\t<field name="accesskey" type="C" size="36" />
\t<field name="theme" type="C" size="100" />
\t<field name="language" type="C" size="36" />
\t<field name="time_zone" type="C" size="200" />
\t<field name="currency_grouping_pattern" type="C" size="100" />
\t<field name="currency_decimal_separator" type="C" size="2" />
\t<field name="currency_grouping_separator" type="C" size="2" />
\t<field name="currency_symbol_placement" type="C" size="20" />

\t<index name="user_user_name_idx">
\t\t<col>user_name</col>
\t</index>
\t<index name="user_user_password_idx">
\t\t<col>user_password</col>
\t</index>
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
VTIGER_USERS_DDL = axmls_to_mysql(VTIGER_USERS_AXMLS)
