# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How an application connects to its SMTP server, as data: one ``Connection`` per profile (``connection``).

DESIGN.md "The app connects the way it was tested": the SMTP test must connect as the app will, so each
profile declares, from the app's own source (cited in docs/apps.md "How the app connects"):

``security``       the modes the app's settings can express (``none``, ``starttls``, ``tls``);
``starttls``       what the written file makes the app do for ``security: starttls``: ``required`` (no
                   STARTTLS offered = no mail, as in the test) or ``opportunistic`` (the app goes on in clear
                   text when the server, or anyone in the path, hides STARTTLS);
``trust``          the trust store the app verifies the server with (text for the docs);
``ca_key``         where a CA file can be stored for the app (``ca_path`` is written there), or None: then
                   the app only trusts the host's store;
``ca_alone``       True when the stored CA file replaces the host's store (msmtp ``tls_trust_file``, Postfix
                   ``smtp_tls_CAfile``); False when it is added to it;
``mechanisms``     the AUTH mechanisms the app uses over TLS, in its order of preference;
``mechanism_order``  ``app`` (the app tries ``mechanisms`` in that order) or ``server`` (the app takes the first
                   mechanism the server lists that it knows: Go programs looping over the EHLO AUTH list);
``plaintext_mechanisms``  the same without TLS: ``()`` when the app refuses to log in without TLS, None when
                   it cannot send a login without TLS at all;
``senders``        which addresses the app sends as (the From header and the envelope sender), for the docs.

``check_connection(app, connection, settings)`` refuses, before anything is read or written, what the app would
do differently from the test; ``connection_warnings()`` says what is not refused (yet): ``ca_path`` for an app that
cannot store it, opportunistic STARTTLS with a login; ``test_mechanisms()`` gives the mechanisms the test may use.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError

ALL_MODES = ('none', 'starttls', 'tls')
REQUIRED = 'required'
OPPORTUNISTIC = 'opportunistic'
HOST_STORE = ('the host\'s trust store (OpenSSL\'s default paths: /etc/ssl/certs, or the files SSL_CERT_FILE '
              'and SSL_CERT_DIR name)')
GO_STORE = ('the host\'s trust store (Go crypto/x509: /etc/ssl/certs/ca-certificates.crt and the other system '
            'bundles, or SSL_CERT_FILE/SSL_CERT_DIR)')


class Connection(object):
    """One app's connection semantics (see the module docstring)."""

    __slots__ = ('security', 'starttls', 'trust', 'ca_key', 'ca_alone', 'mechanisms', 'plaintext_mechanisms',
                 'senders', 'mechanism_order')

    def __init__(self, security=ALL_MODES, starttls=REQUIRED, trust=HOST_STORE, ca_key=None, ca_alone=False,
                 mechanisms=('PLAIN', 'LOGIN', 'CRAM-MD5'), plaintext_mechanisms=None, senders=(),
                 mechanism_order='app'):
        self.security = tuple(security)
        self.starttls = starttls
        self.trust = trust
        self.ca_key = ca_key
        self.ca_alone = ca_alone
        self.mechanisms = tuple(mechanisms)
        self.plaintext_mechanisms = (self.mechanisms if plaintext_mechanisms is None
                                     else tuple(plaintext_mechanisms))
        self.senders = tuple(senders)
        self.mechanism_order = mechanism_order

    def as_dict(self):
        return dict((name, getattr(self, name)) for name in self.__slots__)


def check_connection(app, connection, settings):
    """Raise SettingsError for settings the app ``app`` would use differently from the SMTP test."""
    if settings is None or connection is None:
        return
    if settings.security == 'none' and settings.auth and not connection.plaintext_mechanisms:
        raise SettingsError('auth', 'auth: %s refuses to send a login over a connection without TLS (security: '
                            'none), so the test would pass where %s then fails; use security starttls or tls'
                            % (app, app))


def connection_warnings(app, connection, settings):
    """What the user must know about how ``app`` will use ``settings`` (said as warnings, nothing refused)."""
    if settings is None or connection is None:
        return []
    warnings = []
    if settings.ca_path and settings.validate_certs and connection.ca_key is None:
        warnings.append('ca_path: %s has no setting for a CA file and verifies the server with %s; the test trusted '
                        'ca_path, %s will not. For a private CA, install it in the host\'s trust store (Debian: '
                        '/usr/local/share/ca-certificates/NAME.crt, then update-ca-certificates), which the test '
                        'uses too.' % (app, connection.trust, app))
    if settings.security == 'starttls' and connection.starttls == OPPORTUNISTIC and settings.auth:
        alternative = ' (security: tls, implicit TLS, is always encrypted)' if 'tls' in connection.security else ''
        warnings.append('security: %s upgrades to STARTTLS only when the server offers it and has no setting that '
                        'requires it, so a server (or anyone in the path) that hides STARTTLS would receive the '
                        'password in clear text; the test required STARTTLS. Prefer a server that takes implicit '
                        'TLS%s.' % (app, alternative))
    return warnings


def test_mechanisms(connection, settings):
    """The AUTH mechanisms the test may use, in the app's order (None: the probe's own choice)."""
    if connection is None or settings is None:
        return None
    return connection.plaintext_mechanisms if settings.security == 'none' else connection.mechanisms
