"""test_senders: the addresses an app sends as, tried in one session (one AUTH, RSET between) before test_sender."""

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from probe_call import probe_call


CRM = "crm@example.test"
PASSWORD = "s3nders-pass"
FAST = dict(timeout=3, deadline=8, suggest=False, ehlo_name="app01.example.test")


def probe(sb, **options):
    return probe_call(sb.server, username=CRM, password=PASSWORD, test_recipient="someone@example.org", **FAST,
                      **options)


def test_the_refused_sender_is_named_and_the_others_were_tried_in_the_same_session(smtp_sandbox):
    sb = smtp_sandbox(users={CRM: PASSWORD}, failure="sender_not_owned",
                      allowed_senders={CRM: [CRM, "bob@example.test"]})
    result = probe(sb, test_senders=["bob@example.test", "ann@example.test", CRM])
    diagnosis = result["diagnosis"]
    assert (diagnosis["category"], diagnosis["stage"], diagnosis["sender"]) == (
        "sender_not_permitted", "mail", "ann@example.test")
    assert "ann@example.test" in diagnosis["hint"] and "Send As" in diagnosis["hint"]
    assert "from_email" in diagnosis["hint"]
    commands = sb.wait_sessions_closed(1)[0]["commands"]
    assert sum(c.startswith("AUTH") for c in commands) == 1
    mails = [c for c in commands if c.startswith(("MAIL", "RCPT", "RSET"))]
    assert mails == ["MAIL FROM:<bob@example.test>", "RCPT TO:<someone@example.org>", "RSET",
                     "MAIL FROM:<ann@example.test>"]
    assert result["probe"]["test_senders"] == ["bob@example.test", "ann@example.test"]  # crm is test_sender


def test_all_senders_accepted_then_the_test_sender_goes_to_data(smtp_sandbox):
    sb = smtp_sandbox(users={CRM: PASSWORD}, failure="sender_not_owned",
                      allowed_senders={CRM: [CRM, "bob@example.test"]})
    result = probe(sb, test_senders=["bob@example.test"])
    assert result["ok"], result["msg"]
    commands = sb.wait_sessions_closed(1)[0]["commands"]
    assert [c for c in commands if c.startswith(("MAIL", "RSET", "DATA"))] == [
        "MAIL FROM:<bob@example.test>", "RSET", "MAIL FROM:<crm@example.test>", "DATA"]


def test_an_empty_list_turns_the_check_off(smtp_sandbox):
    sb = smtp_sandbox(users={CRM: PASSWORD}, failure="sender_not_owned")
    assert probe(sb, test_senders=[])["ok"]


@pytest.mark.parametrize("value", ["ann@example.test", ["not an address"], ["a@example.test\r\nRCPT TO:<x@y>"]])
def test_bad_test_senders_name_the_option(value, smtp_sandbox):
    sb = smtp_sandbox(users={CRM: PASSWORD})
    with pytest.raises(SettingsError) as info:
        probe(sb, test_senders=value)
    assert info.value.option == "test_senders"
    assert sb.connections_accepted == 0
