"""SASL XOAUTH2 and OAUTHBEARER (RFC 7628) for the sandbox: bearer tokens verified against a JWKS.

A token is accepted when its RS256 signature verifies with a key of ``oauth["jwks"]``, it has not expired,
its ``aud`` is ``oauth["audience"]``, its ``iss`` is ``oauth["issuer"]`` (when given), and its ``sub`` may use the
mailbox the client named (``oauth["mailboxes"]``: ``{sub: [mailbox, ...]}``; a token whose ``sub`` is the
mailbox itself, as a delegated user token, is accepted too). A refused token gets the 334 challenge of
RFC 7628 §3.2.2 (base64 JSON ``{"status", "schemes", "scope"}``); after the client's dummy response
the sandbox answers ``535 5.7.8`` with the reason, as Gmail does.
"""

import base64
import json

OAUTH_INVALID = "535 5.7.8 Username and Password not accepted (OAuth 2.0 token refused: %s)"


def _claims_error(oauth, claims, mailbox):
    if oauth.get("issuer") and claims.get("iss") != oauth["issuer"]:
        return "wrong issuer"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if oauth.get("audience") not in audiences:
        return "wrong audience"
    subject = claims.get("sub")
    allowed = (oauth.get("mailboxes") or {}).get(subject, [])
    if mailbox != subject and mailbox not in allowed:
        return "token not valid for mailbox %s" % mailbox
    return None


def verify(oauth, token, mailbox):
    """(claims, None) for a good token, else (None, reason)."""
    # joserfc (authlib's JOSE library, requirements-dev.txt) is imported only by sandboxes that verify tokens.
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    try:
        decoded = jwt.decode(token, KeySet.import_key_set(oauth["jwks"]), algorithms=["RS256"])
    except (JoseError, ValueError) as exc:
        return None, "bad signature or format (%s)" % exc.__class__.__name__
    claims = decoded.claims
    try:
        jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    except JoseError as exc:
        return None, "expired" if "exp" in str(exc) or "expired" in str(exc).lower() else str(exc)
    reason = _claims_error(oauth, claims, mailbox)
    return (None, reason) if reason else (claims, None)


def parse_xoauth2(blob):
    """(mailbox, token) from the decoded XOAUTH2 response ``user=..^Aauth=Bearer ..^A^A``."""
    fields = dict(part.split("=", 1) for part in blob.decode("utf-8").split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    return fields.get("user"), auth[7:] if auth.startswith("Bearer ") else None


def parse_oauthbearer(blob):
    """(mailbox, token) from the decoded OAUTHBEARER response (RFC 7628 §3.1)."""
    text = blob.decode("utf-8")
    gs2, _sep, rest = text.partition("\x01")
    mailbox = None
    for item in gs2.split(","):
        if item.startswith("a="):
            mailbox = item[2:].replace("=2C", ",").replace("=3D", "=")
    fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    return mailbox, auth[7:] if auth.startswith("Bearer ") else None


def challenge(oauth):
    """The JSON error challenge of a refused token."""
    body = {"status": "401", "schemes": "Bearer", "scope": oauth.get("scope") or oauth.get("audience") or ""}
    return json.dumps(body, separators=(",", ":"))


def b64decode(text):
    return base64.b64decode(text.encode("ascii"), validate=True)
