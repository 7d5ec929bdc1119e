"""Fleet-scale testing: credential sets, the carrier election, and what a carrier's result means for its set."""

import json

import pytest

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_test import (
    classify_full_test,
    credential_set,
    elect,
    set_verdict,
)

PASSWORD = "Sh@red-Relay-Pass"
BASE = dict(username="apps@example.com", password=PASSWORD, test="envelope")
PASSED = {"changed": False, "ok": True, "msg": "SMTP test passed",
          "probe": {"level": "envelope", "stages": [{"stage": "auth", "reply": "235 2.7.0 Authentication successful"},
                                                    {"stage": "data", "reply": "354 End data with <CR><LF>.<CR><LF>"}]}}


def failed_at(stage, category, code=None):
    return {"changed": False, "ok": False, "msg": "SMTP test failed at stage %s\nmore" % stage,
            "diagnosis": {"category": category, "stage": stage, "smtp_code": code, "server_message": "refused",
                          "hint": "do something"},
            "probe": {"transcript": ["C: AUTH PLAIN ********"]}}


@pytest.mark.parametrize(("one", "other", "same"), [
    # The same endpoint spelled differently is the same set.
    (dict(server="tls://smtp.example.com:587"), dict(server="smtp.example.com", port=587, security="starttls"), True),
    (dict(server="smtp.example.com"), dict(server="SMTP.example.com"), True),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", port=2525), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", password="other"), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", username="ops@example.com"), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", test_sender="crm@example.com"), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", test="auth"), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", ehlo_name="web1.example.com"), False),
    (dict(server="smtp.example.com"), dict(server="smtp.example.com", test_senders=["ann@example.com"]), False),
    (dict(server="smtp.example.com", test_senders=[]), dict(server="smtp.example.com"), False),
    (dict(server="smtp.example.com", test_senders=["ann@example.com"]),
     dict(server="smtp.example.com", test_senders=["bob@example.com"]), False),
    (dict(server="smtp.example.com", test_senders=["ann@example.com"]),
     dict(server="smtp.example.com", test_senders=["ann@example.com"]), True),
])
def test_credential_set_key_compares_what_the_full_test_sends(one, other, same):
    first = credential_set(**dict(BASE, **one))
    second = credential_set(**dict(BASE, **other))
    assert first["shared"] and second["shared"]
    assert (first["key"] == second["key"]) is same


def test_the_key_does_not_expose_the_password():
    result = credential_set("smtp.example.com", **BASE)
    text = json.dumps(result)
    assert PASSWORD not in text and "Sh@red" not in text
    assert len(result["key"]) == 32 and result["server"] == "tls://smtp.example.com:587"
    assert result["username"] == "apps@example.com"


@pytest.mark.parametrize("settings", [
    dict(server="smtp.example.com", test="tls", username="u", password="p"),      # no login in the test
    dict(server="smtp.example.com", test="connect", username="u", password="p"),
    dict(server="relay.internal", test="envelope"),                              # no credentials: by client IP
    dict(server="smtp.example.com", test="envelope", username="u", password="p", auth=False),
    dict(server="smtp.example.com", test="envelope", username="u"),              # password missing: module says
    dict(server="smtp.example.com", test="envelope", username="u", password="p", own_test=True),
    dict(server="", test="envelope", username="u", password="p"),
])
def test_tests_that_do_not_log_in_with_known_credentials_are_not_shared(settings):
    server = settings.pop("server")
    result = credential_set(server, **settings)
    assert result["shared"] is False and result["key"] == ""


def test_unparsable_server_still_gets_a_key():
    assert credential_set("smtp://bad host:99999", **BASE)["shared"] is True


@pytest.mark.parametrize(("result", "verdict"), [
    (PASSED, "passed"),
    (failed_at("auth", "auth_failed", 535), "failed"),
    (failed_at("rcpt", "relay_denied", 554), "failed"),
    (failed_at("message", "sender_not_permitted", 550), "failed"),
    (failed_at("connect", "connection_refused"), "inconclusive"),
    (failed_at("starttls", "tls_certificate_invalid"), "inconclusive"),
    (failed_at("greeting", "client_blocked", 554), "inconclusive"),
    # The client host refused at RCPT (its IP, its EHLO name): another host must carry the test.
    (failed_at("rcpt", "client_blocked", 554), "inconclusive"),
    (failed_at("rcpt", "ehlo_rejected", 504), "inconclusive"),
    (failed_at("message", "sender_domain_policy", 550), "failed"),
    ({"failed": True, "msg": "MODULE FAILURE"}, "inconclusive"),
    (None, "inconclusive"),
])
def test_a_carrier_result_decides_for_its_set_only_from_auth_on(result, verdict):
    credential = credential_set("smtp.example.com", **BASE)
    classified = classify_full_test(result, credential, "web1")
    assert classified["verdict"] == verdict
    assert classified["carrier"] == "web1"
    assert "probe" not in classified and "transcript" not in json.dumps(classified)


def test_reply_and_message_of_a_verdict():
    credential = credential_set("smtp.example.com", **BASE)
    assert classify_full_test(PASSED, credential, "w")["reply"] == "354 End data with <CR><LF>.<CR><LF>"
    refused = classify_full_test(failed_at("auth", "auth_failed", 535), credential, "w")
    assert refused["reply"] == "535 refused"
    assert refused["message"] == "SMTP test failed at stage auth"


def fleet(hosts, keys):
    """Credential sets for ``hosts`` from a host -> set name map (None: not shared)."""
    sets = {name: credential_set("smtp.example.com", username=name + "@example.com", password="p")
            for name in set(k for k in keys.values() if k)}
    return [sets[keys[h]] if keys[h] else {"shared": False, "key": ""} for h in hosts]


def test_election_one_carrier_per_set_among_live_hosts_that_passed_their_own_check():
    hosts = ["a1", "a2", "b1", "b2", "c1", "n1"]
    creds = fleet(hosts, {"a1": "a", "a2": "a", "b1": "b", "b2": "b", "c1": "c", "n1": None})
    local = [{"ok": False}, {"ok": True}, {"ok": True}, {"ok": True}, {"ok": True}, {"ok": True}]
    state = elect(hosts, creds, local, [None] * 6, alive=["a1", "a2", "b1", "b2", "n1"], batch=hosts)
    # a1 failed its own check, c1 left the play, n1 is not shared.
    assert state["pending"] == {creds[0]["key"]: "a2", creds[2]["key"]: "b1"}
    assert state["verdicts"] == {}


def test_rounds_collect_verdicts_and_replace_carriers_that_failed_before_auth():
    hosts = ["a1", "a2", "a3", "b1", "b2"]
    creds = fleet(hosts, {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b"})
    key_a, key_b = creds[0]["key"], creds[3]["key"]
    local = [{"ok": True}] * 5
    first = elect(hosts, creds, local, [None] * 5, alive=hosts, batch=hosts)
    assert first["pending"] == {key_a: "a1", key_b: "b1"}
    full = [failed_at("connect", "connection_timeout"), None, None, failed_at("auth", "auth_failed", 535), None]
    second = elect(hosts, creds, local, full, alive=hosts, batch=hosts, state=first)
    assert second["verdicts"][key_b]["verdict"] == "failed"
    assert second["attempts"][key_a]["verdict"] == "inconclusive"
    assert second["pending"] == {key_a: "a2"}  # b is decided; a gets its next host
    assert second["tried"] == ["a1", "b1"]
    full[1] = PASSED
    last = elect(hosts, creds, local, full, alive=hosts, batch=hosts, state=second, elect_new=False)
    assert last["pending"] == {}
    assert last["verdicts"][key_a]["verdict"] == "passed" and last["verdicts"][key_a]["carrier"] == "a2"
    assert key_a not in last["attempts"]
    assert set_verdict(last, creds[2])["carrier"] == "a2"
    assert set_verdict(last, {"shared": False}) is None


def test_a_carrier_that_left_the_play_is_replaced():
    hosts = ["a1", "a2"]
    creds = fleet(hosts, {"a1": "a", "a2": "a"})
    first = elect(hosts, creds, [{"ok": True}] * 2, [None, None], alive=hosts, batch=hosts)
    second = elect(hosts, creds, [{"ok": True}] * 2, [None, None], alive=["a2"], batch=hosts, state=first)
    assert second["attempts"][creds[0]["key"]]["message"] == "a1 left the play before its full test finished"
    assert second["pending"] == {creds[0]["key"]: "a2"}


def test_later_batches_reuse_verdicts_and_forget_who_carried():
    batch1, batch2 = ["a1", "b1"], ["a2", "b2"]
    creds1 = fleet(batch1, {"a1": "a", "b1": "b"})
    creds2 = fleet(batch2, {"a2": "a", "b2": "b"})
    state = elect(batch1, creds1, [{"ok": True}] * 2, [None] * 2, alive=batch1, batch=batch1)
    state = elect(batch1, creds1, [{"ok": True}] * 2, [PASSED, failed_at("connect", "connection_refused")],
                  alive=batch1, batch=batch1, state=state, elect_new=False)
    nxt = elect(batch2, creds2, [{"ok": True}] * 2, [None] * 2, alive=batch2, batch=batch2, state=state)
    # a is decided for the play: nobody logs in again for it; b (inconclusive) gets a carrier from this batch.
    assert nxt["pending"] == {creds2[1]["key"]: "b2"}
    assert nxt["tried"] == []
    assert set_verdict(nxt, creds2[0])["carrier"] == "a1"
