"""auth_method, provider and advisories from the three modules, run as Ansible runs them (arguments in, JSON out).

An audit must show which hosts will break at Microsoft's Basic-authentication switch-off: a password login to
smtp.office365.com carries ``basic_auth_retiring`` in smtp_probe (the settings tested), outgoing_server_info (the
settings the app stores now) and outgoing_server (the settings the app will use after the run).
"""

import contextlib
import io
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.smtp.plugins.modules import outgoing_server, outgoing_server_info, smtp_probe

PASSWORD = "m365-Secret-7"
GRAFANA_M365 = ("[smtp]\nenabled = true\nhost = smtp.office365.com:587\nuser = grafana@contoso.example\n"
                "password = %s\nfrom_address = grafana@contoso.example\n" % PASSWORD)


def run(module, args):
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            module.main()
    text = out.getvalue()
    assert PASSWORD not in text
    return json.loads(text)


def retiring(result):
    return [a["id"] for a in result["advisories"]] == ["basic_auth_retiring"]


def test_smtp_probe_marks_a_password_login_to_microsoft_365():
    result = run(smtp_probe, dict(server="smtp.office365.com", username="crm@contoso.example",
                                  password=PASSWORD, test="none"))
    assert (result["auth_method"], result["provider"]) == ("password", "microsoft365") and retiring(result)
    token = "eyJ0eXAiOiJKV1QifQ.m365-audit-token.sig"
    oauth = run(smtp_probe, dict(server="smtp.office365.com", username="crm@contoso.example", test="none",
                                 oauth2=dict(access_token=token)))
    assert (oauth["auth_method"], oauth["provider"], oauth["advisories"]) == ("oauth2", "microsoft365", [])
    relay = run(smtp_probe, dict(server="contoso-example.mail.protection.outlook.com:25", test="none"))
    assert (relay["auth_method"], relay["provider"], relay["advisories"]) == ("none", "microsoft365", [])


def test_outgoing_server_info_audits_what_the_app_stores(tmp_path):
    ini = tmp_path / "grafana.ini"
    ini.write_text(GRAFANA_M365)
    result = run(outgoing_server_info, dict(app="grafana", path=str(ini), server="smtp.example.org",
                                            username="grafana@example.org", password="Other-1"))
    # judged by the stored settings (what breaks in December), not by the desired ones given for drift
    assert (result["auth_method"], result["provider"]) == ("password", "microsoft365") and retiring(result)
    assert "smtp.office365.com" in result["advisories"][0]["message"]
    ini.write_text("[smtp]\nenabled = true\nhost = smtp.example.org:587\n")
    plain = run(outgoing_server_info, dict(app="grafana", path=str(ini)))
    assert (plain["auth_method"], plain["provider"], plain["advisories"]) == ("none", None, [])


def test_outgoing_server_audits_the_settings_it_leaves(tmp_path):
    ini = tmp_path / "grafana.ini"
    ini.write_text("[smtp]\n")
    before = ini.read_bytes()
    result = run(outgoing_server, dict(app="grafana", path=str(ini), server="tls://smtp.office365.com:587",
                                       username="grafana@contoso.example", password=PASSWORD, test="none",
                                       _ansible_check_mode=True))
    assert result["changed"] is True and ini.read_bytes() == before
    assert (result["auth_method"], result["provider"]) == ("password", "microsoft365") and retiring(result)
    gone = run(outgoing_server, dict(app="grafana", path=str(ini), state="absent", _ansible_check_mode=True))
    assert (gone["auth_method"], gone["advisories"]) == ("none", [])


def test_the_docs_module_audit_fails_exactly_the_host_that_will_break(run_playbook, tmp_path):
    """docs/m365.md step 1 as written (its host pattern aside) on a host per kind of stored login."""
    from test_role_m365_audit import doc_snippet

    playbook = tmp_path / "audit.yml"
    playbook.write_text(doc_snippet("Which hosts will break").replace("hosts: all", "hosts: localhost"))
    outcomes = {}
    connector = "[smtp]\nenabled = true\nhost = contoso-example.mail.protection.outlook.com:25\n"
    for name, text in (("m365", GRAFANA_M365), ("connector", connector)):
        ini = tmp_path / ("%s.ini" % name)
        ini.write_text(text)
        proc = run_playbook(str(playbook), extra_vars=dict(mail_app="grafana", mail_config_path=str(ini)))
        assert PASSWORD not in proc.all_output()
        outcomes[name] = proc
    assert outcomes["m365"].rc == 2 and "December 2026" in outcomes["m365"].stdout, outcomes["m365"].stdout[-3000:]
    assert outcomes["connector"].rc == 0, outcomes["connector"].stdout[-3000:]
    assert "logs in with none to microsoft365" in outcomes["connector"].stdout
