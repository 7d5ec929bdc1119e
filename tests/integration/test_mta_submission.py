"""The private submission server (Postfix + Dovecot SASL) gives the real "send as" refusals, and the probe reads them.

These replies come from Postfix itself (smtpd_sender_login_maps + reject_sender_login_mismatch), not from a script:
the diagnosis of test_senders is checked against the server users actually meet.
"""

import smtplib
import ssl

import pytest
from probe_call import probe_call

pytest_plugins = ['mta.pytest_plugin']

CRM = 'crm@example.test'
PASSWORD = 'Subm1ssion pass'
ANN = 'ann@example.test'
OWNERS = {CRM: [CRM], ANN: [ANN]}


def test_postfix_refuses_addresses_the_login_does_not_own(submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn('auth')  # AUTH only after STARTTLS
        client.starttls(context=ssl.create_default_context(cafile=server.ca_path))
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login(CRM, 'wrong password')
        assert info.value.smtp_code == 535
        client.login(CRM, PASSWORD)
        assert client.mail(CRM)[0] == 250 and client.rcpt('someone@example.org')[0] == 250
        client.rset()
        client.mail(ANN)
        code, text = client.rcpt('someone@example.org')
    assert (code, text.decode()) == (553, '5.7.1 <ann@example.test>: Sender address rejected: not owned by user '
                                          'crm@example.test')
    assert 'sasl_username=crm@example.test' in server.log()


def test_an_owned_address_without_login_is_not_logged_in(submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS, tls=False)
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.mail(ANN)
        code, text = client.rcpt('someone@example.org')
    assert (code, text.decode()) == (553, '5.7.1 <ann@example.test>: Sender address rejected: not logged in')


def test_the_probe_names_the_refused_test_sender(submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins=OWNERS)
    result = probe_call(server.server, ca_path=server.ca_path, username=CRM, password=PASSWORD,
                        test_senders=[ANN], test_recipient='someone@example.org', timeout=5, deadline=15,
                        ehlo_name='app01.example.test', suggest=False)
    diagnosis = result['diagnosis']
    assert (diagnosis['category'], diagnosis['stage'], diagnosis['smtp_code'], diagnosis['enhanced_status'],
            diagnosis['sender']) == ('sender_not_permitted', 'rcpt', 553, '5.7.1', ANN)
    assert diagnosis['server_message'] == '<ann@example.test>: Sender address rejected: not owned by user ' \
                                          'crm@example.test'
    assert 'Send As' in diagnosis['hint'] and 'from_email' in diagnosis['hint']
    assert PASSWORD not in str(result)


def test_granting_send_as_makes_the_same_probe_pass(submission_server):
    server = submission_server({CRM: PASSWORD}, sender_logins={CRM: [CRM], ANN: [ANN, CRM]})
    result = probe_call(server.server, ca_path=server.ca_path, username=CRM, password=PASSWORD,
                        test_senders=[ANN], test_recipient='someone@example.org', timeout=5, deadline=15,
                        ehlo_name='app01.example.test', suggest=False)
    assert result['ok'], result['msg']
    assert result['probe']['test_senders'] == [ANN]
