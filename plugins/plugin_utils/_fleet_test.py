# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet-scale SMTP testing for the outgoing_server role: one login per credential set.

Runs on the controller only (filters of the role). Three steps:

``credential_set()``    per host: which credential set the host's settings belong to. The key is a PBKDF2
                        hash of the server(s), user name, password and the envelope of the full test; the
                        password itself never leaves the call and the key is never written to the report.
``elect()``             once per round (``run_once``): collect the results of the carriers elected in the
                        previous round, and elect, for every credential set without a conclusive result,
                        one host that is still in the play and passed its host-local check.
``set_verdict()``       per host: the result of the host's credential set (or None).

A full test that fails before AUTH (connect, greeting, EHLO, STARTTLS) says nothing about the credentials:
it is the carrier's own network path, so the set stays without a verdict and another host carries it in the
next round; so does a refusal of the client host itself at any stage (``client_blocked``: its address is on a
blocklist; ``ehlo_rejected``: its EHLO name). A full test that passes, or fails at AUTH or later for another
reason (auth, mail, rcpt, data, message), is the verdict of the whole set.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers
from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import allowlisted_diagnosis, server_reply

# Test levels that log in (with credentials) and so are run once per credential set.
FULL_LEVELS = ("auth", "envelope", "send")
# Stages at which a failure is about the credentials or the envelope, not about the carrier's network path.
SET_STAGES = ("auth", "mail", "rcpt", "data", "message")
# Categories about the client host whatever the stage (its IP on a blocklist, its EHLO name): the carrier's own.
HOST_CATEGORIES = ("client_blocked", "ehlo_rejected")
_SALT = b"mailops.smtp fleet credential set v1"
# Slows down guessing a password from a leaked key; cheap enough for 1,000 hosts (about 2 ms each).
_ITERATIONS = 5000


def _text(value):
    return None if value is None else str(value)


def _servers(server, port, security):
    """Canonical ``scheme://host:port`` list, or the raw text when it does not parse (the module will say why)."""
    try:
        return [spec.url() for spec in parse_servers(server, port=port, security=security)]
    except (SettingsError, TypeError, ValueError):
        return [_text(server), _text(port), _text(security)]


def credential_set(server, port=None, security=None, auth=None, username=None, password=None, test="envelope",
                   test_sender=None, test_recipient=None, from_email=None, ehlo_name=None, own_test=False,
                   test_senders=None):
    """Describe the credential set of one host.

    Returns ``{key, shared, server, username, level}``. ``shared`` is true when the host's full test logs in
    (``test`` is auth, envelope or send, with credentials), so one host of the set can carry it for all.
    ``own_test`` forces ``shared: false`` (apply mode with ``update_password: on_create``: the password to
    test is the one stored on the host, which the controller does not know).
    """
    servers = _servers(server, port, security) if server not in (None, "") else []
    user = _text(username)
    auth_on = bool(user) if auth is None else bool(auth)
    shared = bool(servers) and test in FULL_LEVELS and auth_on and bool(user) and password is not None \
        and not own_test
    label = "; ".join(s for s in servers if s) if servers else ""
    result = {"key": "", "shared": shared, "server": label, "username": user or "", "level": str(test or "")}
    if shared:
        senders = None if test_senders is None else [_text(address) for address in test_senders]
        fields = json.dumps([servers, user, _text(password), str(test), _text(test_sender), _text(test_recipient),
                             _text(from_email), _text(ehlo_name), senders], sort_keys=True)
        digest = hashlib.pbkdf2_hmac("sha256", fields.encode("utf-8"), _SALT, _ITERATIONS)
        result["key"] = digest[:16].hex()
    return result


def _ok(result):
    return isinstance(result, dict) and not result.get("failed") and result.get("ok") is not False \
        and not result.get("skipped")


def classify_full_test(result, credential, carrier):
    """Turn a carrier's registered ``smtp_probe`` result into a (masked, allowlisted) verdict.

    ``verdict`` is ``passed``, ``failed`` (the set's credentials or envelope were refused) or ``inconclusive``
    (the carrier failed before AUTH, or the module did not run).
    """
    result = result if isinstance(result, dict) else {}
    diagnosis = allowlisted_diagnosis(result)
    if _ok(result) and result:
        verdict = "passed"
    elif diagnosis.get("stage") in SET_STAGES and diagnosis.get("category") not in HOST_CATEGORIES:
        verdict = "failed"
    else:
        verdict = "inconclusive"
    message = str(result.get("msg") or "").splitlines()
    return {
        "verdict": verdict,
        "carrier": carrier,
        "server": credential.get("server", ""),
        "username": credential.get("username", ""),
        "level": (result.get("probe") or {}).get("level") or credential.get("level", ""),
        "reply": server_reply(result),
        "diagnosis": diagnosis,
        "message": message[0] if message else "",
    }


def elect(hosts, credential_sets, local_tests, full_tests, alive, batch, state=None, elect_new=True):
    """One round of the carrier election (see the module docstring).

    ``hosts``, ``credential_sets``, ``local_tests`` and ``full_tests`` are aligned lists over the play's hosts
    (``ansible_play_hosts_all``): each host's credential set, host-local check result and last full-test result
    (None where there is none). ``alive`` is ``ansible_play_hosts``, ``batch`` is ``ansible_play_batch``.
    ``state`` is the previous state (None at the start of the play run); it is returned updated:

    ``verdicts``  key -> conclusive verdict (passed/failed), kept for the rest of the run (later batches, plays)
    ``attempts``  key -> the last inconclusive verdict
    ``pending``   key -> host elected in this round (its full test runs next)
    ``tried``     hosts that carried in this batch
    ``batch``     the batch the ``tried`` list belongs to
    """
    state = dict(state) if isinstance(state, dict) else {}
    verdicts = dict(state.get("verdicts") or {})
    attempts = dict(state.get("attempts") or {})
    pending = dict(state.get("pending") or {})
    batch = [str(h) for h in (batch or [])]
    tried = list(state.get("tried") or []) if state.get("batch") == batch else []
    hosts = [str(h) for h in hosts or []]
    credential_sets = list(credential_sets or [])
    local_tests = list(local_tests or [])
    full_tests = list(full_tests or [])
    alive = set(str(h) for h in alive or [])
    index = dict((host, i) for i, host in enumerate(hosts))

    def at(values, host):
        i = index.get(host)
        return values[i] if i is not None and i < len(values) else None

    # Collect the results of the previous round's carriers, in inventory order (not in the order of their keys).
    for key, carrier in sorted(pending.items(), key=lambda item: (index.get(item[1], len(index)), item[0])):
        if carrier not in tried:
            tried.append(carrier)
        credential = at(credential_sets, carrier) or {}
        if carrier in alive and credential.get("key") == key:
            verdict = classify_full_test(at(full_tests, carrier), credential, carrier)
        else:
            verdict = {"verdict": "inconclusive", "carrier": carrier, "server": credential.get("server", ""),
                       "username": credential.get("username", ""), "level": credential.get("level", ""),
                       "reply": "", "diagnosis": {},
                       "message": "%s left the play before its full test finished" % carrier}
        if verdict["verdict"] == "inconclusive":
            attempts[key] = verdict
        else:
            verdicts[key] = verdict
            attempts.pop(key, None)
    pending = {}
    if elect_new:
        for host in hosts:
            credential = at(credential_sets, host)
            if host not in alive or host in tried or not isinstance(credential, dict) or not credential.get("shared"):
                continue
            key = credential.get("key")
            if not key or key in verdicts or key in pending or not _ok(at(local_tests, host)):
                continue
            pending[key] = host
    return {"verdicts": verdicts, "attempts": attempts, "pending": pending, "tried": tried, "batch": batch}


def set_verdict(state, credential):
    """The verdict of a host's credential set: conclusive, else the last inconclusive attempt, else None."""
    if not isinstance(credential, dict) or not credential.get("shared"):
        return None
    state = state if isinstance(state, dict) else {}
    key = credential.get("key")
    return (state.get("verdicts") or {}).get(key) or (state.get("attempts") or {}).get(key)
