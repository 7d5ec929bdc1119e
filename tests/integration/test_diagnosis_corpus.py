"""Real provider replies (tests/diagnosis_corpus/replies.yml) replayed through the real smtp_probe module.

For each case a scripted sandbox server sends the recorded reply at the recorded stage, after a successful AUTH
when the case says so; ``smtp_probe``'s ``main()`` runs as Ansible runs it (module arguments in, JSON out) and
the test checks what a user relies on: category, stage, SMTP code, enhanced status, and the hint's advice.
One sandbox serves every case (its script is swapped between sessions).

The held-out part (``heldout: true``) was collected after the rules were frozen, its categories written before any
replay. Its first score is recorded here (HELD_OUT_FIRST) and printed with the score now in the test run's summary
(also under pytest-xdist); every held-out case must be right now too (the whole corpus right).
"""

import contextlib
import io
import json
import os
import re
from collections import Counter
from urllib.parse import urlparse

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATALOG, CATEGORIES, Failure, find_row
from ansible_collections.mailops.smtp.plugins.module_utils._probe import parse_reply
from ansible_collections.mailops.smtp.plugins.modules import smtp_probe

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(HERE), "diagnosis_corpus", "replies.yml")
USER = "crm@example.test"
PASSWORD = "corpus-Secret-9"
STAGES = ("greeting", "ehlo", "auth", "mail", "rcpt", "data", "message")
FIELDS = {"id", "provider", "source", "stage", "stage_evidence", "authenticated", "reply", "code", "enhanced",
          "category", "hint", "note", "heldout", "formerly_heldout"}
OPTIONAL = {"note", "heldout", "formerly_heldout"}
# The first held-out part (76 replies) scored 59/76 = 78% with the rules of 2b057bf; the rules were then fixed for
# its 17 misreadings, so those cases are tuned now ("formerly_heldout").
# The fresh held-out part (34 replies, collected after that) scored 27/34 = 79% on its first replay, with the rules
# of 037c4b4, before any rule looked at it; these seven were misread then. General rules were written for them
# afterwards, and one label was made consistent with the corpus after the replay (see its note; with that label the
# first replay reads 28/34), so this part is spent: the next honest held-out score needs newly collected replies.
HELD_OUT_FIRST = dict(right=27, of=34, rules="037c4b4", misread=(
    "postfix-554-recipient-rejected-access-denied-relay-container",
    "sendmail-550-relaying-denied-proper-authentication-required",
    "company-mx-550-domain-of-forward-path-not-allowed",
    "mxroute-550-unauthenticated-mail-not-allowed-from-range",
    "smtp2go-550-ip-address-not-allowed-to-send",
    "unnamed-mx-553-5.1.8-domain-of-sender-does-not-exist",
    "mailprotect-550-5.1.0-domain-of-sender-does-not-exist",
))


def load_cases():
    with open(CORPUS, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["cases"]


CASES = load_cases()
TUNED = [c for c in CASES if not c.get("heldout")]
HELD_OUT = [c for c in CASES if c.get("heldout")]


def run_smtp_probe(args):
    """smtp_probe's main() with ``args``; returns the result dict it prints (exit_json or fail_json)."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            smtp_probe.main()
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def scripted_server():
    from smtp_sandbox import SmtpSandbox
    sandbox = SmtpSandbox(users={USER: PASSWORD}, idle_timeout=10)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def module_args(case, server):
    args = dict(server=server, security="none", timeout=3, deadline=8, suggest=False, fail_on_error=False,
                ehlo_name="app01.example.test", test_sender=USER, test_recipient="someone@example.org",
                transcript="never")
    if case["authenticated"] or case["stage"] == "auth":
        args.update(username=USER, password=PASSWORD)
    args["test"] = {"greeting": "connect", "ehlo": "tls", "auth": "auth", "message": "send"}.get(
        case["stage"], "envelope")
    return args


def replay(case, server):
    """Replay ``case`` on the scripted sandbox; returns (smtp_probe's result, the sandbox's record of the session)."""
    server.config.script = None
    server.config.script = server.config.replace(script={case["stage"]: case["reply"]}).script
    result = run_smtp_probe(module_args(case, server.server))
    session = server.wait_sessions_closed(len(server.sessions))[-1]
    return result, session


def diagnosed(case, result):
    diagnosis = result["diagnosis"]
    return (diagnosis["category"], diagnosis["stage"], diagnosis["smtp_code"], diagnosis["enhanced_status"])


@pytest.mark.parametrize("case", TUNED, ids=[c["id"] for c in TUNED])
def test_real_reply_is_diagnosed(case, scripted_server):
    result, session = replay(case, scripted_server)
    assert result["ok"] is False, result
    got = diagnosed(case, result)
    assert got == (case["category"], case["stage"], case["code"], case["enhanced"]), (
        "%s: got %r, hint %r" % (case["source"], got, result["diagnosis"]["hint"]))
    assert case["hint"].lower() in result["diagnosis"]["hint"].lower(), result["diagnosis"]["hint"]
    # the replay really went through the dialogue the case describes
    assert (session["authenticated_as"] == USER) is bool(case["authenticated"])
    assert PASSWORD not in json.dumps(result)


def test_the_held_out_part_is_right_and_its_first_score_is_reported(scripted_server, record_property, request):
    # the line below reaches the run's summary only through the hooks in tests/integration/conftest.py
    assert any(getattr(plugin, "_SUMMARY_LINES", None) is not None
               for plugin in request.config.pluginmanager.get_plugins())
    right, wrong = 0, []
    for case in HELD_OUT:
        result, session = replay(case, scripted_server)
        assert result["ok"] is False, result
        assert (session["authenticated_as"] == USER) is bool(case["authenticated"]), case["id"]
        assert PASSWORD not in json.dumps(result)
        got = diagnosed(case, result)
        # stage and codes come from the replay itself: a mismatch is a broken case, not a misreading
        assert got[1:] == (case["stage"], case["code"], case["enhanced"]), (case["id"], got)
        if got[0] == case["category"] and case["hint"].lower() in result["diagnosis"]["hint"].lower():
            right += 1
        else:
            wrong.append("%s: %s, expected %s (hint word %r)" % (case["id"], got[0], case["category"], case["hint"]))
    first = HELD_OUT_FIRST
    # tests/integration/conftest.py prints this line in the run's summary (from any xdist worker)
    record_property("summary_line", "held-out diagnosis score: %d/%d = %.0f%% now; first replay %d/%d = %.0f%% "
                    "(rules of %s; misread then: %s); misread now: %s" % (
                        right, len(HELD_OUT), 100 * right / len(HELD_OUT), first["right"], first["of"],
                        100 * first["right"] / first["of"], first["rules"], ", ".join(first["misread"]),
                        "; ".join(wrong) or "none"))
    held_out_ids = {c["id"] for c in HELD_OUT}
    assert first["of"] == len(HELD_OUT) and set(first["misread"]) <= held_out_ids
    assert first["right"] == first["of"] - len(first["misread"])
    # the whole corpus is right, the held-out part included
    assert not wrong, wrong


def test_the_corpus_is_well_formed_and_wide_enough():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert set(case) <= FIELDS and FIELDS - OPTIONAL <= set(case), case["id"]
        assert case.get("heldout", True) is True, case["id"]
        assert not (case.get("heldout") and case.get("formerly_heldout")), case["id"]
        assert re.match(r"^[a-z0-9][a-z0-9.-]*$", case["id"]), case["id"]
        url = urlparse(case["source"])
        assert url.scheme in ("http", "https") and url.netloc, case["id"]
        assert case["stage"] in STAGES and case["category"] in CATEGORIES, case["id"]
        assert isinstance(case["authenticated"], bool) and case["stage_evidence"], case["id"]
        first = case["reply"][0]
        assert int(first[:3]) == case["code"], case["id"]
        if case["authenticated"]:
            assert case["stage"] in ("mail", "rcpt", "data", "message"), case["id"]
    providers = Counter(re.split(r" [(/]| \+ ", c["provider"])[0] for c in CASES)
    assert len(CASES) >= 200
    assert len(providers) >= 45, sorted(providers)
    # a quarter held out (chosen before tuning), the rest tuned on
    assert len(HELD_OUT) >= 30


def test_every_rule_that_reads_the_text_is_justified_by_real_replies():
    # Each catalog row that reads what an SMTP reply says (a topic or a provider's wording) is the row chosen for at
    # least one real reply of the corpus, in the dialogue the row describes (its facts, e.g. an OAuth 2.0 login);
    # a row no real reply needs is a guess, not a reading. (Rows of stage token read the OAuth token endpoint's
    # error, not an SMTP reply: the unit tests cover them.)
    failures = []
    for case in CASES:
        code, enhanced, text = parse_reply(case["reply"])
        facts = dict(security="none", port=25, authenticated=case["authenticated"])
        failures.append((case["stage"], code, enhanced, text, facts))
    readers = [row for row in CATALOG if {"text", "about", "not_about"} & set(row) and row.get("stages") != ("token",)]
    assert len(readers) > 20
    unjustified = []
    for row in readers:
        if not any(find_row(Failure(stage, code=code, enhanced=enhanced, text=text,
                                    facts=dict(facts, **row.get("facts", {})))) is row
                   for stage, code, enhanced, text, facts in failures):
            unjustified.append(row)
    assert not unjustified, unjustified
