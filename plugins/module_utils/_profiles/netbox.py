# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""NetBox ``configuration.py``: the ``EMAIL = {...}`` dict literal, as NetBox's settings.py maps it onto Django.

NetBox imports ``configuration.py`` as a Python module and its ``settings.py`` reads ``EMAIL`` key by key
(netbox-community/netbox ``netbox/netbox/settings.py``, "Email"): ``EMAIL_HOST = EMAIL.get('SERVER')``,
``EMAIL_PORT`` from ``PORT`` (default 25), ``EMAIL_HOST_USER``/``EMAIL_HOST_PASSWORD`` from ``USERNAME``/
``PASSWORD``, ``EMAIL_USE_SSL``/``EMAIL_USE_TLS`` from ``USE_SSL``/``USE_TLS`` (default False), ``EMAIL_TIMEOUT``
from ``TIMEOUT`` and ``SERVER_EMAIL`` from ``FROM_EMAIL``. Django's SMTP backend logs in only when both the user
and the password are non-empty, refuses ``USE_SSL`` with ``USE_TLS``, and checks the certificate against the
system's trust store with no setting to turn that off (``SSL_CERTFILE``/``SSL_KEYFILE`` are a client certificate,
not a CA, and are left alone, like ``TIMEOUT``).
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection, SSL_CERT_FILE_PYTHON
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import TypedCodec
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model

EMAIL = 'EMAIL'
OWNED = ('SERVER', 'PORT', 'USERNAME', 'PASSWORD', 'USE_SSL', 'USE_TLS', 'FROM_EMAIL')


class NetboxProfile(FileProfile):
    """NetBox ``EMAIL`` in ``configuration.py`` (a Python-literal store)."""

    name = 'netbox'
    # netbox/netbox/settings.py hands EMAIL to Django's settings; Django django/core/mail/backends/smtp.py:
    # USE_TLS calls starttls() (an error when not offered), USE_SSL is SMTP_SSL, the host store (no CA setting);
    # smtplib.login() tries CRAM-MD5, PLAIN, LOGIN.
    connection = Connection(ca_env=SSL_CERT_FILE_PYTHON, mechanisms=('CRAM-MD5', 'PLAIN', 'LOGIN'),
                            senders=('From: FROM_EMAIL (SERVER_EMAIL)', 'envelope: the address of FROM_EMAIL'))
    label = 'NetBox'
    settings_location = '`netbox/netbox/configuration.py`, the `EMAIL` dict'
    doc = (
        "the C(EMAIL) dict of NetBox's C(configuration.py) (C(SERVER), C(PORT), C(USERNAME), C(PASSWORD), "
        'C(USE_SSL), C(USE_TLS), C(FROM_EMAIL)), edited in place as Python literals; every other assignment and '
        'comment stays. A C(EMAIL) that is not a plain dict literal (built from C(os.environ), changed later in '
        'the file) is refused. Django checks certificates with the system trust store, so O(validate_certs=false) '
        'is refused; no sender name. Restart NetBox to apply.'
    )
    service = 'netbox'
    store_format = 'python'
    owned_container = EMAIL
    owned_keys = OWNED
    value_codec = TypedCodec('Python')
    secret_paths = ((EMAIL, 'PASSWORD'),)

    def _get(self, store, key):
        return self.get(store, (EMAIL, key))

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if not settings.validate_certs:
            raise self.unsupported('validate_certs', "Django's SMTP backend always checks the server certificate "
                                   'and NetBox has no setting to turn that off')
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'NetBox sends from FROM_EMAIL alone and has no sender-name setting')

    def extract(self, store):
        host = self._get(store, 'SERVER')
        if not host or not isinstance(host, str):
            return None
        port = self._get(store, 'PORT')
        port = 25 if port is None else port
        if isinstance(port, bool) or not isinstance(port, int):
            port = None  # Django needs an integer port: anything else is drift, rewritten
        use_ssl, use_tls = bool(self._get(store, 'USE_SSL')), bool(self._get(store, 'USE_TLS'))
        security = None if use_ssl and use_tls else 'tls' if use_ssl else 'starttls' if use_tls else 'none'
        user, password = self._get(store, 'USERNAME'), self._get(store, 'PASSWORD')
        auth = bool(user) and bool(password)
        return stored_model(host=host, port=port, security=security, validate_certs=True, auth=auth,
                            username=user if isinstance(user, str) and user else None,
                            password=password if isinstance(password, str) and password else None,
                            from_email=self._get(store, 'FROM_EMAIL') or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, (EMAIL, 'SERVER'), settings.host, option='server')
        self.put(store, (EMAIL, 'PORT'), settings.port, option='port')
        self.put(store, (EMAIL, 'USE_SSL'), settings.security == 'tls', option='security')
        self.put(store, (EMAIL, 'USE_TLS'), settings.security == 'starttls', option='security')
        if settings.auth:
            self.put(store, (EMAIL, 'USERNAME'), settings.username, option='username')
            self.put(store, (EMAIL, 'PASSWORD'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.put(store, (EMAIL, 'USERNAME'), '', option='username')
            self.put(store, (EMAIL, 'PASSWORD'), '', option='password')
        if settings.from_email is not None:
            self.put(store, (EMAIL, 'FROM_EMAIL'), settings.from_email, option='from_email')

    def remove(self, store):
        for key in OWNED:
            self.drop(store, (EMAIL, key))
