# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Nextcloud: the ``$CONFIG`` array of config/config.php."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection, OPPORTUNISTIC
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import TypedCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import php_truthy, to_port
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


NC_VAR = 'CONFIG'
NC_NO_VERIFY = {'ssl': {'verify_peer': False, 'verify_peer_name': False, 'allow_self_signed': True}}


class NextcloudProfile(FileProfile):
    """Nextcloud ``config/config.php`` ``$CONFIG`` array (PHP types)."""

    name = 'nextcloud'
    label = 'Nextcloud'
    settings_location = '`config/config.php` (`$CONFIG` array)'
    doc = (
        'the C($CONFIG) array of C(config/config.php) (C(mail_smtp*) keys with PHP types, C(mail_from_address) + '
        'C(mail_domain), C(mail_smtpstreamoptions) when O(validate_certs=false)). Nextcloud cannot turn STARTTLS '
        'off, so O(security=none) is refused; it has no sender name.'
    )
    # lib/private/Mail/Mailer.php -> Symfony Mailer EsmtpTransport: STARTTLS whenever offered (autoTls, no
    # requirement), 'ssl' implicit TLS; authenticators CRAM-MD5, LOGIN, PLAIN in that order.
    connection = Connection(security=('starttls', 'tls'), starttls=OPPORTUNISTIC,
                            mechanisms=('CRAM-MD5', 'LOGIN', 'PLAIN'),
                            senders=('From: mail_from_address@mail_domain', 'envelope: the same address'))
    store_format = 'php'
    syntax_check = (('php',), ('-l',), 'config.php')
    secret_paths = ((NC_VAR, 'mail_smtppassword'),)
    owned_keys = ('mail_smtpmode', 'mail_smtphost', 'mail_smtpport', 'mail_smtpsecure', 'mail_smtpauth',
                  'mail_smtpname', 'mail_smtppassword', 'mail_from_address', 'mail_domain',
                  'mail_smtpstreamoptions')
    value_codec = TypedCodec('PHP')

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if settings.security == 'none':
            raise self.unsupported('security', 'Nextcloud always uses STARTTLS when the server offers it '
                                   '(it cannot be turned off since Nextcloud 26); use starttls or tls')
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Nextcloud has no sender-name setting (it uses the instance name)')

    def _get(self, store, key):
        return self.get(store, (NC_VAR, key))

    def extract(self, store):
        later = store.later_uses(NC_VAR)
        if later:
            # PHP runs those statements after the array: what Nextcloud reads is not in the array alone
            raise StoreError('$%s is changed again after its array (line %s): the module cannot tell what '
                             'Nextcloud reads; merge those settings into the array' % (NC_VAR, later[0]))
        host = self._get(store, 'mail_smtphost')
        if host is None:
            return None
        port = to_port(self._get(store, 'mail_smtpport'))
        secure = self._get(store, 'mail_smtpsecure') or ''
        security = 'tls' if secure == 'ssl' else 'starttls'
        options = self._get(store, 'mail_smtpstreamoptions')
        validate = True
        if isinstance(options, dict) and isinstance(options.get('ssl'), dict):
            if options['ssl'].get('verify_peer') is False or options['ssl'].get('verify_peer_name') is False:
                validate = False
        auth = php_truthy(self._get(store, 'mail_smtpauth'))
        local = self._get(store, 'mail_from_address')
        domain = self._get(store, 'mail_domain')
        from_email = '%s@%s' % (local, domain) if local and domain else None
        return stored_model(host=str(host), port=port if port is not None else 25, security=security,
                            validate_certs=validate, auth=auth, username=self._get(store, 'mail_smtpname') or None,
                            password=self._get(store, 'mail_smtppassword') or None, from_email=from_email)

    def apply(self, store, settings, stored, update_password):
        self.put(store, (NC_VAR, 'mail_smtpmode'), 'smtp')
        self.put(store, (NC_VAR, 'mail_smtphost'), settings.host, option='server')
        self.put(store, (NC_VAR, 'mail_smtpport'), settings.port, option='port')
        self.put(store, (NC_VAR, 'mail_smtpsecure'), 'ssl' if settings.security == 'tls' else '', option='security')
        self.put(store, (NC_VAR, 'mail_smtpauth'), bool(settings.auth), option='auth')
        if settings.auth:
            self.put(store, (NC_VAR, 'mail_smtpname'), settings.username, option='username')
            self.put(store, (NC_VAR, 'mail_smtppassword'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.put(store, (NC_VAR, 'mail_smtpname'), '', option='username')
            self.put(store, (NC_VAR, 'mail_smtppassword'), '', option='password')
        if settings.from_email is not None:
            local, _sep, domain = settings.from_email.rpartition('@')
            self.put(store, (NC_VAR, 'mail_from_address'), local, option='from_email')
            self.put(store, (NC_VAR, 'mail_domain'), domain, option='from_email')
        options = self._get(store, 'mail_smtpstreamoptions')
        if not settings.validate_certs:
            if not (isinstance(options, dict) and options.get('ssl') == NC_NO_VERIFY['ssl']):
                self.put(store, (NC_VAR, 'mail_smtpstreamoptions'), NC_NO_VERIFY)
        elif isinstance(options, dict) and isinstance(options.get('ssl'), dict):
            ssl_options = options['ssl']
            if any(ssl_options.get(key) is NC_NO_VERIFY['ssl'][key] for key in ('verify_peer', 'verify_peer_name')):
                self.drop(store, (NC_VAR, 'mail_smtpstreamoptions'))

    def remove(self, store):
        for key in self.owned_keys:
            self.drop(store, (NC_VAR, key))
