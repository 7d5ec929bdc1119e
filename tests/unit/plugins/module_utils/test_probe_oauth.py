"""The SMTP test with OAuth 2.0 (XOAUTH2, OAUTHBEARER) against real parts: the loopback authorization server
(authlib, Entra-style errors) issues the tokens, and the SMTP sandbox verifies them against its JWKS
(signature, expiry, audience, mailbox)."""

import base64
import json

import pytest
from probe_call import probe_call

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError

MAILBOX = "crm@example.test"
SECRET = "Cl13nt~Secret.Value-1234"
FAST = dict(timeout=5, deadline=20)


def oauth_sandbox(smtp_sandbox, oauth_server, audience="https://outlook.office365.com", **extra):
    mailboxes = {"app-secret": [MAILBOX], "app-cert": [MAILBOX], "app-expired": [MAILBOX], "app-graph": [MAILBOX]}
    return smtp_sandbox(security="starttls", oauth=oauth_server.smtp_oauth(mailboxes, audience), **extra)


def run(sb, oauth2, **kwargs):
    kwargs.setdefault("level", "auth")
    return probe_call(sb.server, ca_path=sb.ca_path, username=MAILBOX, oauth2=oauth2, **dict(FAST, **kwargs))


def sent_auth_lines(sb):
    """The AUTH lines the sandbox received (base64 as sent): they must never show in any result."""
    lines = [c for s in sb.sessions for c in s["commands"] if c.upper().startswith("AUTH ")]
    assert lines, "no AUTH was sent"
    return [line.split(" ", 2)[2] for line in lines]


def assert_no_secret(result, sb, *secrets):
    text = json.dumps(result)
    for initial in sent_auth_lines(sb):
        assert initial not in text and initial.rstrip("=") not in text
        raw = base64.b64decode(initial).decode()
        token = raw.split("auth=Bearer ", 1)[1].split("\x01", 1)[0]
        assert token not in text
        for part in token.split("."):
            assert part not in text
    for secret in secrets:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode().rstrip("=") not in text


@pytest.fixture
def entra(oauth_server):
    oauth_server.add_client("app-secret", secret=SECRET)
    return oauth_server


def microsoft(server, **oauth2):
    return dict(dict(provider="microsoft", tenant=server.tenant, token_url=server.token_url), **oauth2)


@pytest.mark.parametrize("client_authentication", ["client_secret_post", "client_secret_basic"])
def test_client_credentials_with_a_secret_pass_with_xoauth2(smtp_sandbox, entra, client_authentication):
    sb = oauth_sandbox(smtp_sandbox, entra)
    result = run(sb, microsoft(entra, client_id="app-secret", client_secret=SECRET,
                               client_authentication=client_authentication), level="envelope")
    assert result["ok"] is True, result["msg"]
    assert result["probe"]["auth_mechanism"] == "XOAUTH2"
    assert result["probe"]["oauth2"]["grant"] == "client_credentials"
    assert entra.requests[-1] == {"grant_type": "client_credentials",
                                  "client_auth": "basic" if client_authentication.endswith("basic") else "post"}
    session = sb.sessions[0]
    assert session["authenticated_as"] == MAILBOX and session["oauth_claims"]["sub"] == "app-secret"
    assert session["oauth_claims"]["aud"] == "https://outlook.office365.com"
    assert_no_secret(result, sb, SECRET)


def test_a_certificate_signs_the_client_assertion(smtp_sandbox, oauth_server):
    certificate, private = oauth_server.new_certificate("app-cert")
    oauth_server.add_client("app-cert", certificate_pem=certificate)
    sb = oauth_sandbox(smtp_sandbox, oauth_server)
    result = run(sb, microsoft(oauth_server, client_id="app-cert", client_certificate=certificate,
                               client_private_key=private))
    assert result["ok"] is True, result["msg"]
    assert oauth_server.requests[-1]["client_auth"] == "assertion"
    assert_no_secret(result, sb, private.splitlines()[5])


def test_a_refresh_token_gets_a_user_token_and_oauthbearer_carries_it(smtp_sandbox, entra):
    refresh = entra.add_refresh_token("app-secret", MAILBOX)
    sb = oauth_sandbox(smtp_sandbox, entra)
    result = run(sb, microsoft(entra, client_id="app-secret", client_secret=SECRET, refresh_token=refresh,
                               mechanism="oauthbearer"))
    assert result["ok"] is True, result["msg"]
    assert result["probe"]["auth_mechanism"] == "OAUTHBEARER"
    assert result["probe"]["oauth2"]["grant"] == "refresh_token"
    assert sb.sessions[0]["oauth_claims"]["sub"] == MAILBOX
    assert_no_secret(result, sb, SECRET, refresh)


def test_a_service_account_acts_for_the_mailbox_with_the_jwt_bearer_grant(smtp_sandbox, oauth_server):
    key_json = oauth_server.add_service_account("svc-google", [MAILBOX])
    sb = oauth_sandbox(smtp_sandbox, oauth_server, audience="https://mail.google.com/")
    result = run(sb, dict(provider="google", token_url=oauth_server.token_url, service_account_key=key_json,
                          subject=MAILBOX))
    assert result["ok"] is True, result["msg"]
    assert sb.sessions[0]["oauth_claims"]["sub"] == MAILBOX
    assert_no_secret(result, sb, json.loads(key_json)["private_key"].splitlines()[3])


def test_a_wrong_secret_fails_at_stage_token_with_entra_s_words(smtp_sandbox, entra):
    sb = oauth_sandbox(smtp_sandbox, entra)
    wrong = "not-the-secret-Value"
    result = run(sb, microsoft(entra, client_id="app-secret", client_secret=wrong))
    diagnosis = result["diagnosis"]
    assert result["ok"] is False and diagnosis["stage"] == "token" and diagnosis["category"] == "auth_failed"
    assert diagnosis["server_message"].startswith("invalid_client: AADSTS7000215: Invalid client secret provided")
    assert "Value" in diagnosis["hint"] and "Secret ID" in diagnosis["hint"]
    assert result["probe"]["oauth2"]["http_status"] == 401
    assert sb.sessions == [] and sb.connections_accepted == 0      # no SMTP before the token
    assert wrong not in json.dumps(result)


def test_an_expired_token_is_refused_by_the_server_and_its_challenge_decoded(smtp_sandbox, entra):
    entra.add_client("app-expired", secret=SECRET, token_lifetime=-600)
    sb = oauth_sandbox(smtp_sandbox, entra)
    result = run(sb, microsoft(entra, client_id="app-expired", client_secret=SECRET))
    diagnosis = result["diagnosis"]
    assert diagnosis["stage"] == "auth" and diagnosis["category"] == "auth_failed"
    assert "expired" in diagnosis["server_message"] and "status=401" in diagnosis["server_message"]
    assert "OAuth 2.0 token" in diagnosis["hint"]
    assert result["probe"]["auth_challenge"]["status"] == "401"
    assert len([c for c in sb.sessions[0]["commands"] if c.upper().startswith("AUTH")]) == 1   # one attempt
    assert_no_secret(result, sb, SECRET)


def test_a_token_for_another_api_is_refused_for_its_audience(smtp_sandbox, entra):
    entra.add_client("app-graph", secret=SECRET, audience="https://graph.microsoft.com")
    sb = oauth_sandbox(smtp_sandbox, entra)
    result = run(sb, microsoft(entra, client_id="app-graph", client_secret=SECRET), transcript="always")
    diagnosis = result["diagnosis"]
    assert (diagnosis["stage"], diagnosis["category"]) == ("auth", "auth_failed")
    assert "wrong audience" in diagnosis["server_message"] and "audience" in diagnosis["hint"]
    assert any("AUTH XOAUTH2 ********" in line for line in result["probe"]["transcript"])
    assert_no_secret(result, sb, SECRET)


def test_a_ready_access_token_is_used_as_given(smtp_sandbox, oauth_server):
    token = oauth_server.issue_access_token("app-secret")
    sb = oauth_sandbox(smtp_sandbox, oauth_server)
    result = run(sb, dict(access_token=token), level="envelope", transcript="always")
    assert result["ok"] is True, result["msg"]
    assert oauth_server.requests == []
    assert_no_secret(result, sb, token)


def test_the_token_endpoint_unreachable_is_a_connection_failure_at_stage_token(smtp_sandbox, oauth_server):
    sb = oauth_sandbox(smtp_sandbox, oauth_server)
    url = oauth_server.token_url
    oauth_server.stop()
    result = run(sb, dict(token_url=url, client_id="app-secret", client_secret=SECRET))
    assert (result["diagnosis"]["stage"], result["diagnosis"]["category"]) == ("token", "connection_refused")


def test_a_server_without_oauth_mechanisms_is_auth_not_offered(smtp_sandbox, oauth_server):
    sb = smtp_sandbox(security="starttls", users={MAILBOX: "pw"})
    result = run(sb, dict(access_token=oauth_server.issue_access_token("x")))
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("auth_not_offered", "auth")
    assert "XOAUTH2" in result["diagnosis"]["hint"]


@pytest.mark.parametrize("oauth2, extra, option", [
    (dict(access_token="t"), dict(password="pw"), "oauth2"),
    (dict(client_id="a", client_secret="s"), {}, "oauth2.token_url"),
    (dict(provider="microsoft", client_id="a", client_secret="s"), {}, "oauth2.tenant"),
    (dict(provider="microsoft", tenant="t", client_secret="s"), {}, "oauth2.client_id"),
    (dict(token_url="http://login.example/token", client_id="a", client_secret="s"), {}, "oauth2.token_url"),
    (dict(token_url="https://login.example/token", client_id="a", client_certificate="x"), {},
     "oauth2.client_private_key"),
    (dict(provider="google", service_account_key="{}"), {}, "oauth2.subject"),
    (dict(access_token="t", refresh_token="r"), {}, "oauth2"),
    (dict(access_token="a\r\nb"), {}, "oauth2.access_token"),
    (dict(access_token="t", mechanism="plain"), {}, "oauth2.mechanism"),
    (dict(access_token="t\x01auth=Bearer x"), {}, "oauth2"),
])
def test_bad_oauth2_input_names_the_option(oauth2, extra, option):
    with pytest.raises(SettingsError) as info:
        probe_call("tls://127.0.0.1:1", level="auth", username=MAILBOX, oauth2=oauth2, **extra)
    assert info.value.option == option
    assert "a\r\nb" not in str(info.value)


def test_provider_shortcuts_name_the_real_endpoints():
    from ansible_collections.mailops.smtp.plugins.module_utils import _oauth2
    ms = dict(provider="microsoft", tenant="contoso.onmicrosoft.com")
    assert _oauth2.token_url(ms) == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert _oauth2.default_scope(ms) == "https://outlook.office365.com/.default"
    assert _oauth2.token_url(dict(provider="google")) == "https://oauth2.googleapis.com/token"
    assert _oauth2.default_scope(dict(provider="google")) == "https://mail.google.com/"


def test_the_openssl_fallback_signs_exactly_as_cryptography(monkeypatch, oauth_server):
    """RS256 (PKCS#1 v1.5) is deterministic: the openssl command and the cryptography library must agree."""
    import sys

    from ansible_collections.mailops.smtp.plugins.module_utils import _oauth2
    _certificate, private = oauth_server.new_certificate("signer")
    data = b"header.claims"
    with_library = _oauth2.sign_rs256(private, data)
    monkeypatch.setitem(sys.modules, "cryptography", None)   # import fails: the openssl command signs
    assert _oauth2.sign_rs256(private, data) == with_library
    monkeypatch.setattr(_oauth2.shutil, "which", lambda name: None)
    with pytest.raises(_oauth2.OAuthSettingsError) as info:
        _oauth2.sign_rs256(private, data)
    assert "cryptography" in str(info.value) and "openssl" in str(info.value)


def test_every_app_that_stores_a_password_only_refuses_oauth2_naming_itself(tmp_path):
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import APPS, get_profile
    from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params
    settings = settings_from_params(dict(server="tls://smtp.office365.com:587", username=MAILBOX,
                                         oauth2=dict(access_token="a-ready-token")))
    refused = []
    for app in sorted(set(APPS) - {"msmtp", "postfix"}):
        params = dict(app=app, path=str(tmp_path / "config"), environment="default", account="default")
        if app == "generic":
            params.update(format="ini", keys={})
        with pytest.raises(SettingsError) as info:
            get_profile(app)(None, params).check(settings, "present")
        assert info.value.option == "oauth2", (app, str(info.value))
        assert ("%s cannot log in with OAuth 2.0" % app) in str(info.value)
        refused.append(app)
    assert len(refused) >= 12
