"""smtp_probe and outgoing_server with OAuth 2.0 through real ansible-playbook runs: the loopback authorization
server (authlib) issues the tokens, the SMTP sandbox verifies them against its JWKS. Each grant passes; a wrong
secret, an expired token and a token for another audience fail with the right stage, category and the
provider's words; no secret or token shows in any output at -vvvv."""

import base64
import json


MAILBOX = "crm@example.test"
SECRET = "Int3gration~Client.Secret-99"
FAST = dict(timeout=5, deadline=20)


def playbook(tmp_path, tasks):
    path = tmp_path / "oauth.yml"
    path.write_text(json.dumps([{"name": "OAuth", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    return str(path)


def probe_task(name, index):
    keys = ("server", "ca_path", "username", "oauth2", "test", "timeout", "deadline", "transcript")
    args = {key: "{{ probes[%d].%s }}" % (index, key) for key in keys}
    return {"name": name, "mailops.smtp.smtp_probe": args, "ignore_errors": True}


def outgoing_task(name, index, path):
    """outgoing_server (app msmtp, check mode: the test runs, nothing is written) with probe ``index``'s settings."""
    keys = ("server", "ca_path", "username", "oauth2", "test", "timeout", "deadline")
    args = {key: "{{ probes[%d].%s }}" % (index, key) for key in keys}
    args.update(app="msmtp", path=path, create=True)
    return {"name": "outgoing " + name, "mailops.smtp.outgoing_server": args, "ignore_errors": True,
            "check_mode": True}


def test_each_grant_passes_and_each_failure_names_its_stage(run_playbook, smtp_sandbox, oauth_server, tmp_path):
    certificate, private = oauth_server.new_certificate("app-cert")
    oauth_server.add_client("app-secret", secret=SECRET)
    oauth_server.add_client("app-cert", certificate_pem=certificate)
    oauth_server.add_client("app-expired", secret=SECRET, token_lifetime=-600)
    oauth_server.add_client("app-graph", secret=SECRET, audience="https://graph.microsoft.com")
    refresh = oauth_server.add_refresh_token("app-secret", MAILBOX)
    allowed = {name: [MAILBOX] for name in ("app-secret", "app-cert", "app-expired", "app-graph")}
    sb = smtp_sandbox(security="starttls", oauth=oauth_server.smtp_oauth(allowed))
    ms = dict(provider="microsoft", tenant=oauth_server.tenant, token_url=oauth_server.token_url)
    cases = [
        ("secret post", dict(ms, client_id="app-secret", client_secret=SECRET)),
        ("secret basic", dict(ms, client_id="app-secret", client_secret=SECRET,
                              client_authentication="client_secret_basic")),
        ("certificate", dict(ms, client_id="app-cert", client_certificate=certificate,
                             client_private_key=private)),
        ("refresh", dict(ms, client_id="app-secret", client_secret=SECRET, refresh_token=refresh,
                         mechanism="oauthbearer")),
        ("wrong secret", dict(ms, client_id="app-secret", client_secret="wrong-" + SECRET)),
        ("expired", dict(ms, client_id="app-expired", client_secret=SECRET)),
        ("audience", dict(ms, client_id="app-graph", client_secret=SECRET)),
    ]
    probes = [dict(server=sb.server, ca_path=sb.ca_path, username=MAILBOX, oauth2=oauth2, test="envelope",
                   transcript="always", **FAST) for _name, oauth2 in cases]
    msmtprc = str(tmp_path / "msmtprc")
    tasks = [probe_task(name, i) for i, (name, _o) in enumerate(cases)]
    tasks += [outgoing_task(name, i, msmtprc) for i, (name, _o) in enumerate(cases)]
    run = run_playbook(playbook(tmp_path, tasks), dict(probes=probes), verbosity=4)
    for name in ("secret post", "secret basic", "certificate", "refresh"):
        assert run.result(name)["ok"] is True, run.result(name)["msg"]
        assert run.status(name) == "ok"
        outgoing = run.result("outgoing " + name)
        assert run.status("outgoing " + name) == "ok" and outgoing["changed"] is True, outgoing.get("msg")
        assert outgoing["auth_method"] == "oauth2" and outgoing["probe"]["oauth2"]["grant"] in (
            "client_credentials", "refresh_token")
    for name, stage in (("wrong secret", "token"), ("expired", "auth"), ("audience", "auth")):
        outgoing = run.result("outgoing " + name)
        assert run.status("outgoing " + name) == "failed", outgoing
        assert (outgoing["diagnosis"]["stage"], outgoing["diagnosis"]["category"]) == (stage, "auth_failed")
        assert "Nothing was changed" in outgoing["msg"]
    assert not (tmp_path / "msmtprc").exists() and not (tmp_path / "msmtprc.oauth2").exists()   # check mode
    assert run.result("refresh")["probe"]["auth_mechanism"] == "OAUTHBEARER"
    wrong = run.result("wrong secret")
    assert run.status("wrong secret") == "failed"
    assert (wrong["diagnosis"]["stage"], wrong["diagnosis"]["category"]) == ("token", "auth_failed")
    assert "AADSTS7000215" in wrong["diagnosis"]["server_message"] and "AADSTS7000215" in wrong["msg"]
    for name, words in (("expired", "expired"), ("audience", "wrong audience")):
        diagnosis = run.result(name)["diagnosis"]
        assert (diagnosis["stage"], diagnosis["category"]) == ("auth", "auth_failed"), name
        assert words in diagnosis["server_message"] and "status=401" in diagnosis["server_message"]
    output = run.all_output()
    secrets = [SECRET, refresh, private.splitlines()[4]]
    for session in sb.sessions:
        for command in session["commands"]:
            if command.upper().startswith("AUTH "):
                initial = command.split(" ", 2)[2]
                secrets.append(initial.rstrip("="))
                secrets.append(base64.b64decode(initial).decode().split("auth=Bearer ", 1)[1].split("\x01")[0])
    assert len(secrets) > 5
    for secret in secrets:
        assert secret not in output


def test_outgoing_server_refuses_oauth2_for_an_app_that_stores_a_password_only(run_playbook, tmp_path):
    target = tmp_path / "grafana.ini"
    target.write_text("[smtp]\nenabled = false\n")
    before = target.read_bytes()
    task = {"name": "Grafana", "ignore_errors": True, "mailops.smtp.outgoing_server": {
        "app": "grafana", "path": str(target), "server": "tls://smtp.office365.com:587", "username": MAILBOX,
        "oauth2": {"provider": "microsoft", "tenant": "contoso.onmicrosoft.com", "client_id": "c",
                   "client_secret": SECRET}}}
    run = run_playbook(playbook(tmp_path, [task]), verbosity=4)
    result = run.result("Grafana")
    assert run.status("Grafana") == "failed" and result["option"] == "oauth2"
    assert "grafana cannot log in with OAuth 2.0" in result["msg"] and "docs/m365.md" in result["msg"]
    assert target.read_bytes() == before
    assert SECRET not in run.all_output()


def test_msmtp_sends_with_a_token_its_installed_helper_fetched(run_playbook, smtp_sandbox, oauth_server, tmp_path):
    import os
    import stat
    import subprocess

    import readers

    oauth_server.add_client("app-secret", secret=SECRET)
    sb = smtp_sandbox(security="starttls", oauth=oauth_server.smtp_oauth({"app-secret": [MAILBOX]}))
    msmtprc = tmp_path / "msmtprc"
    oauth2 = dict(provider="microsoft", tenant=oauth_server.tenant, token_url=oauth_server.token_url,
                  client_id="app-secret", client_secret=SECRET)
    task = {"name": "msmtp", "mailops.smtp.outgoing_server": {
        "app": "msmtp", "path": str(msmtprc), "create": True, "mode": "0600", "server": sb.server,
        "ca_path": sb.ca_path, "username": MAILBOX, "from_email": MAILBOX, "oauth2": "{{ oauth2 }}",
        "test": "envelope"}}
    first = run_playbook(playbook(tmp_path, [task]), dict(oauth2=oauth2), verbosity=4, diff=True)
    assert first.status("msmtp") == "ok" and first.result("msmtp")["changed"] is True, first.result("msmtp")
    diff_after = first.result("msmtp")["diff"]["after"]
    assert "default.json (0600)" in diff_after and '"client_secret": "********"' in diff_after
    text = msmtprc.read_text()
    assert "auth xoauth2" in text and "passwordeval" in text and "token_helper.py" in text
    assert SECRET not in text and "password " not in text
    helper_dir = tmp_path / "msmtprc.oauth2"
    config = helper_dir / "default.json"
    assert stat.S_IMODE(helper_dir.stat().st_mode) == 0o700 and stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["oauth2"]["client_secret"] == SECRET
    grants_by_module = len(oauth_server.requests)

    # the real msmtp: the helper (stdlib only) runs the grant, msmtp logs in with XOAUTH2
    for attempt in (1, 2):
        done = subprocess.run(["msmtp", "-C", str(msmtprc), "-a", "default", "rcpt@example.net"],
                              input=b"Subject: oauth %d\n\nhello\n" % attempt, capture_output=True,
                              env=readers.BASE_ENV, check=False, timeout=60)
        assert done.returncode == 0, done.stderr
        assert SECRET.encode() not in done.stdout + done.stderr
    assert [m["authenticated_as"] for m in sb.messages] == [MAILBOX, MAILBOX]
    assert [s["auth_mechanism"] for s in sb.sessions if s["auth_mechanism"]][-2:] == ["XOAUTH2", "XOAUTH2"]
    assert len(oauth_server.requests) == grants_by_module + 1       # the second send used the cached token
    cache = helper_dir / "default.json.token"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600

    again = run_playbook(playbook(tmp_path, [task]), dict(oauth2=oauth2), verbosity=4)
    assert again.result("msmtp")["changed"] is False                 # idempotent: the token cache is no drift
    for run in (first, again):
        assert SECRET not in run.all_output()

    # outgoing_server_info tests what msmtp uses now: the login through the helper's settings
    info = {"name": "info", "mailops.smtp.outgoing_server_info": {"app": "msmtp", "path": str(msmtprc),
                                                                  "ca_path": sb.ca_path, "test": "auth"}}
    audit = run_playbook(playbook(tmp_path, [info]), verbosity=4)
    result = audit.result("info")
    assert result["test_ok"] is True, result.get("test_msg")
    assert result["auth_method"] == "oauth2" and result["probe"]["auth_mechanism"] == "XOAUTH2"
    assert SECRET not in audit.all_output()

    # a grant that fails says so on stderr, in the provider's words
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(dict(oauth2=dict(oauth2, client_secret="wrong"), ca_path=sb.ca_path)))
    os.chmod(broken, 0o600)
    done = subprocess.run(readers_python_helper(helper_dir) + [str(broken)], capture_output=True, check=False,
                          env=readers.BASE_ENV, timeout=60)
    assert done.returncode == 1 and done.stdout == b""
    assert b"the OAuth 2.0 grant failed (HTTP 401): invalid_client: AADSTS7000215" in done.stderr


def readers_python_helper(helper_dir):
    import sys
    return [sys.executable, str(helper_dir / "token_helper.py")]
