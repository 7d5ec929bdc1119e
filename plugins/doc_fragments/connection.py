# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):

    # Options of plugins/module_utils/_argspec.py CONNECTION_ARGS.
    DOCUMENTATION = r'''
options:
  server:
    description:
      - The SMTP server.
      - V(host), V(host:port), V([v6addr]:port), a bare IPv6 address, or V(scheme://host:port).
      - Schemes are V(smtp) (no TLS), V(tls) or V(starttls) (STARTTLS, the meaning PHPMailer and coreBOS
        give to V(tls://)), and V(ssl) or V(smtps) (implicit TLS).
      - Mind the two meanings of "tls". The scheme V(tls://) means STARTTLS (as in PHPMailer and coreBOS), while
        O(security=tls) means implicit TLS (TLS from the first byte, usually port 465). For implicit TLS write
        V(ssl://host:465); V(tls://host:465) asks for STARTTLS on port 465, and V(tls://) together with
        O(security=tls) is refused as a contradiction.
      - Several servers separated by V(;) (main and backup servers) are allowed; each one is tested.
      - International (IDNA) host names are accepted; the C(xn--) form is used for DNS, SNI and the
        certificate check. One rule on every host, whatever packages it has, IDNA 2008 with UTS 46
        non-transitional mapping (V(straße.test) is C(xn--strae-oqa.test), never C(strasse.test)). Names with
        symbols, with characters IDNA 2008 allows only in context (joiners, middle dots) or newer than Unicode
        3.2 are refused; give their C(xn--) form.
      - Spaces, control characters, CR, LF and NUL are rejected.
    type: str
  port:
    description:
      - Overrides the port given in O(server) for every server.
      - Default from the security mode, V(25) for V(none), V(587) for V(starttls), V(465) for V(tls).
    type: int
  security:
    description:
      - How the connection is protected.
      - V(none) no TLS, V(starttls) plaintext connection upgraded with STARTTLS (required, not
        opportunistic), V(tls) implicit TLS from the first byte.
      - O(security=tls) is implicit TLS, the scheme V(ssl://) in O(server); the scheme V(tls://) is STARTTLS,
        that is O(security=starttls).
      - Default from the scheme in O(server), else V(tls) for port 465 and V(starttls) for any other
        port. Plaintext must be asked for.
      - A value that contradicts the scheme in O(server) is an error.
    type: str
    choices: [none, starttls, tls]
  validate_certs:
    description:
      - Verify the server certificate (chain and host name, using the system trust store plus O(ca_path)).
      - Set to V(false) only for servers with a certificate you cannot fix.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the certificate authorities to trust, for a private CA.
      - M(mailops.smtp.smtp_probe) trusts it in addition to the system trust store.
      - M(mailops.smtp.outgoing_server) stores it where the app reads a CA file, and its test trusts it the way
        the app does. V(msmtp) C(tls_trust_file) and V(postfix) C(smtp_tls_CAfile) use it instead of the system
        trust store (so does the test); V(redmine) C(ca_file) and V(gitlab) C(smtp_ca_file) use it in addition to
        it.
      - M(mailops.smtp.outgoing_server) refuses it for every other app (and for V(generic)), before anything is
        read or changed, since they have no CA setting and verify the server with the host's trust store, so a
        test that trusted O(ca_path) would pass where the app then fails. Install the private CA in the host's
        trust store instead (on Debian, copy it to C(/usr/local/share/ca-certificates/NAME.crt) and run
        C(update-ca-certificates)) and leave O(ca_path) out;
        the test verifies with the default trust store, which honours E(SSL_CERT_FILE). Apps whose TLS library
        reads E(SSL_CERT_FILE) (the Go apps, the Python apps, Discourse's Ruby) can be given a bundle of the
        system CAs plus yours there; give the task the same (C(environment)). See C(docs/apps.md) "How the app
        connects".
      - M(mailops.smtp.outgoing_server_info) refuses it for the same apps, since it tests the stored settings
        with it.
    type: path
  auth:
    description:
      - Whether to authenticate with O(username) and O(password).
      - Default V(true) when O(username) is set, else V(false).
      - Credentials are only sent over TLS, except with O(security=none), where they are sent in plaintext
        with a warning.
    type: bool
  username:
    description:
      - The SMTP user name. With O(oauth2), the mailbox to log in as.
    type: str
  password:
    description:
      - The SMTP password. Never shown in output, logs, transcripts or diffs, in clear or encoded.
      - Mutually exclusive with O(oauth2).
    type: str
  oauth2:
    description:
      - Log in with OAuth 2.0 instead of a password, with SASL C(XOAUTH2) or C(OAUTHBEARER) (RFC 7628), as
        Microsoft 365 and Google Workspace require once password logins are switched off.
      - Either a ready O(oauth2.access_token), or a grant the module runs itself on the target before any SMTP
        (stage V(token) of the RV(diagnosis)), with the Python standard library; a token endpoint's error is
        returned in its own words (C(invalid_client), C(AADSTS7000215), ...) with a hint.
      - The token endpoint is verified like the SMTP server (O(validate_certs), O(ca_path)).
      - Every secret and token is masked in every output, in clear and in every encoding sent (the base64
        initial responses of C(XOAUTH2) and C(OAUTHBEARER) included).
      - Mutually exclusive with O(password). Requires O(username).
      - M(mailops.smtp.outgoing_server) stores it for C(app=msmtp) only - C(auth xoauth2) (or C(oauthbearer)) with
        a C(passwordeval) running a token helper (standard library only) that it installs in
        C(<msmtprc>.oauth2/), the grant's settings and secrets in a 0600 file there, the token cached until
        shortly before it expires; the msmtprc holds no secret. For C(app=postfix) it is refused, naming the
        missing Cyrus SASL XOAUTH2 plugin; every other app refuses it by name (see docs/m365.md).
    type: dict
    version_added: 1.3.0
    suboptions:
      access_token:
        description:
          - A ready access token (no grant is run).
        type: str
      provider:
        description:
          - V(microsoft) - Microsoft Entra ID's v2.0 token endpoint of O(oauth2.tenant), scope
            C(https://outlook.office365.com/.default).
          - V(google) - C(https://oauth2.googleapis.com/token), scope C(https://mail.google.com/).
        type: str
        choices: [microsoft, google]
      tenant:
        description:
          - The Entra ID tenant (its ID or a domain such as C(contoso.onmicrosoft.com)) for
            O(oauth2.provider=microsoft).
        type: str
      token_url:
        description:
          - The token endpoint (C(https://) only). Required unless O(oauth2.provider) is set; wins over it.
        type: str
      client_id:
        description:
          - The application (client) ID.
        type: str
      client_secret:
        description:
          - The client secret (its value, not its ID) for the client-credentials grant, or to authenticate a
            confidential client's refresh-token grant.
        type: str
      client_authentication:
        description:
          - How O(oauth2.client_secret) is sent (RFC 6749 section 2.3.1), in the form or as HTTP Basic.
        type: str
        choices: [client_secret_post, client_secret_basic]
        default: client_secret_post
      client_certificate:
        description:
          - A certificate credential (PEM text or the path of a PEM file) instead of a secret; the module signs a
            JWT client assertion (RFC 7523, RS256) with O(oauth2.client_private_key), carrying the certificate's
            thumbprints as Entra ID requires.
          - Signing uses the Python C(cryptography) library when it is installed on the target, else the
            C(openssl) command; with neither the task fails naming what to install.
        type: str
      client_private_key:
        description:
          - The unencrypted PEM RSA private key of O(oauth2.client_certificate) (text or a path).
        type: str
      refresh_token:
        description:
          - A refresh token; the module runs the refresh-token grant (delegated access for a user's mailbox).
        type: str
      service_account_key:
        description:
          - A service account key (JSON text or the path of the JSON file, with C(client_email) and
            C(private_key)); the module runs the JWT bearer grant (RFC 7523 section 2.1) acting as
            O(oauth2.subject), as Google Workspace's domain-wide delegation does.
        type: str
      subject:
        description:
          - The mailbox the service account acts for (O(oauth2.service_account_key)).
        type: str
      scope:
        description:
          - The scope requested; default from O(oauth2.provider).
        type: str
      mechanism:
        description:
          - The SASL mechanism. Default the first the server offers of V(xoauth2) and V(oauthbearer).
        type: str
        choices: [xoauth2, oauthbearer]
'''
