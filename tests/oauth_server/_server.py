"""A real OAuth 2.0 authorization server on loopback (HTTPS), built on authlib's grant implementations.

It issues RFC 9068 JWT access tokens signed RS256 with a key of its own (``jwks()`` gives the public part, for
the SMTP sandbox to verify) for the client-credentials grant (``client_secret_basic``, ``client_secret_post``, and
certificate JWT client assertions, RFC 7523 §2.2), the refresh-token grant and the JWT bearer grant with a
``sub`` (RFC 7523 §2.1, Google's domain-wide delegation). Errors are answered the way Entra ID answers them:
``{"error", "error_description": "AADSTS<code>: ...", "error_codes": [<code>], "timestamp", "trace_id",
"correlation_id"}``.

The token endpoint is ``/<tenant>/oauth2/v2.0/token`` (Entra's v2.0 path); the audience of a token is the
scope's resource (``https://outlook.office365.com/.default`` -> ``https://outlook.office365.com``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import http.server
import json
import tempfile
import threading
import time
import uuid
from typing import Dict, List, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import KeySet, RSAKey

from smtp_sandbox._certs import server_context, write_cert_files

TENANT = "contoso.example"
OUTLOOK_SCOPE = "https://outlook.office365.com/.default"

# Entra ID's own words for the failures the tests provoke (AADSTS codes as Microsoft documents them).
ENTRA_ERRORS = {
    "bad_secret": (7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the "
                            "client secret value, not the client secret ID, for a secret added to app '%s'."),
    "unknown_client": (700016, "Application with identifier '%s' was not found in the directory '" + TENANT + "'."),
    "bad_assertion": (700027, "The certificate with identifier used to sign the client assertion is not registered "
                              "on application. [Reason - The key was not found.] App Id: %s"),
    "bad_refresh": (70000, "The provided value for the 'refresh_token' is not valid or has expired. Client app "
                           "ID: %s"),
    "unauthorized": (700016, "The application '%s' is not authorized to use this grant type."),
    "bad_scope": (70011, "The provided request must include a 'scope' input parameter. The provided value for the "
                         "input parameter 'scope' is not valid. Client: %s"),
}


def _resource(scope):
    first = (scope or "").split()[0] if scope else ""
    return first[: -len("/.default")] if first.endswith("/.default") else first


@dataclasses.dataclass
class TokenClient(ClientMixin):
    """A registered application. ``secret`` and/or ``certificate_pem`` (its public key verifies assertions);
    ``token_lifetime`` seconds (negative: tokens issued already expired); ``audience`` overrides the scope's
    resource (a token for the wrong API)."""

    client_id: str
    secret: Optional[str] = None
    certificate_pem: Optional[str] = None
    grant_types: List[str] = dataclasses.field(default_factory=lambda: ["client_credentials", "refresh_token"])
    token_lifetime: int = 3600
    audience: Optional[str] = None
    service_account: Optional[str] = None   # JWT bearer grant: the issuer (client_email) of its assertions
    default_scope: Optional[str] = None     # when the request names none (Google reads it from the assertion)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or self.default_scope

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return self.secret is not None and client_secret == self.secret

    def check_endpoint_auth_method(self, method, endpoint):
        if method in ("client_secret_basic", "client_secret_post"):
            return self.secret is not None
        if method == JWTBearerClientAssertion.CLIENT_AUTH_METHOD:
            return self.certificate_pem is not None
        return method == "none"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


@dataclasses.dataclass
class _RefreshToken(TokenMixin):
    token: str
    client_id: str
    user: str
    scope: str
    revoked: bool = False

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return 90 * 86400

    def is_expired(self):
        return False

    def is_revoked(self):
        return self.revoked


class _User:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    def get_user_id(self):
        return self.mailbox


class _Request(OAuth2Request):
    def __init__(self, method, uri, headers, form):
        super().__init__(method, uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self):
        return {}

    @property
    def form(self):
        return self._form


class _Server(AuthorizationServer):
    def __init__(self, sandbox):
        super().__init__()
        self.sandbox = sandbox

    def query_client(self, client_id):
        return self.sandbox.clients.get(client_id)

    def save_token(self, token, request):
        self.sandbox.issued.append(dict(client_id=request.client.client_id, grant=request.payload.grant_type))

    def send_signal(self, name, *args, **kwargs):
        return None

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers


class _TokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, sandbox):
        super().__init__(issuer=sandbox.issuer, alg="RS256")
        self.sandbox = sandbox

    def get_jwks(self):
        return KeySet.import_key_set(self.sandbox._private_jwks)

    def get_audiences(self, client, user, scope):
        return client.audience or _resource(scope)

    def _get_expires_in(self, client, grant_type):
        return client.token_lifetime


class _ClientAssertion(JWTBearerClientAssertion):
    def __init__(self, sandbox):
        super().__init__(validate_jti=True, leeway=60)
        self.sandbox = sandbox
        self.seen = set()

    def get_audiences(self):
        return [self.sandbox.token_url]

    def validate_jti(self, claims, jti):
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True

    def resolve_client_public_key(self, client):
        cert = x509.load_pem_x509_certificate(client.certificate_pem.encode())
        return RSAKey.import_key(cert.public_key().public_bytes(serialization.Encoding.PEM,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo))


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post",
                                   JWTBearerClientAssertion.CLIENT_AUTH_METHOD]


class _Refresh(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none",
                                   JWTBearerClientAssertion.CLIENT_AUTH_METHOD]

    def authenticate_refresh_token(self, refresh_token):
        token = self.server.sandbox.refresh_tokens.get(refresh_token)
        return token if token is not None and not token.revoked else None

    def authenticate_user(self, refresh_token):
        return _User(refresh_token.user)

    def revoke_old_credential(self, refresh_token):
        pass


class _JwtBearer(JWTBearerGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def get_audiences(self):
        return [self.server.sandbox.token_url]

    def resolve_issuer_client(self, issuer):
        for client in self.server.sandbox.clients.values():
            if client.service_account == issuer:
                return client
        return None

    def resolve_client_public_key(self, client):
        return self.server.sandbox._service_account_keys[client.client_id]

    def authenticate_user(self, subject):
        return _User(subject)

    def has_granted_permission(self, client, user):
        return user.mailbox in self.server.sandbox.delegations.get(client.client_id, [])


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def self_signed_certificate(key, name):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class AuthorizationServerSandbox:
    """``start()``/``stop()`` (or ``with``): an HTTPS token endpoint on 127.0.0.1 with the test CA's certificate.

    ``token_url``, ``ca_path``, ``jwks()``, ``add_client(TokenClient)``, ``add_refresh_token(client_id, user)``,
    ``add_service_account(client_id, subject_list)`` -> the Google-style key JSON; ``requests`` records each
    token request's grant_type and client authentication (never a secret)."""

    def __init__(self, tenant=TENANT):
        self.tenant = tenant
        self.clients: Dict[str, TokenClient] = {}
        self.refresh_tokens: Dict[str, _RefreshToken] = {}
        self.delegations: Dict[str, List[str]] = {}
        self._service_account_keys = {}
        self.issued = []
        self.requests = []
        self._signing_key = RSAKey.generate_key(2048, parameters={"kid": "sandbox-%s" % uuid.uuid4().hex[:8],
                                                                  "use": "sig", "alg": "RS256"})
        self._private_jwks = KeySet([self._signing_key]).as_dict(private=True)
        self._dir = tempfile.TemporaryDirectory(prefix="oauth-sandbox-")
        self._httpd = None
        self._thread = None
        self._last_basic_client = None

    # -- registry ---------------------------------------------------------------------------------------
    def add_client(self, client_id, **options):
        """Register an application (``TokenClient`` fields as keywords)."""
        client = TokenClient(client_id, **options)
        self.clients[client_id] = client
        return client

    @staticmethod
    def new_certificate(name):
        """(certificate PEM, private key PEM) of a new self-signed RSA certificate credential."""
        key = new_rsa_key()
        return self_signed_certificate(key, name), key_pem(key)

    def add_refresh_token(self, client_id, user, scope=OUTLOOK_SCOPE):
        token = generate_token(48)
        self.refresh_tokens[token] = _RefreshToken(token, client_id, user, scope)
        return token

    def add_service_account(self, client_id, mailboxes):
        """A service account key (Google's JSON form) whose JWT bearer grants may act as ``mailboxes``."""
        key = new_rsa_key()
        email = "%s@sandbox-project.iam.example" % client_id
        self.add_client(client_id, grant_types=[JWTBearerGrant.GRANT_TYPE], service_account=email,
                        default_scope="https://mail.google.com/")
        pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self._service_account_keys[client_id] = RSAKey.import_key(pub)
        self.delegations[client_id] = list(mailboxes)
        return json.dumps(dict(type="service_account", client_email=email, private_key_id=uuid.uuid4().hex,
                               private_key=key_pem(key), token_uri=self.token_url))

    def jwks(self):
        return KeySet([self._signing_key]).as_dict(private=False)

    def issue_access_token(self, client_id, lifetime=3600, audience="https://outlook.office365.com", sub=None):
        """A token signed by this server without a grant (for expired / wrong-audience ready tokens)."""
        from joserfc import jwt
        now = int(time.time())
        claims = dict(iss=self.issuer, sub=sub or client_id, aud=audience, client_id=client_id, iat=now,
                      exp=now + lifetime, jti=uuid.uuid4().hex, scope=OUTLOOK_SCOPE)
        return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": self._signing_key.kid}, claims, self._signing_key)

    def smtp_oauth(self, mailboxes, audience="https://outlook.office365.com"):
        """The SMTP sandbox's ``oauth`` setting: trust this server's tokens for ``audience``."""
        return dict(jwks=self.jwks(), issuer=self.issuer, audience=audience, mailboxes=dict(mailboxes),
                    scope=OUTLOOK_SCOPE)

    @property
    def issuer(self):
        return "https://127.0.0.1:%d/%s/v2.0" % (self.port, self.tenant)

    @property
    def token_url(self):
        return "https://127.0.0.1:%d/%s/oauth2/v2.0/token" % (self.port, self.tenant)

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self):
        paths = write_cert_files(self._dir.name, "ca")
        self.ca_path = paths["ca"]
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        context = server_context(paths["chain"], paths["key"])
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._authlib = _Server(self)
        self._authlib.register_token_generator("default", _TokenGenerator(self))
        self._authlib.register_client_auth_method(JWTBearerClientAssertion.CLIENT_AUTH_METHOD, _ClientAssertion(self))
        self._authlib.register_grant(_ClientCredentials)
        self._authlib.register_grant(_Refresh)
        self._authlib.register_grant(_JwtBearer)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oauth-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self._dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- the token endpoint -----------------------------------------------------------------------------
    def token_response(self, path, headers, body):
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        self.requests.append(dict(grant_type=form.get("grant_type"),
                                  client_auth="basic" if headers.get("Authorization", "").startswith("Basic ")
                                  else "assertion" if "client_assertion" in form
                                  else "post" if "client_secret" in form else "none"))
        if urlsplit(path).path != "/%s/oauth2/v2.0/token" % self.tenant:
            return self._entra_error(400, "invalid_request", 90002, "Tenant '%s' not found." % path, form)
        self._last_basic_client = _basic_client_id(headers)
        request = _Request("POST", "https://127.0.0.1:%d%s" % (self.port, path), headers, form)
        status, payload, _headers = self._authlib.create_token_response(request)
        if status >= 400 and form.get("grant_type") == JWTBearerGrant.GRANT_TYPE:
            return status, payload   # Google's endpoint answers in authlib's (RFC 6749 §5.2) plain form
        if status >= 400:
            return self._entra_reply(status, payload, form)
        return status, payload

    def _entra_reply(self, status, payload, form):
        error = payload.get("error")
        client_id = form.get("client_id") or self._last_basic_client
        kind = {"invalid_client": "bad_secret", "invalid_grant": "bad_refresh",
                "unauthorized_client": "unauthorized", "invalid_scope": "bad_scope"}.get(error, "bad_secret")
        if error == "invalid_client":
            if form.get("client_assertion"):
                kind = "bad_assertion"
            elif client_id not in self.clients:
                kind = "unknown_client"
        code, text = ENTRA_ERRORS[kind]
        return self._entra_error(status, error, code, text % client_id, form)

    def _entra_error(self, status, error, code, text, form):
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        description = "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
            code, text, trace, correlation, stamp)
        return status, dict(error=error, error_description=description, error_codes=[code], timestamp=stamp,
                            trace_id=trace, correlation_id=correlation)


def _basic_client_id(headers):
    value = headers.get("Authorization", "")
    if not value.startswith("Basic "):
        return None
    try:
        return unquote(base64.b64decode(value[6:]).decode("utf-8").partition(":")[0])
    except ValueError:
        return None


def _handler(sandbox):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            try:
                status, payload = sandbox.token_response(self.path, headers, body)
            except Exception as exc:  # a bug in the test server must show, not hang the client
                status, payload = 500, dict(error="server_error", error_description=repr(exc))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


__all__ = ["AuthorizationServerSandbox", "TokenClient", "new_rsa_key", "key_pem", "self_signed_certificate",
           "OUTLOOK_SCOPE", "TENANT"]
