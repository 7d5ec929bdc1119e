# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OAuth 2.0 for SMTP: the token grants the module runs itself, and the SASL initial responses.

Standard library only, and SELF-CONTAINED (no import from the collection): ``outgoing_server`` installs this
very file on the host as the msmtp token helper (``helper_source()``: ``python3 token_helper.py CONFIG.json``
prints a token; see ``helper_main()``), so the test and the app get their tokens the same way.

Grants (``request_token()``):
- ``client_credentials`` with ``client_secret`` (``client_secret_post`` or ``client_secret_basic``, RFC 6749
  §2.3.1) or with a certificate: a signed JWT client assertion (RFC 7523 §2.2, ``private_key_jwt``) carrying
  the certificate's SHA-1 and SHA-256 thumbprints (``x5t``, ``x5t#S256``) as Entra ID wants them;
- ``refresh_token`` (RFC 6749 §6);
- the JWT bearer grant (RFC 7523 §2.1) of a service account key with ``subject`` (Google Workspace
  domain-wide delegation).

RS256 signatures need RSA, which the standard library does not have. The signer uses the ``cryptography``
package when it imports (most hosts with Ansible or pip have it), else the ``openssl`` command (present on
virtually every Linux host; the key goes to it as a 0600 file, never as an argument); with neither, a clear
error says what to install. Writing RSA in Python here would be a home-made crypto primitive: not an option.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from http.client import HTTPException, HTTPSConnection
from urllib.parse import urlencode, urlsplit

MICROSOFT_TOKEN_URL = 'https://login.microsoftonline.com/%s/oauth2/v2.0/token'  # noqa: S105 - a URL
MICROSOFT_SCOPE = 'https://outlook.office365.com/.default'
GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'  # noqa: S105 - a URL
GOOGLE_SCOPE = 'https://mail.google.com/'
PROVIDERS = ('microsoft', 'google')
MECHANISMS = ('xoauth2', 'oauthbearer')
CLIENT_AUTHENTICATIONS = ('client_secret_post', 'client_secret_basic')
JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
ASSERTION_LIFETIME = 300          # seconds a client assertion is valid (Entra ID accepts up to 10 minutes)
MAX_RESPONSE = 1024 * 1024        # bytes read from a token endpoint
# The options of ``oauth2`` that hold secrets (no_log; masked in every output).
SECRET_OPTIONS = ('access_token', 'client_secret', 'client_private_key', 'refresh_token', 'service_account_key')


class OAuthSettingsError(ValueError):
    """Bad ``oauth2`` input; ``option`` names it (``oauth2.client_secret``)."""

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option


class TokenError(Exception):
    """The grant failed. ``error``/``description``: the provider's own words (RFC 6749 §5.2); ``status``: the
    HTTP status; ``exc``: a network or TLS exception when no reply came."""

    def __init__(self, message, status=None, error=None, description=None, error_codes=None, exc=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.description = description
        self.error_codes = list(error_codes or [])
        self.exc = exc


class Token:
    """An access token and what is known about it (the token itself is a secret: never return it)."""

    def __init__(self, access_token, grant, token_url=None, expires_in=None, scope=None,
                 token_type='Bearer'):  # noqa: S107 - the token type's name
        self.access_token = access_token
        self.grant = grant
        self.token_url = token_url
        self.expires_in = expires_in
        self.scope = scope
        self.token_type = token_type

    def evidence(self):
        """What the probe returns about the token (no secret)."""
        return dict(grant=self.grant, token_url=self.token_url, expires_in=self.expires_in, scope=self.scope)


def _read_value(value):
    """PEM or JSON text as given, or the content of the file it names."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith('-----BEGIN') or text.startswith('{'):
        return value
    with open(os.path.expanduser(value), 'r') as handle:
        return handle.read()


def validate(oauth2):
    """Check an ``oauth2`` dict; return the grant name. Raises OAuthSettingsError naming the option."""
    def has(name):
        return bool(oauth2.get(name))

    mechanism = oauth2.get('mechanism')
    if mechanism is not None and mechanism not in MECHANISMS:
        raise OAuthSettingsError('oauth2.mechanism', 'oauth2.mechanism: %r is not one of %s'
                                 % (mechanism, ', '.join(MECHANISMS)))
    provider = oauth2.get('provider')
    if provider is not None and provider not in PROVIDERS:
        raise OAuthSettingsError('oauth2.provider', 'oauth2.provider: %r is not one of %s'
                                 % (provider, ', '.join(PROVIDERS)))
    client_auth = oauth2.get('client_authentication')
    if client_auth is not None and client_auth not in CLIENT_AUTHENTICATIONS:
        raise OAuthSettingsError('oauth2.client_authentication', 'oauth2.client_authentication: %r is not one of %s'
                                 % (client_auth, ', '.join(CLIENT_AUTHENTICATIONS)))
    grants = [name for name, wanted in (
        ('access_token', has('access_token')),
        ('refresh_token', has('refresh_token')),
        ('jwt_bearer', has('service_account_key')),
        ('client_credentials', has('client_secret') or has('client_certificate') or has('client_private_key')),
    ) if wanted]
    if not grants:
        raise OAuthSettingsError('oauth2', 'oauth2: give access_token, or a grant: client_id with client_secret or '
                                 'client_certificate + client_private_key, refresh_token, or service_account_key '
                                 'with subject')
    if len(grants) > 1 and grants != ['refresh_token', 'client_credentials']:   # a confidential client refreshes
        raise OAuthSettingsError('oauth2', 'oauth2: %s exclude each other (give one way to get the token)'
                                 % ' and '.join(grants))
    grant = grants[0]
    if grant == 'access_token':
        return grant
    if oauth2.get('token_url'):
        url = urlsplit(oauth2['token_url'])
        if url.scheme != 'https' or not url.hostname:
            raise OAuthSettingsError('oauth2.token_url', 'oauth2.token_url: must be an https:// URL (a token '
                                     'endpoint receives secrets)')
    elif provider == 'microsoft':
        if not has('tenant'):
            raise OAuthSettingsError('oauth2.tenant', 'oauth2.tenant: provider microsoft needs the tenant (its ID '
                                     'or a domain such as example.onmicrosoft.com)')
        if any(c in oauth2['tenant'] for c in '/?#@ '):
            raise OAuthSettingsError('oauth2.tenant', 'oauth2.tenant: %r is not a tenant ID or domain'
                                     % oauth2['tenant'])
    elif provider != 'google' and grant != 'jwt_bearer':
        raise OAuthSettingsError('oauth2.token_url', 'oauth2.token_url: required unless provider is microsoft or '
                                 'google')
    if grant == 'jwt_bearer':
        if not has('subject'):
            raise OAuthSettingsError('oauth2.subject', 'oauth2.subject: the JWT bearer grant of a service account '
                                     'needs the mailbox to act for (domain-wide delegation)')
        return grant
    if not has('client_id'):
        raise OAuthSettingsError('oauth2.client_id', 'oauth2.client_id: required for the %s grant' % grant)
    if 'client_credentials' in grants:
        if has('client_secret') and (has('client_certificate') or has('client_private_key')):
            raise OAuthSettingsError('oauth2', 'oauth2: client_secret and client_certificate exclude each other')
        if not has('client_secret') and not (has('client_certificate') and has('client_private_key')):
            raise OAuthSettingsError('oauth2.client_private_key', 'oauth2: a certificate credential needs both '
                                     'client_certificate and client_private_key')
    return grant


def token_url(oauth2):
    if oauth2.get('token_url'):
        return oauth2['token_url']
    if oauth2.get('provider') == 'microsoft':
        return MICROSOFT_TOKEN_URL % oauth2['tenant']
    return GOOGLE_TOKEN_URL


def default_scope(oauth2):
    if oauth2.get('scope'):
        return oauth2['scope']
    if oauth2.get('provider') == 'google':
        return GOOGLE_SCOPE
    return MICROSOFT_SCOPE if oauth2.get('provider') == 'microsoft' else None


# -- JWT (RFC 7519) and RS256 -----------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _sign_with_cryptography(key_pem, data):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    try:
        key = serialization.load_pem_private_key(key_pem.encode('utf-8'), password=None)
    except (ValueError, TypeError) as exc:
        raise OAuthSettingsError('oauth2.client_private_key', 'oauth2.client_private_key: cannot load the private '
                                 'key (%s); give an unencrypted PEM RSA key' % exc.__class__.__name__) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OAuthSettingsError('oauth2.client_private_key', 'oauth2.client_private_key: not an RSA key (RS256 '
                                 'needs RSA)')
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _sign_with_openssl(openssl, key_pem, data):
    fd, path = tempfile.mkstemp(prefix='mailops-smtp-key-', suffix='.pem')
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(key_pem)
        done = subprocess.run([openssl, 'dgst', '-sha256', '-sign', path],  # noqa: S603 - a fixed argv
                              input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False)
    finally:
        os.unlink(path)
    if done.returncode != 0 or not done.stdout:
        raise OAuthSettingsError('oauth2.client_private_key', 'oauth2.client_private_key: openssl could not sign '
                                 'with this key (an unencrypted PEM RSA key is needed)')
    return done.stdout


def sign_rs256(key_pem, data):
    """The RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of ``data``: ``cryptography``, else ``openssl``."""
    try:
        import cryptography  # noqa: F401 - availability check
    except ImportError:
        openssl = shutil.which('openssl')
        if openssl is None:
            raise OAuthSettingsError('oauth2.client_private_key', 'oauth2: signing the JWT assertion (RS256) needs '
                                     'the Python library cryptography (python3-cryptography) or the openssl '
                                     'command on the target host; install one of them') from None
        return _sign_with_openssl(openssl, key_pem, data)
    return _sign_with_cryptography(key_pem, data)


def signed_jwt(claims, key_pem, headers=None):
    header = dict(alg='RS256', typ='JWT')
    header.update(headers or {})
    signing_input = ('%s.%s' % (b64url(json.dumps(header, separators=(',', ':')).encode('utf-8')),
                                b64url(json.dumps(claims, separators=(',', ':')).encode('utf-8')))).encode('ascii')
    return signing_input.decode('ascii') + '.' + b64url(sign_rs256(key_pem, signing_input))


def certificate_thumbprints(cert_pem):
    """(x5t, x5t#S256): base64url SHA-1 and SHA-256 of the certificate's DER form (RFC 7515 §4.1.7-8)."""
    try:
        der = ssl.PEM_cert_to_DER_cert(cert_pem.strip().split('-----END CERTIFICATE-----')[0]
                                       + '-----END CERTIFICATE-----\n')
    except (ValueError, IndexError):
        raise OAuthSettingsError('oauth2.client_certificate', 'oauth2.client_certificate: not a PEM '
                                 'certificate') from None
    return b64url(hashlib.sha1(der).digest()), b64url(hashlib.sha256(der).digest())  # noqa: S324 - x5t is SHA-1


def client_assertion(oauth2, url, now=None):
    """The signed JWT that authenticates the client with its certificate (RFC 7523 §2.2)."""
    now = int(now if now is not None else time.time())
    x5t, x5t256 = certificate_thumbprints(_read_value(oauth2['client_certificate']))
    claims = dict(aud=url, iss=oauth2['client_id'], sub=oauth2['client_id'], jti=str(uuid.uuid4()),
                  nbf=now, iat=now, exp=now + ASSERTION_LIFETIME)
    return signed_jwt(claims, _read_value(oauth2['client_private_key']), {'x5t': x5t, 'x5t#S256': x5t256})


def service_account_assertion(oauth2, url, scope, now=None):
    """The JWT bearer grant's assertion for a service account key acting as ``subject`` (RFC 7523 §2.1)."""
    now = int(now if now is not None else time.time())
    try:
        key = json.loads(_read_value(oauth2['service_account_key']))
        email, private_key = key['client_email'], key['private_key']
    except (ValueError, KeyError, TypeError):
        raise OAuthSettingsError('oauth2.service_account_key', 'oauth2.service_account_key: expected a service '
                                 'account key (JSON with client_email and private_key)') from None
    claims = dict(iss=email, sub=oauth2['subject'], aud=url, iat=now, exp=now + 3600)
    if scope:
        claims['scope'] = scope
    headers = {'kid': key['private_key_id']} if key.get('private_key_id') else None
    return signed_jwt(claims, private_key, headers)


# -- the token request ------------------------------------------------------------------------------------

def token_form(oauth2, grant, url, scope):
    """(form fields, extra headers) of the token request."""
    headers = {}
    if grant == 'jwt_bearer':
        form = dict(grant_type=JWT_BEARER, assertion=service_account_assertion(oauth2, url, scope))
        return form, headers
    form = dict(grant_type=grant)
    if grant == 'refresh_token':
        form['refresh_token'] = oauth2['refresh_token']
    if scope:
        form['scope'] = scope
    if oauth2.get('client_certificate'):
        form.update(client_id=oauth2['client_id'], client_assertion_type=CLIENT_ASSERTION_TYPE,
                    client_assertion=client_assertion(oauth2, url))
    elif oauth2.get('client_secret') and oauth2.get('client_authentication') == 'client_secret_basic':
        from urllib.parse import quote
        pair = '%s:%s' % (quote(oauth2['client_id'], safe=''), quote(oauth2['client_secret'], safe=''))
        headers['Authorization'] = 'Basic ' + base64.b64encode(pair.encode('utf-8')).decode('ascii')
    else:
        form['client_id'] = oauth2['client_id']
        if oauth2.get('client_secret'):
            form['client_secret'] = oauth2['client_secret']
    return form, headers


def _error_reply(body):
    try:
        data = json.loads(body.decode('utf-8', 'replace'))
    except ValueError:
        return None, None, []
    if not isinstance(data, dict):
        return None, None, []
    codes = data.get('error_codes') if isinstance(data.get('error_codes'), list) else []
    return (str(data['error']) if data.get('error') else None,
            str(data['error_description']) if data.get('error_description') else None, codes)


def _post(url, data, headers, timeout, context):
    """(status, body) of an HTTPS POST (no redirects: a token request goes where it was configured)."""
    parts = urlsplit(url)
    path = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    connection = HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout,
                                 context=context or ssl.create_default_context())
    try:
        connection.request('POST', path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_RESPONSE)
    except (OSError, HTTPException) as exc:
        raise TokenError('cannot reach the token endpoint: %s' % exc, exc=exc) from None
    finally:
        connection.close()


def request_token(oauth2, timeout=10.0, context=None):
    """Run the grant ``oauth2`` describes; return a ``Token``. Raises TokenError (the provider's words) or
    OAuthSettingsError."""
    grant = validate(oauth2)
    if grant == 'access_token':
        return Token(oauth2['access_token'], grant)
    url = token_url(oauth2)
    scope = default_scope(oauth2)
    form, headers = token_form(oauth2, grant, url, scope)
    headers.update({'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json',
                    'User-Agent': 'mailops.smtp'})
    status, body = _post(url, urlencode(form).encode('ascii'), headers, timeout, context)
    if status >= 300:   # an error, or a redirect (not followed: the secrets would go elsewhere)
        error, description, codes = _error_reply(body)
        raise TokenError('HTTP %d %s' % (status, error or 'error'), status=status, error=error,
                         description=description, error_codes=codes)
    try:
        data = json.loads(body.decode('utf-8'))
        access_token = data['access_token']
    except (ValueError, KeyError, TypeError):
        raise TokenError('the token endpoint answered HTTP %d without an access_token' % status,
                         status=status) from None
    if not isinstance(access_token, str) or not access_token or any(c in access_token for c in '\r\n\x00\x01'):
        raise TokenError('the token endpoint answered with an unusable access_token', status=status)
    expires_in = data.get('expires_in')
    try:
        expires_in = int(expires_in) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_in = None
    return Token(access_token, grant, url, expires_in, data.get('scope') or scope, data.get('token_type') or 'Bearer')


# -- SASL (RFC 7628 OAUTHBEARER, Google/Microsoft XOAUTH2) -----------------------------------------------

def xoauth2_response(username, access_token):
    """The XOAUTH2 initial response, base64: ``user=<mailbox>^Aauth=Bearer <token>^A^A``."""
    raw = 'user=%s\x01auth=Bearer %s\x01\x01' % (username, access_token)
    return base64.b64encode(raw.encode('utf-8')).decode('ascii')


def oauthbearer_response(username, access_token, host, port):
    """The OAUTHBEARER initial response, base64 (RFC 7628 §3.1: GS2 header, host, port, auth)."""
    user = username.replace('=', '=3D').replace(',', '=2C')
    raw = 'n,a=%s,\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01' % (user, host, port, access_token)
    return base64.b64encode(raw.encode('utf-8')).decode('ascii')


def secret_forms(oauth2, username=None, access_token=None, host=None, ports=()):
    """Every secret of ``oauth2`` and the token, and the encodings this collection sends, for scrubbing."""
    forms = set()
    for name in SECRET_OPTIONS:
        value = (oauth2 or {}).get(name)
        if value:
            forms.add(value)
            forms.add(base64.b64encode(value.encode('utf-8')).decode('ascii'))
    if access_token:
        forms.add(access_token)
        forms.add(base64.b64encode(access_token.encode('utf-8')).decode('ascii'))
        if username is not None:
            forms.add(xoauth2_response(username, access_token))
            for port in ports:
                forms.add(oauthbearer_response(username, access_token, host or '', port))
    forms.update(f.rstrip('=') for f in list(forms) if f.endswith('='))
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def decode_challenge(line):
    """The JSON a server sends in its 334 challenge after a refused token (RFC 7628 §3.2.2), or None."""
    try:
        data = json.loads(base64.b64decode(line.strip(), validate=True).decode('utf-8'))
    except (ValueError, UnicodeError):
        return None
    return _printable(data) if isinstance(data, dict) else None


def _printable(value):
    """``value`` (decoded JSON) with the control characters of every string written as visible escapes."""
    from ansible_collections.mailops.smtp.plugins.module_utils._printable import escape_controls
    if isinstance(value, dict):
        return {escape_controls(str(k)): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return escape_controls(value) if isinstance(value, str) else value


# -- the msmtp token helper (python3 _oauth2.py CONFIG.json) ----------------------------------------------

REFRESH_MARGIN = 120   # seconds before expiry at which a cached token is renewed


def _helper_context(config):
    context = ssl.create_default_context()
    if config.get('ca_path'):
        context.load_verify_locations(cafile=config['ca_path'])
    return context


def helper_token(config_path, now=None):
    """A token for the helper's config: the cached one until REFRESH_MARGIN before it expires, else a new one
    (cached 0600 beside the config)."""
    now = time.time() if now is None else now
    with open(config_path, 'r') as handle:
        config = json.load(handle)
    cache_path = config_path + '.token'
    try:
        with open(cache_path, 'r') as handle:
            cached = json.load(handle)
        if cached.get('expires_at', 0) - REFRESH_MARGIN > now and cached.get('access_token'):
            return cached['access_token']
    except (OSError, ValueError):
        pass
    token = request_token(config['oauth2'], timeout=float(config.get('timeout') or 30), context=_helper_context(config))
    if token.expires_in:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(cache_path)), prefix='.token-')
        with os.fdopen(fd, 'w') as handle:
            json.dump(dict(access_token=token.access_token, expires_at=now + token.expires_in), handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, cache_path)
    return token.access_token


# What the installed helper file adds to this module's text (a module_utils file itself never exits).
HELPER_MAIN = "\n\nif __name__ == '__main__':\n    sys.exit(helper_main(sys.argv))\n"


def helper_source():
    """The text of the token helper the module installs: this file plus its entry point."""
    import importlib
    module = importlib.import_module(__name__)
    return module.__loader__.get_source(__name__).rstrip('\n') + '\n' + HELPER_MAIN


def helper_main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s CONFIG.json (prints an OAuth 2.0 access token)\n' % argv[0])
        return 2
    try:
        token = helper_token(argv[1])
    except TokenError as exc:
        words = ': '.join(p for p in (exc.error, exc.description) if p) or str(exc)
        sys.stderr.write('mailops.smtp token helper: the OAuth 2.0 grant failed (%s): %s\n'
                         % ('HTTP %d' % exc.status if exc.status else 'no reply', words))
        return 1
    except (OAuthSettingsError, OSError, ValueError, KeyError) as exc:
        sys.stderr.write('mailops.smtp token helper: %s\n' % exc)
        return 1
    sys.stdout.write(token + '\n')
    return 0
