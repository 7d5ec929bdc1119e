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
                   the app only trusts the host's store, and ``ca_path`` is refused (the test would trust a CA
                   the app does not);
``ca_env``         for an app without ``ca_key``: the environment variable its TLS library reads a CA bundle
                   from (``SSL_CERT_FILE``, from the app's source), or None when none is known to reach it;
``ca_alone``       True when the stored CA file replaces the host's store (msmtp ``tls_trust_file``, Postfix
                   ``smtp_tls_CAfile``); False when it is added to it;
``auto_starttls``  True when, with ``security: none``, the app's mail library upgrades to STARTTLS by itself
                   whenever the server offers it (coreBOS: PHPMailer's SMTPAutoTLS, which coreBOS never turns
                   off): the test does the same, verifying the certificate as the app will;
``mechanisms``     the AUTH mechanisms the app uses over TLS, in its order of preference;
``mechanism_order``  ``app`` (the app tries ``mechanisms`` in that order) or ``server`` (the app takes the first
                   mechanism the server lists that it knows: Go programs looping over the EHLO AUTH list);
``plaintext_mechanisms``  the same without TLS: ``()`` when the app refuses to log in without TLS, None when
                   it cannot send a login without TLS at all;
``senders``        which addresses the app sends as (the From header and the envelope sender), for the docs.

``check_connection(app, connection, settings)`` refuses, before anything is read or written, what the app would
do differently from the test (``ca_path`` for an app that cannot store it: ``check_ca_path``);
``connection_warnings()`` says what is not refused: opportunistic STARTTLS with a login; ``test_mechanisms()``
gives the mechanisms the test may use.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError

ALL_MODES = ('none', 'starttls', 'tls')
REQUIRED = 'required'
OPPORTUNISTIC = 'opportunistic'
# ca_env: (variable, why it reaches the app), from the app's TLS library.
SSL_CERT_FILE_GO = ('SSL_CERT_FILE', 'Go crypto/x509 root_unix.go reads it in place of the system bundle')
SSL_CERT_FILE_PYTHON = ('SSL_CERT_FILE', 'Python\'s ssl.create_default_context loads OpenSSL\'s default paths, '
                        'whose CA file SSL_CERT_FILE replaces')
SSL_CERT_FILE_TWISTED = ('SSL_CERT_FILE', 'Twisted\'s optionsForClientTLS trusts platformTrust(), pyOpenSSL\'s '
                         'set_default_verify_paths, which reads it')
SSL_CERT_FILE_RUBY = ('SSL_CERT_FILE', 'Ruby OpenSSL\'s default cert store (set_default_paths) reads it')
HOST_STORE = ('the host\'s trust store (OpenSSL\'s default paths: /etc/ssl/certs, or the files SSL_CERT_FILE '
              'and SSL_CERT_DIR name)')
GO_STORE = ('the host\'s trust store (Go crypto/x509: /etc/ssl/certs/ca-certificates.crt and the other system '
            'bundles, or SSL_CERT_FILE/SSL_CERT_DIR)')


class Connection(object):
    """One app's connection semantics (see the module docstring)."""

    __slots__ = ('security', 'starttls', 'trust', 'ca_key', 'ca_alone', 'ca_env', 'auto_starttls', 'mechanisms',
                 'plaintext_mechanisms', 'senders', 'mechanism_order')

    def __init__(self, security=ALL_MODES, starttls=REQUIRED, trust=HOST_STORE, ca_key=None, ca_alone=False,
                 ca_env=None, auto_starttls=False, mechanisms=('PLAIN', 'LOGIN', 'CRAM-MD5'), plaintext_mechanisms=None,
                 senders=(), mechanism_order='app'):
        self.security = tuple(security)
        self.starttls = starttls
        self.trust = trust
        self.ca_key = ca_key
        self.ca_alone = ca_alone
        self.ca_env = ca_env
        self.auto_starttls = auto_starttls
        self.mechanisms = tuple(mechanisms)
        self.plaintext_mechanisms = (self.mechanisms if plaintext_mechanisms is None
                                     else tuple(plaintext_mechanisms))
        self.senders = tuple(senders)
        self.mechanism_order = mechanism_order

    def as_dict(self):
        return dict((name, getattr(self, name)) for name in self.__slots__)


def check_ca_path(app, connection, ca_path):
    """Refuse ``ca_path`` for an app that has no setting for a CA file (the test would trust it, the app not)."""
    if not ca_path or connection is None or connection.ca_key is not None:
        return
    env = ''
    if connection.ca_env:
        variable, why = connection.ca_env
        env = ('; or, where %s is started with it, %s naming a bundle of the system CAs and yours (%s), given to this '
               'task too (environment: %s)' % (app, variable, why, variable))
    message = ('ca_path: %s has no setting for a CA file and verifies the server with %s, so a test that trusted '
               'ca_path would pass where %s then fails. Install the private CA in the host\'s trust store instead '
               '(Debian: copy it to /usr/local/share/ca-certificates/NAME.crt and run update-ca-certificates)%s, and '
               'leave ca_path out: the test verifies with the default trust store, SSL_CERT_FILE included, as %s does'
               % (app, connection.trust, app, env, app))
    raise SettingsError('ca_path', message)


def check_connection(app, connection, settings):
    """Raise SettingsError for settings the app ``app`` would use differently from the SMTP test."""
    if settings is None or connection is None:
        return
    check_ca_path(app, connection, settings.ca_path)
    if settings.security == 'none' and settings.auth and not connection.plaintext_mechanisms:
        raise SettingsError('auth', 'auth: %s refuses to send a login over a connection without TLS (security: '
                            'none), so the test would pass where %s then fails; use security starttls or tls'
                            % (app, app))


def connection_warnings(app, connection, settings):
    """What the user must know about how ``app`` will use ``settings`` (said as warnings, nothing refused)."""
    if settings is None or connection is None:
        return []
    warnings = []
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
