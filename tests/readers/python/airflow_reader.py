"""Airflow's own reading of airflow.cfg ``[smtp]``/``[email]`` and of the SMTP connection (run by the Airflow venv).

stdin: one request, ``{"home": DIR, "env": {NAME: value}, "mode": "read", "items": [{"config": PATH,
"env": {NAME: value}}, ...]}`` or ``{"home": DIR, "mode": "send", "config": PATH, "env": {...}, "to": ADDRESS}``.
``env`` is the services' environment (the connection file as its env-file reader gave it, ``AIRFLOW__*``
overrides, ``SSL_CERT_FILE``).

``read``: per item, a fresh ``AirflowConfigParser`` reads the file as ``load_standard_airflow_configuration``
does (``airflow/configuration.py``), and ``Connection.get_connection_from_secrets`` looks up the connection
``[email] email_conn_id`` names with the item's environment (the environment-variables backend comes first).
The values are what ``airflow/utils/email.py`` ``send_mime_email`` takes: ``conf.get``/``getint``/``getboolean``
of its options, ``[email]`` ``email_conn_id``/``ssl_context``/``email_backend``, and the connection's
``login``/``password`` (None when Airflow finds no connection: it then sends without a login).

``send``: Airflow reads its configuration at import (``AIRFLOW_CONFIG``), then ``airflow.utils.email.send_email``
(the backend ``[email] email_backend`` names, ``send_email_smtp`` by default) sends one message.

stdout (the last line; Airflow logs to stdout before it): a JSON list with, per item, ``{"values": {...}}`` or
``{"error": ...}`` when Airflow refuses the configuration.
"""

import json
import os
import sys


def _values(conf, connection_class, not_found):
    values = {
        "smtp_host": conf.get_mandatory_value("smtp", "SMTP_HOST"),
        "smtp_port": conf.getint("smtp", "SMTP_PORT"),
        "smtp_starttls": conf.getboolean("smtp", "SMTP_STARTTLS"),
        "smtp_ssl": conf.getboolean("smtp", "SMTP_SSL"),
        "smtp_mail_from": conf.get("smtp", "SMTP_MAIL_FROM"),
        "smtp_timeout": conf.getint("smtp", "SMTP_TIMEOUT"),
        "email_backend": conf.get("email", "EMAIL_BACKEND"),
        "email_conn_id": conf.get("email", "EMAIL_CONN_ID"),
        "ssl_context": conf.get("email", "SSL_CONTEXT"),
    }
    try:
        connection = connection_class.get_connection_from_secrets(values["email_conn_id"])
        values["login"], values["password"] = connection.login, connection.password
    except not_found:
        values["login"] = values["password"] = None
    return values


def _answer(function):
    try:
        return {"values": function()}
    except Exception as exc:  # what Airflow raises when it cannot use the configuration
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def main():
    request = json.loads(sys.stdin.read())
    os.environ.update(request.get("env") or {})
    os.environ["AIRFLOW_HOME"] = request["home"]
    # the metadata database is not ours to test (the fixture names a PostgreSQL server): a local SQLite file that
    # Airflow never opens, since the connection comes from the environment
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sqlite:///%s/airflow.db" % request["home"])
    if request["mode"] == "send":
        os.environ["AIRFLOW_CONFIG"] = request["config"]

        def send():
            from airflow.configuration import conf
            from airflow.exceptions import AirflowException
            from airflow.models import Connection
            from airflow.utils.email import send_email
            values = _values(conf, Connection, AirflowException)
            send_email(request["to"], "mailops reader", "<p>sent by Airflow</p>")
            values["sent"] = True
            return values
        answers = [_answer(send)]
    else:
        os.environ["AIRFLOW_CONFIG"] = os.path.join(request["home"], "unused.cfg")
        from airflow.configuration import AirflowConfigParser
        from airflow.exceptions import AirflowException
        from airflow.models import Connection
        answers = []
        for item in request["items"]:
            saved = dict(os.environ)
            os.environ.update(item.get("env") or {})

            def read(item=item):
                conf = AirflowConfigParser()
                conf.read(item["config"])
                return _values(conf, Connection, AirflowException)
            answers.append(_answer(read))
            os.environ.clear()
            os.environ.update(saved)
    sys.stdout.write("\n" + json.dumps(answers) + "\n")


if __name__ == "__main__":
    main()
