"""Real provider replies (tests/diagnosis_corpus/replies.yml) replayed through the real smtp_probe module.

For each case a scripted sandbox server sends the recorded reply at the recorded stage, after a successful AUTH
when the case says so; ``smtp_probe``'s ``main()`` runs as Ansible runs it (module arguments in, JSON out) and
the test checks what a user relies on: category, stage, SMTP code, enhanced status, and the hint's advice.
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

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATEGORIES
from ansible_collections.mailops.smtp.plugins.modules import smtp_probe

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(HERE), "diagnosis_corpus", "replies.yml")
USER = "crm@example.test"
PASSWORD = "corpus-Secret-9"
STAGES = ("greeting", "ehlo", "auth", "mail", "rcpt", "data", "message")
FIELDS = {"id", "provider", "source", "stage", "stage_evidence", "authenticated", "reply", "code", "enhanced",
          "category", "hint", "note"}


def load_cases():
    with open(CORPUS, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["cases"]


CASES = load_cases()


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


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_real_reply_is_diagnosed(case, scripted_server):
    scripted_server.config.script = None
    scripted_server.config.script = scripted_server.config.replace(
        script={case["stage"]: case["reply"]}).script
    result = run_smtp_probe(module_args(case, scripted_server.server))
    assert result["ok"] is False, result
    diagnosis = result["diagnosis"]
    got = (diagnosis["category"], diagnosis["stage"], diagnosis["smtp_code"], diagnosis["enhanced_status"])
    assert got == (case["category"], case["stage"], case["code"], case["enhanced"]), (
        "%s: got %r, hint %r" % (case["source"], got, diagnosis["hint"]))
    assert case["hint"].lower() in diagnosis["hint"].lower(), diagnosis["hint"]
    # the replay really went through the dialogue the case describes
    session = scripted_server.wait_sessions_closed(len(scripted_server.sessions))[-1]
    assert (session["authenticated_as"] == USER) is bool(case["authenticated"])
    assert PASSWORD not in json.dumps(result)


def test_the_corpus_is_well_formed_and_wide_enough():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert set(case) <= FIELDS and FIELDS - {"note"} <= set(case), case["id"]
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
    assert len(CASES) >= 80
    assert len(providers) >= 20, sorted(providers)
