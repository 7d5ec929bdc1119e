# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Matrix Synapse: the ``email:`` section of homeserver.yaml.

What Synapse reads (element-hq/synapse ``synapse/config/emailconfig.py`` and ``synapse/handlers/send_email.py``,
modelled here; Synapse loads the file with PyYAML ``safe_load``):

* ``smtp_host`` (default ``localhost``), ``smtp_port`` (default 25, or 465 with ``force_tls``), an integer
  handed to Twisted's HostnameEndpoint;
* ``force_tls`` (Synapse 1.64+): implicit TLS. ``require_transport_security``: STARTTLS is required.
  ``enable_tls`` (default true): STARTTLS when the server offers it; false turns TLS off, and Synapse refuses to
  start when ``force_tls`` or ``require_transport_security`` is set with ``enable_tls: false``. Values are
  tested with Python truthiness;
* authentication is required whenever ``smtp_user`` is present (``smtp_pass`` is the password);
* certificates are always verified (``optionsForClientTLS``): there is no setting to turn that off, so
  ``validate_certs: false`` is refused. They are verified against ``tlsname`` when it is set,
  else against ``smtp_host``; the test verifies the server's own name, so this profile removes ``tlsname``
  (a stale one would make Synapse refuse a certificate the test accepted) and reads one that differs from
  ``smtp_host`` as drift;
* ``notif_from`` is the From header. At send time Synapse computes ``notif_from % {"app": app_name}``
  (``app_name`` default ``Matrix``): ``%(app)s`` becomes the app name and ``%%`` a single ``%``; a KeyError or
  TypeError leaves the text as it is, while any other ``%`` mistake (``100%``) raises and the mail is not
  sent. The envelope sender is ``email.utils.parseaddr`` of the result. So this profile writes a literal
  ``%`` as ``%%``, reads a stored value through the same rule (an existing ``%(app)s`` template is kept when
  it already yields the desired sender), and Synapse refuses to start with an ``email:`` section that has no
  ``notif_from``: a new section needs ``from_email``. Synapse sets ``notif_from`` as the From header of a
  ``MIMEMultipart`` (policy compat32), which encodes a non-ASCII header whole, address included: a non-ASCII
  sender name or address is refused.

Restart Synapse to apply.
"""

from __future__ import annotations

import email.utils

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    SSL_CERT_FILE_TWISTED,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    check_sender_name,
    format_from,
    is_ascii,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model

EMAIL = 'email'
SYNAPSE_OWNED = ('smtp_host', 'smtp_port', 'smtp_user', 'smtp_pass', 'force_tls', 'require_transport_security',
                 'enable_tls', 'tlsname')
DEFAULT_APP_NAME = 'Matrix'
# synapse/handlers/send_email.py: multipart_msg["From"] = from_string, then as_string() (policy compat32)
NON_ASCII_WHY = ('Synapse puts notif_from into its From header through Python\'s email package (compat32), which '
                 'encodes a header with non-ASCII characters as a whole, address included, as one encoded word, '
                 'so the mail has no valid From address')


def synapse_from(notif_from, app_name=DEFAULT_APP_NAME):
    """The From header Synapse sends for ``notif_from``, or None when Synapse cannot send with it."""
    if not isinstance(notif_from, str):
        return None
    try:
        return notif_from % {'app': app_name}
    except (KeyError, TypeError):
        return notif_from
    except ValueError:
        return None


class NotifFromCodec(Codec):
    """``notif_from``: decode = the (name, address) Synapse sends; encode = ``%`` doubled, so it survives."""

    def __init__(self, app_name=DEFAULT_APP_NAME):
        self.app_name = app_name

    def decode(self, stored):
        header = synapse_from(stored, self.app_name)
        if header is None:
            return (None, None)
        name, address = email.utils.parseaddr(header)
        return (name or None, address or None)

    def encode(self, value, option='from_email', app='synapse'):
        name, address = value
        return format_from(name, address).replace('%', '%%')


class SynapseProfile(FileProfile):
    """Matrix Synapse ``homeserver.yaml`` ``email:``."""

    name = 'synapse'
    owned_container = EMAIL
    owned_keys = SYNAPSE_OWNED + ('notif_from',)
    label = 'Matrix Synapse'
    settings_location = '`homeserver.yaml`, section `email`'
    doc = (
        "the C(email) section of Matrix Synapse's C(homeserver.yaml) (C(smtp_host), C(smtp_port), C(smtp_user), "
        'C(smtp_pass), C(force_tls), C(require_transport_security), C(enable_tls), C(notif_from) with C(%) written '
        'as C(%%) because Synapse formats it with V(%(app\\)s)); C(tlsname) is removed, so Synapse checks the name '
        'that was tested. Synapse always verifies certificates, so '
        'O(validate_certs=false) is refused, and it needs O(from_email) when the file has no C(notif_from). Restart '
        'Synapse to apply.'
    )
    service = 'matrix-synapse'
    # synapse/handlers/send_email.py (Twisted ESMTPSenderFactory): require_transport_security makes STARTTLS
    # required, force_tls is implicit TLS; optionsForClientTLS uses the host store; no CA setting.
    connection = Connection(ca_env=SSL_CERT_FILE_TWISTED, mechanisms=('CRAM-MD5', 'LOGIN', 'PLAIN'),
                            senders=('From: notif_from (%(app)s filled in)', 'envelope: the address of notif_from'))
    stores_sender_name = True
    store_format = 'yaml'
    secret_paths = ((EMAIL, 'smtp_pass'),)

    def _get(self, store, key):
        return self.get(store, (EMAIL, key))

    def _use_app_name(self, store):
        """Bind the notif_from codec to the file's ``app_name`` (what ``%(app)s`` becomes)."""
        app_name = self.get(store, (EMAIL, 'app_name'))
        self.codecs = {(EMAIL, 'notif_from'): NotifFromCodec(DEFAULT_APP_NAME if app_name is None else app_name)}

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if not settings.validate_certs:
            raise self.unsupported('validate_certs', 'Synapse always verifies the SMTP server certificate and has '
                                   'no setting to turn that off')
        for option in ('from_name', 'from_email'):
            value = getattr(settings, option)
            if value is not None and not is_ascii(value):
                raise self.unsupported(option, NON_ASCII_WHY + '; use ASCII')

    def extract(self, store):
        self._use_app_name(store)
        section = self.get(store, (EMAIL,))
        if not isinstance(section, dict) or not section:
            return None
        host = self._get(store, 'smtp_host')
        force_tls = bool(self._get(store, 'force_tls'))
        port = self._get(store, 'smtp_port')
        if port is None:
            port = 465 if force_tls else 25
        elif isinstance(port, bool) or not isinstance(port, int):
            port = None  # Twisted needs an integer port: anything else is drift, rewritten
        enable_tls = self._get(store, 'enable_tls')
        enable_tls = True if enable_tls is None else bool(enable_tls)
        if force_tls:
            security = 'tls'
        elif enable_tls:
            security = 'starttls'
        else:
            security = 'none'
        user = self._get(store, 'smtp_user')
        password = self._get(store, 'smtp_pass')
        notif = self._get(store, 'notif_from') or (None, None)
        host = str(host) if host is not None else 'localhost'
        tlsname = self._get(store, 'tlsname')
        # send_email.py: the certificate is checked against tlsname when set: another name than the server's
        # is not the check the test makes (drift, rewritten without tlsname)
        verified_as_host = tlsname is None or security == 'none' or str(tlsname) == host
        return stored_model(host=host, port=port, security=security,
                            validate_certs=True if verified_as_host else None, auth=user is not None,
                            username=str(user) if user is not None and user != '' else None,
                            password=password if isinstance(password, str) and password else None,
                            from_email=notif[1], from_name=notif[0])

    def apply(self, store, settings, stored, update_password):
        self._use_app_name(store)
        self.put(store, (EMAIL, 'smtp_host'), settings.host, option='server')
        self.drop(store, (EMAIL, 'tlsname'))  # Synapse then verifies smtp_host's name, as the test did
        self.put(store, (EMAIL, 'smtp_port'), settings.port, option='port')
        if settings.security == 'tls':
            self.put(store, (EMAIL, 'force_tls'), True, option='security')
            self.drop(store, (EMAIL, 'require_transport_security'))
        else:
            self.drop(store, (EMAIL, 'force_tls'))
            if settings.security == 'starttls':
                self.put(store, (EMAIL, 'require_transport_security'), True, option='security')
            else:
                self.drop(store, (EMAIL, 'require_transport_security'))
        enable_tls = self._get(store, 'enable_tls')
        if settings.security == 'none':
            self.put(store, (EMAIL, 'enable_tls'), False, option='security')
        elif enable_tls is not None and not enable_tls:
            self.put(store, (EMAIL, 'enable_tls'), True, option='security')
        if settings.auth:
            self.put(store, (EMAIL, 'smtp_user'), settings.username, option='username')
            self.put(store, (EMAIL, 'smtp_pass'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.drop(store, (EMAIL, 'smtp_user'))
            self.drop(store, (EMAIL, 'smtp_pass'))
        current_name, current_address = self._get(store, 'notif_from') or (None, None)
        address = settings.from_email or current_address
        if not address:
            raise self.unsupported('from_email', 'Synapse refuses to start when the email section has no '
                                   'notif_from; give from_email')
        name = settings.from_name if settings.from_name is not None else current_name
        if (name, address) != (current_name, current_address):
            if settings.from_name is None:
                check_sender_name(name, self.name, given=False)
            for option, value, given in (('from_name', name, settings.from_name),
                                         ('from_email', address, settings.from_email)):
                if given is None and value is not None and not is_ascii(value):
                    raise self.unsupported(option, 'the stored value is not ASCII: %s; give %s'
                                           % (NON_ASCII_WHY, option))
        self.put(store, (EMAIL, 'notif_from'), (name or None, address), option='from_name')

    def remove(self, store):
        for key in SYNAPSE_OWNED:
            self.drop(store, (EMAIL, key))
