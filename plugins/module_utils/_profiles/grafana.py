# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Grafana: ``[smtp]`` in grafana.ini / custom.ini, read by go-ini, then Grafana's value expanders.

What Grafana reads (pkg/setting): ``ini.Load`` (go-ini default LoadOptions: inline comments at any ``#``/``;``,
continuation lines) of conf/defaults.ini, then the user's file, whose EMPTY values are skipped (the defaults.ini
value stays: ``from_name`` "Grafana", ``from_address`` "admin@grafana.localhost"), then ``$__env{}``, ``${}``,
``$__file{}`` and ``$__vault{}`` expansion in every value, then ``Key.String()``. See ``_goini.GrafanaCodec``.
The whole file goes through go-ini first: a line go-ini refuses in ANY section stops Grafana, so the module
refuses the file (``_goini.GoIniLayout``).
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    GO_STORE,
    SSL_CERT_FILE_GO,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniLayout, GrafanaCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    go_bool,
    join_host_port,
    split_host_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


GRAFANA_POLICY = {'starttls': 'MandatoryStartTLS', 'none': 'NoStartTLS'}


class GrafanaProfile(FileProfile):
    """Grafana ``[smtp]`` in grafana.ini / custom.ini (go-ini)."""

    name = 'grafana'
    label = 'Grafana'
    settings_location = '`grafana.ini` / `custom.ini`, section `[smtp]`'
    doc = (
        'C([smtp]) of C(grafana.ini) or C(custom.ini) (C(host) is C(host:port); implicit TLS on port 465 only; '
        'C(startTLS_policy)).'
    )
    service = 'grafana-server'
    # pkg/services/notifications/smtp.go (gopkg.in/mail.v2): MandatoryStartTLS required, implicit TLS only
    # on port 465, cert_file/key_file are a client certificate (no CA setting); CRAM-MD5, else PLAIN, else LOGIN.
    connection = Connection(ca_env=SSL_CERT_FILE_GO, trust=GO_STORE, mechanisms=('CRAM-MD5', 'PLAIN', 'LOGIN'),
                            senders=('From: from_address (from_name)', 'envelope: from_address'))
    stores_sender_name = True
    store_format = 'ini'
    section = 'smtp'
    secret_paths = (('smtp', 'password'),)
    owned_container = 'smtp'
    owned_keys = ('enabled', 'host', 'user', 'password', 'skip_verify', 'from_address', 'from_name', 'startTLS_policy')
    value_codec = GrafanaCodec()
    store_options = {'layout': GoIniLayout(continuation=True, app='Grafana')}
    codecs = {
        ('smtp', 'from_name'): GrafanaCodec(default='Grafana'),
        ('smtp', 'from_address'): GrafanaCodec(default='admin@grafana.localhost'),
    }

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        self.require_one_of_auth_user(settings)
        if settings.security == 'tls' and settings.port != 465:
            raise self.unsupported('security', 'Grafana does implicit TLS on port 465 only, not on port %d'
                                   % settings.port)
        if settings.port == 465 and settings.security != 'tls':
            raise self.unsupported('security', 'Grafana always uses implicit TLS on port 465, so security: %s '
                                   'is not possible there' % settings.security)

    def _get(self, store, key):
        return self.get(store, (self.section, key))

    def extract(self, store):
        host_port = self._get(store, 'host')
        if host_port is None:
            return None
        host, port = split_host_port(host_port)
        policy = self._get(store, 'startTLS_policy') or ''
        if port == 465:
            security = 'tls'
        elif policy == 'NoStartTLS':
            security = 'none'
        else:
            security = 'starttls'
        user = self._get(store, 'user') or None
        return stored_model(host=host, port=port if port is not None else 25, security=security,
                            validate_certs=not go_bool(self._get(store, 'skip_verify'), False),
                            auth=bool(user), username=user, password=self._get(store, 'password') or None,
                            from_email=self._get(store, 'from_address') or None,
                            from_name=self._get(store, 'from_name') or None)

    def apply(self, store, settings, stored, update_password):
        section = self.section
        self.put(store, (section, 'enabled'), 'true')
        self.put(store, (section, 'host'), join_host_port(settings.host, settings.port), option='server')
        if settings.auth:
            self.put(store, (section, 'user'), settings.username, option='username')
            self.put(store, (section, 'password'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.put(store, (section, 'user'), '', option='username')
            self.put(store, (section, 'password'), '', option='password')
        self.put(store, (section, 'skip_verify'), 'false' if settings.validate_certs else 'true',
                 option='validate_certs')
        if settings.from_email is not None:
            self.put(store, (section, 'from_address'), settings.from_email, option='from_email')
        if settings.from_name is not None:
            self.put(store, (section, 'from_name'), settings.from_name, option='from_name')
        if settings.security in GRAFANA_POLICY:
            self.put(store, (section, 'startTLS_policy'), GRAFANA_POLICY[settings.security], option='security')

    def remove(self, store):
        for key in self.owned_keys:
            self.drop(store, (self.section, key))
