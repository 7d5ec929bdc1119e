"""Known providers' endpoints and the advisories an audit shows for a login there."""

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._providers import (
    ADVISORIES,
    AUTH_METHODS,
    PROVIDERS,
    SEVERITIES,
    audit,
    audit_settings,
    audit_stored,
    auth_method,
    endpoint,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params, stored_model


@pytest.mark.parametrize("host,expected", [
    ("smtp.office365.com", ("microsoft365", "submission")),
    ("SMTP.Office365.COM.", ("microsoft365", "submission")),
    ("smtp-legacy.office365.com", ("microsoft365", "submission")),
    ("contoso-com.mail.protection.outlook.com", ("microsoft365", "relay")),
    ("smtp-mail.outlook.com", ("outlook_com", "submission")),
    ("smtp.gmail.com", ("google", "submission")),
    ("smtp-relay.gmail.com", ("google", "relay")),
    ("email-smtp.eu-west-1.amazonaws.com", ("amazon_ses", "submission")),
    ("smtp.zoho.eu", ("zoho", "submission")),
    ("smtp.sendgrid.net", ("sendgrid", "submission")),
    ("mail.example.com", (None, None)),
    ("office365.com.example.net", (None, None)),
    ("", (None, None)),
])
def test_endpoints_are_recognised_by_name(host, expected):
    assert endpoint(host) == expected


def test_a_password_login_to_microsoft_365_submission_is_retiring():
    result = audit(["smtp.office365.com"], "password")
    assert result["auth_method"] == "password" and result["provider"] == "microsoft365"
    (advisory,) = result["advisories"]
    assert advisory["id"] == "basic_auth_retiring"
    assert advisory["severity"] == "warning" and advisory["since"] == "2026-12-31"
    for words in ("smtp.office365.com", "December 2026", "oauth2", "relay", "5.7.30", "re-enable"):
        assert words in advisory["message"]


@pytest.mark.parametrize("hosts,method", [
    (["smtp.office365.com"], "oauth2"),                       # OAuth is the way forward
    (["smtp.office365.com"], "none"),                         # no login at all (it will fail, but not this way)
    (["contoso-com.mail.protection.outlook.com"], "password"),  # the connector relay takes no SMTP AUTH
    (["smtp.gmail.com"], "password"),
    (["mail.example.com"], "password"),
])
def test_no_retiring_advisory_elsewhere(hosts, method):
    assert audit(hosts, method)["advisories"] == []


def test_several_servers_report_the_first_known_provider_and_each_advisory_once():
    result = audit(["mail.example.com", "smtp.office365.com", "smtp-legacy.office365.com"], "password")
    assert result["provider"] == "microsoft365"
    assert [a["id"] for a in result["advisories"]] == ["basic_auth_retiring"]
    assert "smtp.office365.com" in result["advisories"][0]["message"]


@pytest.mark.parametrize("auth,username,oauth2,expected", [
    (None, "crm@example.com", None, "password"),
    (True, "crm@example.com", None, "password"),
    (False, "crm@example.com", None, "none"),
    (None, None, None, "none"),
    (None, "crm@example.com", {"access_token": "x"}, "oauth2"),
])
def test_auth_method(auth, username, oauth2, expected):
    assert auth_method(auth, username, oauth2) == expected
    assert expected in AUTH_METHODS


def test_desired_settings_are_audited():
    settings = settings_from_params(dict(server="tls://smtp.office365.com:587", username="crm@contoso.example",
                                         password="Secret-1"))
    result = audit_settings(settings)
    assert (result["auth_method"], result["provider"]) == ("password", "microsoft365")
    assert "Secret-1" not in repr(result)
    assert audit_settings(settings, oauth2={"provider": "microsoft"})["advisories"] == []
    assert audit_settings(None) == {"auth_method": "none", "provider": None, "advisories": []}


def test_stored_settings_are_audited():
    stored = stored_model(host="smtp.office365.com", port=587, security="starttls", auth=True,
                          username="crm@contoso.example", password="Secret-1")
    assert [a["id"] for a in audit_stored(stored)["advisories"]] == ["basic_auth_retiring"]
    stored_off = dict(stored, auth=False)
    assert audit_stored(stored_off)["auth_method"] == "none"
    assert audit_stored(None)["provider"] is None
    # an app storing an OAuth login (msmtp's auth xoauth2) is not retiring
    assert audit_stored(dict(stored, oauth2=True))["advisories"] == []


def test_data_is_well_formed():
    ids = [p["id"] for p in PROVIDERS]
    assert len(ids) == len(set(ids))
    for provider in PROVIDERS:
        assert set(provider) <= {"id", "name", "submission", "relay"} and provider["submission"]
    for advisory in ADVISORIES:
        assert advisory["severity"] in SEVERITIES
        assert set(advisory["providers"]) <= set(ids)
        assert set(advisory["auth_methods"]) <= set(AUTH_METHODS)
        assert advisory["message"].endswith(".")
