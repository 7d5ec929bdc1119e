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
        certificate check.
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
      - A PEM file with the certificate authorities to trust in addition to the system ones, for a private CA.
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
      - The SMTP user name.
    type: str
  password:
    description:
      - The SMTP password. Never shown in output, logs, transcripts or diffs, in clear or encoded.
    type: str
'''
