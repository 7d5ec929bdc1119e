# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Known mail providers' endpoints and the advisories that apply to a login there, as data.

Every module returns ``auth_method``, ``provider`` and ``advisories`` for the settings it looked at (the test's
settings, the stored ones in ``outgoing_server_info``, the ones now stored in ``outgoing_server``), so an audit can
say which hosts will break before they do.

``PROVIDERS`` maps host names to a provider: ``submission`` endpoints take a login from clients, ``relay`` endpoints
take mail from allowed networks or connectors (Microsoft 365's ``*.mail.protection.outlook.com`` is the tenant's
inbound MX: a connector or direct send, no SMTP AUTH there, so Basic authentication retiring does not touch it).
Patterns are shell-style (``*`` matches any run of characters), matched case-insensitively on the ASCII host name.

``ADVISORIES`` says when an advisory applies: to which providers, endpoint kinds and ways of logging in.
"""

from __future__ import annotations

import fnmatch

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers

AUTH_METHODS = ('password', 'oauth2', 'none')

PROVIDERS = (
    dict(id='microsoft365', name='Microsoft 365 (Exchange Online)',
         submission=('smtp.office365.com', 'smtp-legacy.office365.com'),
         relay=('*.mail.protection.outlook.com',)),
    dict(id='outlook_com', name='Outlook.com', submission=('smtp-mail.outlook.com',)),
    dict(id='google', name='Google (Gmail, Google Workspace)', submission=('smtp.gmail.com',),
         relay=('smtp-relay.gmail.com',)),
    dict(id='yahoo', name='Yahoo Mail', submission=('smtp.mail.yahoo.com',)),
    dict(id='icloud', name='iCloud Mail', submission=('smtp.mail.me.com',)),
    dict(id='fastmail', name='Fastmail', submission=('smtp.fastmail.com',)),
    dict(id='zoho', name='Zoho Mail', submission=('smtp.zoho.*', 'smtppro.zoho.*')),
    dict(id='amazon_ses', name='Amazon SES',
         submission=('email-smtp.*.amazonaws.com', 'email-smtp-fips.*.amazonaws.com')),
    dict(id='sendgrid', name='SendGrid', submission=('smtp.sendgrid.net',)),
    dict(id='mailgun', name='Mailgun', submission=('smtp.mailgun.org', 'smtp.eu.mailgun.org')),
    dict(id='postmark', name='Postmark', submission=('smtp.postmarkapp.com', 'smtp-broadcasts.postmarkapp.com')),
    dict(id='brevo', name='Brevo', submission=('smtp-relay.brevo.com', 'smtp-relay.sendinblue.com')),
)

ADVISORIES = (
    dict(id='basic_auth_retiring', severity='warning', since='2026-12-31',
         providers=('microsoft365',), kinds=('submission',), auth_methods=('password',),
         message='%(host)s takes a password login (Basic authentication) that Microsoft disables by default for '
                 'existing Exchange Online tenants at the end of December 2026 (an admin can re-enable it for a '
                 'while; the final removal date is to be announced in the second half of 2027). The login will '
                 'then fail with 550 5.7.30: move this app to OAuth 2.0 (oauth2) or to a relay (docs/m365.md).'),
)

SEVERITIES = ('info', 'warning', 'critical')
ADVISORY_IDS = tuple(advisory['id'] for advisory in ADVISORIES)


def endpoint(host):
    """``(provider id, kind)`` of a known endpoint (kind ``submission`` or ``relay``), or ``(None, None)``."""
    name = (host or '').strip().rstrip('.').lower()
    if not name:
        return None, None
    for provider in PROVIDERS:
        for kind in ('submission', 'relay'):
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in provider.get(kind, ())):
                return provider['id'], kind
    return None, None


def auth_method(auth=None, username=None, oauth2=None):
    """``oauth2`` when an OAuth 2.0 setting is given, ``password`` for a login with a user name, else ``none``."""
    if oauth2:
        return 'oauth2'
    if auth is None:
        auth = bool(username)
    return 'password' if auth and username else 'none'


def audit(hosts, method):
    """``{auth_method, provider, advisories}`` for a login by ``method`` to ``hosts`` (the main server first).

    ``provider`` is the first known provider among the hosts (None when none is known); ``advisories`` lists
    each advisory once, for the first host it applies to.
    """
    provider = None
    advisories = []
    for host in hosts or ():
        provider_id, kind = endpoint(host)
        if provider_id is None:
            continue
        provider = provider or provider_id
        for advisory in ADVISORIES:
            if (provider_id in advisory['providers'] and kind in advisory['kinds']
                    and method in advisory['auth_methods']
                    and advisory['id'] not in [a['id'] for a in advisories]):
                advisories.append(dict(id=advisory['id'], severity=advisory['severity'],
                                       message=advisory['message'] % dict(host=host), since=advisory['since']))
    return dict(auth_method=method, provider=provider, advisories=advisories)


def audit_settings(settings, oauth2=None):
    """``audit()`` of a ``_settings.Settings`` (None: nothing configured); ``oauth2`` when the settings lack it."""
    if settings is None:
        return audit((), 'none')
    oauth2 = getattr(settings, 'oauth2', None) or oauth2
    return audit([spec.ascii_host for spec in settings.servers],
                 auth_method(settings.auth, settings.username, oauth2))


def audit_stored(stored):
    """``audit()`` of a stored model dict (what the app uses now; None or no server: nothing configured)."""
    if not stored or not (stored.get('host') or stored.get('server')):
        return audit((), 'none')
    try:
        hosts = [spec.ascii_host for spec in parse_servers(stored.get('server') or stored['host'])]
    except SettingsError:  # a stored value the server syntax refuses: judge by the stored host alone
        hosts = [stored.get('host')]
    oauth2 = stored.get('oauth2') or stored.get('auth_method') == 'oauth2'
    return audit(hosts, auth_method(stored.get('auth'), stored.get('username'), oauth2))
