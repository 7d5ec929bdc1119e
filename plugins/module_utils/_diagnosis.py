# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The diagnosis catalog: every SMTP test failure -> one category of a fixed vocabulary, plus a hint.

``CATALOG`` is data. ``diagnose()`` walks it in order and takes the first row whose every criterion
matches the failure. Criteria are structural first (stage, local condition, exception type, SSL reason
and verify code, SMTP code, enhanced status code, facts about the settings and the dialogue so far);
``about`` (what the reply's text is about, as TOPICS) and ``text`` (one provider's wording) only refine rows
that also name stages or codes, and the fallback rows of each stage match on stage and code class alone.
When two readings fit a reply, the row of the more specific one comes first. The same words
mean different things before and after a successful AUTH: rows say which with ``facts``.

Row keys:
  category   one of CATEGORIES
  hint       one or two sentences an administrator can act on
  stages     tuple of stages the row applies to (absent: any)
  condition  a failure the probe detected itself (e.g. ``starttls_not_offered``)
  exc        tuple of exception kinds (see ``exception_kind()``)
  ssl_reason tuple of OpenSSL reason names
  verify     tuple of certificate verify codes
  codes      '4xx' / '5xx', or a tuple of SMTP codes and classes (``(530, '4xx')``)
  enhanced   tuple of enhanced status prefixes; ``x`` matches the class digit (``x.1.1``)
  text       regular expression searched (case-insensitive) in the server message: one provider's wording
  about      tuple of TOPICS the server message must all be about (the client host, the login, the sender,
             the sender domain's SPF/DKIM/DMARC, the recipient's domain, a sending quota, ...)
  not_about  tuple of TOPICS the server message must not be about (a more specific reading wins)
  facts      dict the probe's facts must contain (``security``, ``port``, ``starttls_offered``, and the
             dialogue state ``authenticated``: whether AUTH succeeded before the reply)
  send_only  true: the failure shows up only after the message, so only ``test: send`` is conclusive
  suggest    true: another port or security mode would likely work, look for one
"""

from __future__ import annotations

import errno
import re
import socket
import ssl

STAGES = ('token', 'resolve', 'connect', 'greeting', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'message')

CATEGORIES = (
    'dns_failure', 'connection_refused', 'connection_timeout', 'greeting_failure', 'client_blocked',
    'tls_handshake_failure', 'tls_certificate_invalid', 'starttls_not_offered', 'tls_required', 'ehlo_rejected',
    'auth_not_offered', 'auth_failed', 'auth_required', 'auth_method_disabled', 'sender_not_permitted',
    'sender_domain_policy', 'relay_denied', 'recipient_rejected', 'message_rejected', 'temporary_failure',
    'protocol_error', 'timeout',
)

_WRONG_TLS_MODE = ('WRONG_VERSION_NUMBER', 'UNEXPECTED_EOF_WHILE_READING', 'HTTP_REQUEST', 'HTTPS_PROXY_REQUEST',
                   'RECORD_LAYER_FAILURE', 'UNKNOWN_PROTOCOL', 'PACKET_LENGTH_TOO_LONG', 'EOF')

_HINT_IMPLICIT_ON_STARTTLS = ('This port does not speak implicit TLS: use security=starttls (port 587 or 25), '
                              'or implicit TLS on port 465.')

_ENVELOPE = ('mail', 'rcpt', 'data', 'message')

# What the text of a reply is about. A row's ``about`` names topics the text must all be about, ``not_about``
# topics it must not be about; a topic never decides alone (every row naming one also names the stages or codes
# it applies to, see tests/unit/.../test_diagnosis.py). When two readings fit, the row of the more specific one
# comes first: the sender domain's SPF/DKIM/DMARC before "authentication", this client host before the sender,
# the sender before relaying, a sending quota before the stage's fallback. Each topic is backed by real replies
# in tests/diagnosis_corpus/replies.yml.
TOPICS = dict(
    # this client host: blocklists, reverse DNS, reputation, dynamic ranges, "use your provider's relay"
    client=(r'blocked using|blocked by|\bblocked\b - see|block ?list|black ?list|spamhaus|barracuda|spamcop|sorbs|'
            r'dnsbl|\brbl\b|banned sending ip|\bPTR\b|reverse (dns|hostname|lookup)|\brdns\b|'
            r'cannot find your (reverse )?hostname|client host (rejected|blocked)|'
            r'connections? (will )?not (be )?accepted from|ip reputation|listed (at|in|on) |'
            r'\bIP\b[^.]{0,30}\b(blocked|blacklisted|banned|bloquee|not allowed)|adresse ip|dial-?up|'
            r'dynamic (ip|address|pool)|transient ip|directly to our servers|'
            r'smtp relay (at|of) your|(your|the) (isp|provider|service provider)\'?s? (smtp |mail )*(relay|server)|'
            r'(messages|mail|e-?mails?) from \[?[0-9]{1,3}(\.[0-9]{1,3}){3}|permanently deferred|cloudmark|'
            r'not allowed to connect|\bblock(ed)? for spam|from your IP'),
    # this client's IP address (or its range) named as what is refused: the client, whatever else the text says
    client_ip=(r'\bIP( address)? (is |was )?(blocked|blacklisted|banned|not allowed)|'
               r'(not allowed|not accepted|refused|rejected) from (this|your) '
               r'(IP|IP address|address range|range|network)'),
    # "log in first"
    login=(r'authenticat|not logged in|auth(entication)? required|must (log ?in|authenticate)|login required|'
           r'\bsend AUTH\b|\bAUTH (command )?first\b|\bsmtp auth\b'),
    # the sender domain's SPF, DKIM or DMARC: "authentication" that is the domain's, not the login's
    domain_auth=(r'\b(DMARC|SPF|DKIM)\b|authentication checks|unauthenticated (e-?mail|mail|message)|'
                 r'sender is unauthenticated|required authentication level'),
    # the sending domain is not set up (verified, configured) at the provider
    sending_domain=(r'sending domain|domain (is |has )?not (yet )?(been )?(verified|configured|validated|activated)|'
                    r'not a verified domain|unverified domain|domain (is )?not associated with your account'),
    # a domain (the sender's or the recipient's) that does not exist in DNS
    domain_missing=(r'domain not found|domain (does not|doesn\'t|must) (exist|resolve)|unknown sender domain|'
                    r'unresolvable (sender )?domain|non-?existent domain|no such domain|'
                    r'(valid|no) (MX or A|A or MX) record|domain of (the )?sender( address)?\b.{0,80}?\b'
                    r'(does not|doesn\'t) exist'),
    # the sender address, the From header, or the account's right to use them
    sender=(r'SendAsDenied|send as|send on behalf|not owned by|not verified|verified sender|sender identit|'
            r'sender signature|must (be (the )?same as|equal) (the )?(authori[sz]ation|authori[sz]ed|auth|login)|'
            r'envelope sender|sender (address )?(is )?not allowed|not allowed to (send|use)|From/Sender|'
            r'header From|from header|sender header|return path|unknown sender|sender address|invalid sender|'
            r'emetteur|sender verif|not authori[sz]ed to send (from|as|on)|'
            r'relay(ing)? (is )?(disallowed|denied|not (permitted|allowed)) as\b|sender rejected|'
            r'\bmail ?from (must|address)'),
    # the recipient
    recipient=(r'recipient|user unknown|unknown user|no such user|addressee unknown|mailbox (is )?(unavailable|'
               r'not found|disabled)|destinataire|target address|user (doesn\'t|does not) have an? [\w.-]+ account'),
    # the recipient does not exist, is disabled, or is refused by name (a narrower topic than the recipient)
    recipient_invalid=(r'invalid recipient|invalid-recipient|user unknown|unknown user|no such user|addressee unknown|'
                       r'marked as invalid|not in recipient list|mailbox (is )?disabled|'
                       r'user (doesn\'t|does not) have an? [\w.-]+ account|(user|mailbox|account|recipient) '
                       r'(does not|doesn\'t) exist'),
    # relaying to the recipient's domain (not Sendmail's "relay=[host]" log field)
    relay=r'\brelay(?!=)|rcpthosts|cannot deliver mail for|domain of (the )?forward[- ]path',
    # a generic refusal by the server's access restrictions (Postfix's "reject": "... rejected: Access denied"): a
    # policy on this client, not a statement about the address it names
    access_denied=r'\baccess denied\b',
    # the sender (address or domain) is on a blocked-senders list of the recipient or its domain
    sender_blocked=(r'blocked senders?\b|block-?send-?er|sender (address |domain )?(is )?(blocked|blacklisted)|'
                    r'envelope blocked'),
    # a domain (the sender's, or one named in the message) on a domain blocklist (not this client's address)
    domain_listed=(r'\bDBL\b|domain (is )?(present |listed )(in|on)|domain present in|'
                   r'domain (is )?(black|block)listed|(black|block)listed domain|\b(URIBL|SURBL)\b'),
    # the MAIL FROM / sender domain itself (as opposed to a domain in the message)
    sender_domain=r'mail ?from domain|sender(\'s)? domain|envelope (sender )?domain|domain of the sender',
    # the receiving provider's verdict on the sending domain's reputation (its history, not its DNS set-up)
    domain_reputation=r'reputation of the (sending |sender\'?s? )?domain|domain(\'s)? reputation',
    # a sending quota or rate of the account (not the recipient's mailbox)
    sending_quota=(r'(sending|send|message|relay) (quota|limit|rate)|(daily|hourly|24.hour) (\w+ ){0,2}(quota|limit)|'
                   r'throttling|rate limit|too many (messages|mails|e-?mails|recipients)'),
    # the login's user name or password is wrong (as opposed to a kind of login being disabled)
    credentials_wrong=(r'credentials (were |are )?(incorrect|invalid|wrong)|'
                       r'(user ?name|password) (is |was )?(incorrect|invalid|wrong)|invalid (login|credentials)'),
    # AUTH itself is not available on this connection
    auth_unavailable=r'not (enabled|advertised|available|supported|recognized|implemented)|unrecognized',
    # the name sent with EHLO/HELO
    helo=r'\b(helo|ehlo)\b',
    # TLS demanded
    tls=r'starttls|\btls\b|encrypt',
)

_HINT_BASIC_AUTH_OFF = ('The server no longer accepts a password login (Basic authentication) for this '
                        'mailbox or tenant: a new password will not help. Log in with OAuth 2.0 (the oauth2 '
                        'option) where the app can, send through a relay (one on the host, or the provider\'s '
                        'connector), or have the tenant admin re-enable SMTP AUTH for now, a temporary exception '
                        '(see docs/m365.md).')
_HINT_BLOCKED = ('The server refuses this client\'s IP address, not the settings: it is on a blocklist, has no '
                 'reverse DNS (PTR record), is in a dynamic range, or is outside the allowed networks. Send through '
                 'the provider\'s authenticated submission port (587/465) or relay, fix the PTR record, or get the '
                 'address delisted (when the reply says "open resolver", the receiving server\'s DNS setup is at '
                 'fault).')
_HINT_EHLO = ('The server rejected the name this host sent with EHLO/HELO (probe.ehlo_name). Set ehlo_name to '
              'this host\'s fully-qualified name, one that resolves in DNS.')
_HINT_DOMAIN = ('The sender\'s domain is not authorised to send through this path: SPF, DKIM or DMARC failed. '
                'Add this server to the domain\'s SPF record (include), publish its DKIM key, or send as an address '
                'of a domain that authorises this server (from_email); the login is not the problem.')
_HINT_SENDING_DOMAIN = ('The provider has not verified (or does not know) the sending domain of this sender. Add '
                        'the domain in the provider\'s account and publish the DNS records it asks for (DKIM key, '
                        'SPF include, return path), or set from_email to an address of a domain already verified '
                        'there; the login is not the problem.')
_HINT_DOMAIN_LISTED = ('The sender\'s domain is on a domain blocklist (Spamhaus DBL or the provider\'s own list): '
                       'the server refuses mail from it whatever the login, the SPF record or this host\'s address. '
                       'Get the domain delisted (the reply names the list), or set from_email to an address of '
                       'another domain.')
_HINT_CONTENT_DOMAIN_LISTED = ('A domain in the message (the From, or a link in the content) is on a domain blocklist '
                               '(Spamhaus DBL or the provider\'s own list); this host and the login are not the '
                               'problem. Find the listed domain (a lookup on the list\'s site), get it delisted, or '
                               'leave it out of the message and the From.')
_HINT_DOMAIN_REPUTATION = ('The receiving provider refused the message for the sending domain\'s reputation (its own '
                           'record of the mail it got from that domain), not for the settings or the login; SPF and '
                           'DKIM alone will not fix it. Read server_message and the page it names (Gmail: Postmaster '
                           'Tools), send less unwanted mail from the domain, or send as a domain with a good record.')
_HINT_SENDER_BLOCKED = ('The receiving side blocks this sender (a blocked-senders list of the recipient or of its '
                        'domain), not the login or this host. Set from_email (and test_sender) to another address, or '
                        'ask the recipient\'s administrator to take the sender off the list.')
_HINT_RECIPIENT_INVALID = ('The server refuses this recipient address (it does not exist, is invalid, or a policy '
                           'refuses mail to it); the reply is not about this client or relaying. Set test_recipient to '
                           'a working mailbox.')
_HINT_SENDER = ('The server will not let this account send as this sender. Set from_email (and test_sender) to '
                'an address the account may send as, grant the account Send As rights for this one, or verify it '
                'with the provider.')
_HINT_SENDER_DOMAIN_MISSING = ('The sender\'s domain does not exist in DNS (no MX or A record), so the server '
                               'refuses it; retrying will not help, even when the code is a 4xx. Set from_email '
                               '(and test_sender) to an address of a real, resolvable domain, or fix that domain\'s '
                               'DNS.')
_HINT_QUOTA = ('The account has reached a sending quota or rate limit (per day, hour or minute); the message and '
               'the settings are not the problem. Retry later, when the provider\'s window resets, send less (let one '
               'host test a shared account), or ask the provider for a higher quota.')
_HINT_RELAY = ('The server will not relay to the recipient\'s domain for this client: authenticate (set username '
               'and password), or add this host to the server\'s trusted networks. This is a configuration error, '
               'not a temporary one.')
_HINT_RELAY_AFTER_AUTH = ('The login worked, but the server still will not relay to the recipient\'s domain for '
                          'this account: the server does not let authenticated clients relay (Postfix: '
                          'permit_sasl_authenticated missing from smtpd_relay_restrictions on this port), or the '
                          'account may only send for its own domain or to some recipients (Mailgun: the From domain '
                          'of these SMTP credentials; sandbox and trial accounts: authorised recipients only). Fix the '
                          'server\'s relay rules or the account; this is a configuration error, not a temporary one.')

_TOKEN = ('token',)
_HINT_OAUTH_REFUSED = ('The server refused the OAuth 2.0 token (server_message holds its challenge). Check that the '
                       'token is for this service (scope https://outlook.office365.com/.default for Microsoft 365, '
                       'https://mail.google.com/ for Gmail: a token for another API has the wrong audience), that it '
                       'has not expired, and that the application may use this mailbox (Microsoft 365: its service '
                       'principal registered in Exchange Online with rights on the mailbox; Google: domain-wide '
                       'delegation for the subject).')

CATALOG = (
    # -- token: the OAuth 2.0 grant, before any SMTP (the provider's own error in server_message) -------
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'AADSTS7000222',
         hint='The client secret has expired. Create a new secret in the app registration (Microsoft Entra ID > '
              'App registrations > Certificates & secrets) and give its Value in oauth2.client_secret.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'AADSTS7000215',
         hint='Entra ID rejected the client secret. Give the secret\'s Value (shown once when it was created), '
              'not its Secret ID, in oauth2.client_secret, for the application named by oauth2.client_id.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'AADSTS(700016|90002)\b',
         hint='Entra ID does not know this application in this tenant. Check oauth2.client_id (the '
              'Application (client) ID) and oauth2.tenant (the Directory (tenant) ID or domain).'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused',
         text=r'AADSTS(700027|700024|50027|50012)\b',
         hint='Entra ID rejected the signed client assertion: upload this certificate (client_certificate) to the '
              'app registration, give the matching private key, and check this host\'s clock.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'^invalid_client\b',
         hint='The token endpoint rejected the client credentials: check oauth2.client_id and the '
              'client_secret or certificate registered for it.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'^unauthorized_client\b',
         hint='The application may not use this grant or scope. Microsoft 365: grant the application permission '
              'SMTP.SendAsApp (client credentials) or SMTP.Send (delegated) with admin consent; Google: authorise '
              'the service account\'s client ID for https://mail.google.com/ under domain-wide delegation.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'^invalid_grant\b',
         hint='The grant itself was refused: the refresh token expired or was revoked (sign in and consent '
              'again to get a new one), or the service account may not act as oauth2.subject.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused', text=r'^invalid_scope\b',
         hint='The scope was refused. With client credentials Microsoft 365 needs '
              'https://outlook.office365.com/.default; Gmail needs https://mail.google.com/.'),
    dict(category='auth_failed', stages=_TOKEN, condition='token_refused',
         hint='The token endpoint refused the grant: read server_message (the provider\'s own error) and check '
              'the oauth2 settings.'),
    dict(category='protocol_error', stages=_TOKEN, condition='token_bad_reply',
         hint='The token endpoint did not answer like an OAuth 2.0 token endpoint. Check oauth2.token_url.'),
    dict(category='dns_failure', stages=_TOKEN, exc=('dns',),
         hint='The token endpoint\'s host name does not resolve. Check oauth2.token_url and this host\'s DNS.'),
    dict(category='connection_refused', stages=_TOKEN, exc=('refused', 'unreachable'),
         hint='The token endpoint cannot be reached from this host (refused or unreachable): check '
              'oauth2.token_url, firewalls and proxies.'),
    dict(category='connection_timeout', stages=_TOKEN, exc=('timeout', 'deadline'),
         hint='The token endpoint did not answer in time: a firewall or proxy may block HTTPS from this host.'),

    # -- resolve ----------------------------------------------------------------------------------
    dict(category='dns_failure', stages=('resolve',), condition='resolve_timeout',
         hint='The DNS resolver did not answer in time. Check the resolver configuration of this host.'),
    dict(category='dns_failure', stages=('resolve',),
         hint='The host name does not resolve. Check its spelling, or the DNS and /etc/hosts of this host.'),

    # -- connect ----------------------------------------------------------------------------------
    dict(category='connection_refused', stages=('connect',), exc=('refused',), facts=dict(port=25),
         suggest=True,
         hint='Nothing accepts connections on port 25 there. Submission usually runs on 587 (STARTTLS) or '
              '465 (implicit TLS).'),
    dict(category='connection_refused', stages=('connect',), exc=('refused',),
         hint='Nothing listens on that port (connection refused). Check the port number, the server, and '
              'firewalls.'),
    dict(category='connection_refused', stages=('connect',), exc=('unreachable',),
         hint='The network or host is unreachable from this machine. Check routing and firewalls, and IPv6 '
              'connectivity for IPv6 addresses.'),
    dict(category='connection_timeout', stages=('connect',), exc=('timeout', 'deadline'), condition='tcp',
         facts=dict(port=25), suggest=True,
         hint='The TCP connection to port 25 timed out. Cloud providers (AWS, GCP, Azure, DigitalOcean) block '
              'outbound port 25: use 587 (STARTTLS) or 465 (implicit TLS).'),
    dict(category='connection_timeout', stages=('connect',), exc=('timeout', 'deadline'), condition='tcp',
         hint='The TCP connection timed out: a firewall drops the packets, or the host is down.'),

    # -- TLS --------------------------------------------------------------------------------------
    dict(category='tls_certificate_invalid', exc=('certificate',), verify=(10,),
         hint='The server certificate has expired. Renew it on the server (or set validate_certs=false for '
              'a server you cannot fix).'),
    dict(category='tls_certificate_invalid', exc=('certificate',), verify=(9,),
         hint='The server certificate is not valid yet. Check the clocks of both machines.'),
    dict(category='tls_certificate_invalid', exc=('certificate',), verify=(62, 64),
         hint='The certificate does not name this server. Connect by a name the certificate lists (see '
              'probe.tls.certificate.subject_alt_names), or fix the certificate.'),
    dict(category='tls_certificate_invalid', exc=('certificate',), verify=(18, 19),
         hint='The server certificate is self-signed. Give its CA in ca_path, or install a certificate from a '
              'trusted CA.'),
    dict(category='tls_certificate_invalid', exc=('certificate',), verify=(2, 20, 21),
         hint='The certificate was issued by an unknown CA or the chain is incomplete. Give the CA in ca_path '
              'for a private CA, or make the server send its intermediate certificates.'),
    dict(category='tls_certificate_invalid', exc=('certificate',),
         hint='The server certificate failed verification. Fix the certificate, or give the CA in ca_path.'),
    dict(category='tls_handshake_failure', stages=('connect',), exc=('ssl', 'closed'), ssl_reason=_WRONG_TLS_MODE,
         suggest=True, hint=_HINT_IMPLICIT_ON_STARTTLS),
    dict(category='tls_handshake_failure', stages=('connect',), exc=('timeout', 'deadline', 'closed'),
         condition='handshake', suggest=True,
         hint='The server did not answer the TLS handshake. The port may expect plaintext first (STARTTLS): '
              'try security=starttls, or port 465 for implicit TLS.'),
    dict(category='tls_handshake_failure', exc=('ssl',),
         ssl_reason=('UNSUPPORTED_PROTOCOL', 'TLSV1_ALERT_PROTOCOL_VERSION', 'NO_PROTOCOLS_AVAILABLE',
                     'WRONG_SSL_VERSION', 'VERSION_TOO_LOW'),
         hint='The server offers only TLS versions older than 1.2. Upgrade its TLS configuration.'),
    dict(category='tls_handshake_failure', exc=('ssl',),
         ssl_reason=('SSLV3_ALERT_HANDSHAKE_FAILURE', 'NO_SHARED_CIPHER', 'NO_CIPHERS_AVAILABLE',
                     'NO_SUITABLE_SIGNATURE_ALGORITHM', 'DH_KEY_TOO_SMALL', 'EE_KEY_TOO_SMALL', 'CA_MD_TOO_WEAK'),
         hint='Client and server share no acceptable cipher or key size. Modernise the server TLS settings.'),
    dict(category='tls_handshake_failure', stages=('starttls',), exc=('ssl', 'closed', 'timeout', 'deadline'),
         condition='handshake',
         hint='The TLS handshake after STARTTLS failed. Check the server TLS configuration; implicit TLS on '
              'port 465 may work instead.'),
    dict(category='tls_handshake_failure', stages=('starttls',), condition='starttls_refused',
         hint='The server refused STARTTLS. Its TLS setup is broken; implicit TLS on port 465 may work.'),
    dict(category='tls_handshake_failure', exc=('ssl',),
         hint='The TLS handshake failed. Check that the security mode matches the port: starttls for 587/25, '
              'tls (implicit) for 465.'),
    dict(category='starttls_not_offered', stages=('starttls',), condition='starttls_not_offered', suggest=True,
         hint='The server does not offer STARTTLS on this port. Use implicit TLS (security=tls, port 465) or '
              'another port; security=none sends everything in clear text.'),

    # -- greeting ---------------------------------------------------------------------------------
    dict(category='greeting_failure', stages=('greeting',), exc=('timeout', 'deadline'), facts=dict(security='tls'),
         hint='Connected but no greeting arrived inside TLS. The server may be slow or broken.'),
    dict(category='greeting_failure', stages=('greeting',), exc=('timeout', 'deadline'), suggest=True,
         hint='Connected but the server sent no greeting in time. A port that expects implicit TLS (usually 465) '
              'stays silent for a plaintext client: try security=tls.'),
    dict(category='client_blocked', stages=('greeting',), codes='5xx', about=('client',), hint=_HINT_BLOCKED),
    dict(category='greeting_failure', stages=('greeting',), codes='4xx',
         hint='The server refused the session for now: too many connections from this address, or it is '
              'overloaded. Retry later, and let fewer hosts connect at once; the port and settings are not the '
              'problem.'),
    dict(category='greeting_failure', stages=('greeting',), codes='5xx',
         hint='The server refused the session at the greeting, before any setting was used: read server_message '
              '(usually a policy on this client\'s address). Use the provider\'s submission port or relay.'),
    dict(category='greeting_failure', stages=('greeting',),
         hint='The server did not send a usable SMTP greeting. Check that this port runs an SMTP server.'),

    # -- the EHLO name (at EHLO, or reported later at RCPT as Postfix does) ------------------------
    dict(category='ehlo_rejected', stages=('ehlo',), codes='5xx', hint=_HINT_EHLO),
    dict(category='ehlo_rejected', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('helo',), not_about=('login',),
         hint=_HINT_EHLO),

    # -- STARTTLS demanded ------------------------------------------------------------------------
    dict(category='tls_required', codes=(530, 538), about=('tls',),
         hint='The server requires TLS. Use security=starttls (port 587) or tls (port 465).'),
    dict(category='tls_required', codes=(530, 538), enhanced=('5.7.11',),
         hint='The server requires TLS. Use security=starttls (port 587) or tls (port 465).'),

    # -- AUTH -------------------------------------------------------------------------------------
    dict(category='auth_not_offered', stages=('auth',), condition='no_oauth_mechanism',
         hint='The server offers neither XOAUTH2 nor OAUTHBEARER on this connection (see probe.auth_mechanisms), '
              'so the OAuth 2.0 token cannot be used here. Use the provider\'s submission endpoint '
              '(smtp.office365.com:587, smtp.gmail.com:587), or oauth2.mechanism for the one it offers.'),
    dict(category='auth_method_disabled', stages=('auth',), codes=(535,), facts=dict(auth_method='oauth2'),
         text=r'SmtpClientAuthentication is disabled',
         hint='SMTP AUTH is disabled for this mailbox or tenant, and OAuth 2.0 logins need it too: an Exchange '
              'admin must enable it for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false).'),
    dict(category='auth_failed', stages=('auth',), codes='5xx', facts=dict(auth_method='oauth2'),
         hint=_HINT_OAUTH_REFUSED),
    dict(category='auth_not_offered', stages=('auth',), condition='auth_not_offered',
         facts=dict(security='none', starttls_offered=True), suggest=True,
         hint='The server offers AUTH only after STARTTLS. Use security=starttls.'),
    dict(category='auth_not_offered', stages=('auth',), condition='auth_not_offered',
         hint='The server offers no AUTH on this connection. Use the submission port (587 with STARTTLS, or '
              '465), or leave username empty if the server relays for this host without login.'),
    dict(category='auth_not_offered', stages=('auth',), condition='no_usable_mechanism',
         hint='The server offers no AUTH mechanism this module can use (PLAIN, LOGIN, CRAM-MD5). OAuth-only '
              'accounts need an app password or a relay.'),
    dict(category='auth_not_offered', stages=('auth',), codes=(500, 502, 503), about=('auth_unavailable',),
         hint='The server offers no AUTH on this connection (it says so in reply to AUTH). Use the submission '
              'port (587 with STARTTLS, or 465), or leave username empty if the server relays for this host '
              'without login.'),
    dict(category='auth_not_offered', stages=('auth',), codes=(504,),
         hint='The server does not accept the chosen AUTH mechanism. Check the mechanisms it offers in '
              'probe.auth_mechanisms.'),
    dict(category='auth_failed', stages=('auth',), codes=(534,), enhanced=('5.7.9',),
         hint='The account needs an application-specific password (2-step verification is on). Create an app '
              'password and use it here.'),
    dict(category='auth_failed', stages=('auth',), codes=(534,), enhanced=('5.7.14',),
         hint='Gmail wants an interactive sign-in before it accepts this login: sign in once with a web browser '
              'from this network, or use an App Password (2-step verification) instead of the account password.'),
    dict(category='auth_failed', stages=('auth',), codes=(535,), text=r'gsmtp|BadCredentials|support\.google',
         hint='Gmail rejected the password. Accounts with 2-step verification need an App Password; the '
              'normal account password does not work for SMTP.'),
    # The password is wrong (the reply says so): not the kind of login.
    dict(category='auth_failed', stages=('auth',), codes=(535,), enhanced=('5.7.139',), about=('credentials_wrong',),
         hint='Microsoft 365 says the user name or password is wrong (SMTP AUTH itself is not what failed). Check '
              'the password and use the full mailbox address as username; a mailbox with MFA needs an app '
              'password.'),
    # The KIND of login is switched off (Microsoft's Basic authentication retirement), whatever the password.
    dict(category='auth_method_disabled', stages=('auth',), codes='5xx', enhanced=('5.7.30',),
         hint=_HINT_BASIC_AUTH_OFF),
    dict(category='auth_method_disabled', stages=('auth',), codes=(535,), enhanced=('5.7.139',),
         text=r'SmtpClientAuthentication is disabled|basic authentication is disabled',
         hint=_HINT_BASIC_AUTH_OFF),
    dict(category='auth_method_disabled', stages=('auth',), codes=(535,), enhanced=('5.7.139',),
         text=r'security defaults',
         hint='The tenant\'s security defaults (Microsoft Entra ID) block every password login to SMTP, whatever '
              'the password: a new password will not help. Log in with OAuth 2.0 (the oauth2 option) where the '
              'app can, or send through a relay; otherwise an admin must turn security defaults off or '
              're-enable SMTP AUTH for this mailbox (see docs/m365.md).'),
    dict(category='auth_failed', stages=('auth',), codes=(535,), enhanced=('5.7.139',),
         hint='Microsoft 365 blocks basic authentication (security defaults, conditional access or MFA). Allow '
              'SMTP AUTH for this mailbox or use a relay.'),
    dict(category='auth_failed', stages=('auth',), codes=(535,), text=r'Bad username / password',
         hint='SendGrid rejected the login. The user name must be the literal word apikey and the password '
              'an API key.'),
    dict(category='auth_failed', stages=('auth',), codes=(535,), text=r'(?-i:Authentication Credentials Invalid)',
         hint='Amazon SES rejected the login. Use SMTP credentials (not IAM access keys) created for this '
              'region\'s endpoint.'),
    dict(category='auth_failed', stages=('auth',), codes=(535,), text=r'#AUTH005',
         hint='Yahoo refuses the account password for SMTP. Create an app password in the account\'s security '
              'settings and use it here.'),
    dict(category='auth_failed', stages=('auth',), codes='4xx', enhanced=('x.7.8',),
         hint='The server rejected the user name and password. Check both; some providers want an app password '
              'or an API key as the password.'),
    dict(category='temporary_failure', stages=('auth',), codes='4xx',
         hint='The server throttles logins for now (too many attempts for this account or from this address). '
              'Retry later; across a fleet, let one host test a shared account.'),
    dict(category='auth_failed', stages=('auth',), codes=(535, 534, 501, 500, 554, 550),
         hint='The server rejected the user name and password. Check both; some providers want an app password '
              'or an API key as the password, and Microsoft 365 needs SMTP AUTH enabled for the mailbox.'),
    dict(category='auth_failed', stages=('auth',), codes='5xx',
         hint='The server rejected the login. Check the user name and password.'),

    # -- this client's IP address named as what is refused (before the readings of the rest of the text) -----
    dict(category='client_blocked', stages=('ehlo',) + _ENVELOPE, codes=('4xx', '5xx'), about=('client_ip',),
         hint=_HINT_BLOCKED),

    # -- the sender's domain (SPF, DKIM, DMARC) ---------------------------------------------------
    dict(category='sender_domain_policy', stages=_ENVELOPE, codes='5xx',
         enhanced=('x.7.20', 'x.7.21', 'x.7.22', 'x.7.23', 'x.7.24', 'x.7.26', 'x.7.27'), hint=_HINT_DOMAIN),
    # "authentication checks" naming SPF/DKIM/DMARC are the domain's, not the login's (4xx: it will not pass later)
    dict(category='sender_domain_policy', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('domain_auth',),
         hint=_HINT_DOMAIN),

    # a domain blocklist (Spamhaus DBL) names a domain, not this client's address: the MAIL FROM domain, or one in
    # the message; a provider's verdict on the sending domain's reputation is about the mail, not its DNS set-up
    dict(category='sender_domain_policy', stages=_ENVELOPE, codes=('4xx', '5xx'),
         about=('domain_listed', 'sender_domain'), hint=_HINT_DOMAIN_LISTED),
    dict(category='message_rejected', stages=('data', 'message'), codes='5xx', about=('domain_listed',),
         hint=_HINT_CONTENT_DOMAIN_LISTED),
    dict(category='message_rejected', stages=('data', 'message'), codes='5xx', about=('domain_reputation',),
         hint=_HINT_DOMAIN_REPUTATION),

    # -- this client host (blocklists, reverse DNS, dynamic ranges, "use your provider's relay") ---
    dict(category='client_blocked', stages=('ehlo',) + _ENVELOPE, codes=('4xx', '5xx'), about=('client',),
         not_about=('sender', 'domain_listed'), hint=_HINT_BLOCKED),

    # -- authentication demanded: before a successful AUTH it is the login ------------------------
    dict(category='auth_required', codes=(530,), enhanced=('5.7.57',), facts=dict(authenticated=False),
         hint='Microsoft 365 requires authentication: set username and password (SMTP AUTH must be enabled '
              'for the mailbox).'),
    dict(category='auth_required', stages=_ENVELOPE, codes=(530,), facts=dict(authenticated=False),
         not_about=('sender',),
         hint='The server requires authentication before this command. Set username and password.'),
    dict(category='auth_required', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('login',),
         facts=dict(authenticated=False),
         hint='The server requires authentication. Set username and password.'),
    # "bad sequence" at MAIL FROM from a client that did not log in: the missing command is AUTH
    dict(category='auth_required', stages=('mail',), codes=(503,), facts=dict(authenticated=False),
         hint='The server wants another command before MAIL FROM, normally AUTH: set username and password '
              '(the probe logs in after EHLO).'),

    # -- the sending domain unknown to the provider (transactional providers) ---------------------
    dict(category='sender_domain_policy', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('sending_domain',),
         send_only_if_stage=('message',), hint=_HINT_SENDING_DOMAIN),

    # -- quotas and rates of the account: not the message, not the stage's usual reading -----------
    dict(category='temporary_failure', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('sending_quota',),
         hint=_HINT_QUOTA),

    # -- sender -----------------------------------------------------------------------------------
    # a blocked-senders list of the receiving side, whatever the stage (Postfix-style "Recipient address rejected:
    # BLOCK-SEND-ER" at RCPT included): the sender is refused, not the recipient
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes='5xx', about=('sender_blocked',),
         hint=_HINT_SENDER_BLOCKED),
    # a sender domain that does not exist: a 4xx too, and retrying will not help
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes=('4xx', '5xx'),
         about=('sender', 'domain_missing'), hint=_HINT_SENDER_DOMAIN_MISSING),
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes=('4xx', '5xx'), enhanced=('x.1.8',),
         hint=_HINT_SENDER_DOMAIN_MISSING),
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('sender',),
         send_only_if_stage=('message',), hint=_HINT_SENDER),
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes='5xx', enhanced=('5.7.60', '5.2.252'),
         send_only_if_stage=('message',), hint=_HINT_SENDER),

    # -- relaying: the recipient's domain (after a successful AUTH too: the login is fine, relaying is not)
    dict(category='relay_denied', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('relay',),
         facts=dict(authenticated=True), hint=_HINT_RELAY_AFTER_AUTH),
    dict(category='relay_denied', stages=_ENVELOPE, codes=('4xx', '5xx'), about=('relay',), hint=_HINT_RELAY),
    dict(category='relay_denied', stages=_ENVELOPE, codes='5xx', enhanced=('5.7.54',),
         hint='The server will not relay to this domain. Authenticate, or configure a connector.'),
    dict(category='sender_not_permitted', stages=('mail',), condition='smtputf8_not_offered',
         hint='The sender address has non-ASCII characters and the server does not offer SMTPUTF8. Use an '
              'ASCII address.'),
    dict(category='sender_not_permitted', stages=_ENVELOPE, codes='5xx', enhanced=('x.1.7', 'x.1.8', 'x.1.0'),
         hint='The server rejected the sender address. Use an address of a domain the server accepts, '
              'normally the authenticated account\'s own (from_email / test_sender).'),
    dict(category='sender_not_permitted', stages=('mail',), codes='5xx',
         hint='The server rejected the sender (MAIL FROM). Use the authenticated account\'s own address as '
              'test_sender and from_email, or grant the account Send As rights for this one.'),

    # -- recipient --------------------------------------------------------------------------------
    dict(category='recipient_rejected', stages=('rcpt',), condition='smtputf8_not_offered',
         hint='The recipient address has non-ASCII characters and the server does not offer SMTPUTF8.'),
    # a recipient domain that does not exist: a 4xx too, and retrying will not help
    dict(category='recipient_rejected', stages=('rcpt',), codes=('4xx', '5xx'), about=('recipient', 'domain_missing'),
         hint='The recipient\'s domain does not exist in DNS; retrying will not help, even when the code is a 4xx. '
              'Set test_recipient to an address of a real domain.'),
    dict(category='recipient_rejected', stages=('rcpt',), codes='5xx', enhanced=('x.1.1', 'x.1.2', 'x.1.3', 'x.1.6',
                                                                                 'x.1.10', 'x.2.1'),
         hint='The recipient does not exist or is invalid. Set test_recipient to a working mailbox.'),
    # a reply at RCPT that is about the recipient and not about relaying: the recipient, whatever the enhanced code
    # (5.7.1 "Recipient address rejected: ...", "No such user!"); a 4xx that says it is invalid will not pass later
    dict(category='recipient_rejected', stages=('rcpt',), codes='5xx', about=('recipient',),
         not_about=('relay', 'access_denied'), hint=_HINT_RECIPIENT_INVALID),
    dict(category='recipient_rejected', stages=('rcpt',), codes='4xx', about=('recipient_invalid',),
         not_about=('relay',), hint=_HINT_RECIPIENT_INVALID),
    dict(category='relay_denied', stages=('rcpt',), codes='5xx', enhanced=('x.7.1',), facts=dict(authenticated=False),
         hint='The server will not accept this recipient from this client (relay denied). Authenticate, or '
              'add this host to the server\'s trusted networks.'),
    dict(category='recipient_rejected', stages=('rcpt',), codes='5xx',
         hint='The server refused the recipient. Set test_recipient to a mailbox the server accepts; if the '
              'address is right, read server_message: the refusal is a policy on this client or sender.'),

    # -- DATA and the message ---------------------------------------------------------------------
    dict(category='message_rejected', stages=('data', 'message'), codes=(552,),
         hint='The message is too large for the server or the mailbox is full.'),
    # a recipient refused only after the message (Yahoo: "554 delivery error: dd This user doesn't have a ... account")
    dict(category='recipient_rejected', stages=('data', 'message'), codes='5xx', about=('recipient_invalid',),
         hint='The server accepted the recipient at RCPT but refused it after the message: it does not exist or is '
              'disabled. Set test_recipient to a working mailbox.'),
    dict(category='message_rejected', stages=('data', 'message'), codes='5xx',
         hint='The server refused the message. Read server_message: content or policy filters, or a sender '
              'the server checks only after the message (use the account\'s own address as From).'),

    # -- temporary --------------------------------------------------------------------------------
    dict(category='temporary_failure', codes='4xx',
         hint='The server answered with a temporary error (greylisting, rate limit, or overload). Retrying '
              'later may work.'),

    # -- timeouts and protocol errors --------------------------------------------------------------
    dict(category='timeout', exc=('timeout', 'deadline'),
         hint='The server stopped answering. Raise timeout or deadline if it is just slow; otherwise check '
              'the server and any filtering middlebox.'),
    dict(category='protocol_error', exc=('closed',),
         hint='The server closed the connection in the middle of the dialogue. Check the server log for the '
              'reason (a policy or a crash).'),
    dict(category='protocol_error',
         hint='The server sent an unexpected reply. Check that this port runs an SMTP server and read '
              'server_message.'),
)


class ConnectionClosed(OSError):
    """The server closed the connection."""


class DeadlineExceeded(Exception):
    """The whole-test deadline ran out."""


class BadReply(Exception):
    """The server sent something that is not an SMTP reply."""


def exception_kind(exc):
    """The structural kind of an exception, as the catalog's ``exc`` criterion names it."""
    if exc is None:
        return None
    if isinstance(exc, DeadlineExceeded):
        return 'deadline'
    if isinstance(exc, ssl.SSLCertVerificationError):
        return 'certificate'
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return 'closed'
    if isinstance(exc, ssl.SSLError):
        if 'CERTIFICATE_VERIFY_FAILED' in (getattr(exc, 'reason', None) or ''):
            return 'certificate'
        return 'ssl'
    if isinstance(exc, socket.gaierror):
        return 'dns'
    if isinstance(exc, socket.timeout):
        return 'timeout'
    if isinstance(exc, ConnectionRefusedError):
        return 'refused'
    if isinstance(exc, (ConnectionClosed, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return 'closed'
    if isinstance(exc, BadReply):
        return 'bad_reply'
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL,
                                                  errno.EAFNOSUPPORT):
        return 'unreachable'
    if isinstance(exc, OSError):
        return 'os'
    return 'other'


def _code_matches(rule, code):
    """``rule`` is '4xx', '5xx', or a tuple of codes and classes (``(530, '4xx')``)."""
    if code is None:
        return False
    if isinstance(rule, str):
        return str(code)[0] == rule[0] and rule.endswith('xx')
    return any(_code_matches(item, code) if isinstance(item, str) else code == item for item in rule)


def _enhanced_matches(codes, enhanced):
    """``codes`` are full enhanced status codes; ``x`` as the class digit matches 4 and 5."""
    if not enhanced:
        return False
    for code in codes:
        if code.startswith('x.'):
            code = enhanced[0] + code[1:]
        if enhanced == code:
            return True
    return False


def _matches(row, failure, topics=frozenset()):
    if 'stages' in row and failure.stage not in row['stages']:
        return False
    if 'condition' in row and failure.condition != row['condition']:
        return False
    kind = exception_kind(failure.exc)
    if 'exc' in row and kind not in row['exc']:
        return False
    if 'ssl_reason' in row:
        reason = getattr(failure.exc, 'reason', None) or ''
        if kind == 'closed' and not reason:
            reason = 'EOF'
        if reason not in row['ssl_reason']:
            return False
    if 'verify' in row and getattr(failure.exc, 'verify_code', None) not in row['verify']:
        return False
    if 'codes' in row and not _code_matches(row['codes'], failure.code):
        return False
    if 'enhanced' in row and not _enhanced_matches(row['enhanced'], failure.enhanced):
        return False
    if 'facts' in row:
        for key, value in row['facts'].items():
            if failure.facts.get(key) != value:
                return False
    if 'text' in row and not re.search(row['text'], failure.text or '', re.IGNORECASE):
        return False
    if 'about' in row and not all(topic in topics for topic in row['about']):
        return False
    if 'not_about' in row and any(topic in topics for topic in row['not_about']):
        return False
    return True


def topics_of(text):
    """The TOPICS the reply text is about (a frozenset of their names)."""
    return frozenset(name for name, pattern in TOPICS.items() if re.search(pattern, text or '', re.IGNORECASE))


def find_row(failure):
    """The first catalog row that matches ``failure`` (the last row matches anything)."""
    topics = topics_of(failure.text)
    for row in CATALOG:
        if _matches(row, failure, topics):
            return row
    return CATALOG[-1]


class Failure:
    """What went wrong, in structural terms. Built by the probe; read by ``diagnose()``.

    ``exc`` the exception (or None), ``code``/``enhanced``/``text`` the server reply (or None),
    ``condition`` a failure the probe detected itself, ``facts`` about the settings and the session.
    """

    def __init__(self, stage, exc=None, code=None, enhanced=None, text=None, condition=None, facts=None):
        self.stage = stage
        self.exc = exc
        self.code = code
        self.enhanced = enhanced
        self.text = text
        self.condition = condition
        self.facts = dict(facts or {})
        # The dialogue state the catalog reads: no AUTH succeeded unless the probe says so.
        self.facts.setdefault('authenticated', False)
        self.sender = None

    def describe(self):
        """One line about what happened, for ``server_message`` when there was no reply."""
        if self.code is not None:
            return ' '.join(str(p) for p in (self.code, self.enhanced, self.text) if p)
        if self.exc is None and self.text:
            return self.text   # a reply that is not SMTP: the token endpoint's error
        if self.exc is not None:
            kind = exception_kind(self.exc)
            if kind == 'certificate':
                return 'certificate verify failed: %s' % (getattr(self.exc, 'verify_message', None) or self.exc.reason)
            if kind == 'deadline':
                return 'no answer before the deadline ran out (%s)' % (self.exc,)
            if kind == 'timeout':
                return 'no answer within the timeout (%s)' % (self.exc,)
            if isinstance(self.exc, ConnectionClosed):
                return 'the server closed the connection'
            text = str(self.exc) or type(self.exc).__name__
            return '%s: %s' % (type(self.exc).__name__, text)
        return self.condition or 'unknown failure'


def diagnose(failure, server=None):
    """Classify ``failure`` into the diagnosis dict returned by every module."""
    row = find_row(failure)
    hint = row['hint']
    send_only = bool(row.get('send_only')) or failure.stage in row.get('send_only_if_stage', ())
    if send_only:
        hint = hint + ' Only test=send could show this failure.'
    return dict(
        category=row['category'],
        stage=failure.stage,
        server=server,
        smtp_code=failure.code,
        enhanced_status=failure.enhanced,
        server_message=failure.text if failure.code is not None else failure.describe(),
        hint=hint,
        only_send_conclusive=send_only,
        sender=failure.sender,
        suggest=bool(row.get('suggest')),
    )


# Servers known to check the sender only after the message: an envelope test cannot be conclusive.
LATE_SENDER_CHECKS = (
    (r'Microsoft ESMTP|outlook\.com|office365|protection\.outlook|Exchange', 'Microsoft Exchange / 365'),
    (r'amazonses|amazonaws', 'Amazon SES'),
    (r'sendgrid', 'SendGrid'),
)


def late_sender_check(banner_and_ehlo):
    """The provider name when the banner or EHLO text shows a server that checks the sender late."""
    for pattern, name in LATE_SENDER_CHECKS:
        if re.search(pattern, banner_and_ehlo or '', re.IGNORECASE):
            return name
    return None
