# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SMTP transcript: a redacting recorder of the dialogue.

Markers (as swaks prints them): ``===`` information, ``***`` error, `` ->`` sent, ``<- `` received,
`` ~>`` / ``<~ `` the same inside TLS.

Redaction works by protocol state, not by searching for the password: from the ``AUTH`` command until
the first server reply that is not ``334``, every client line is replaced by ``********`` (the ``AUTH``
line keeps only its mechanism name) and the server's ``334`` challenges are masked too. As a second net,
``_secrets.scrub()`` removes the secret and its encodings from any text we return (a server may echo them).
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK, scrub


class Transcript:
    """Collects transcript lines; ``tls`` switches the direction markers to the inside-TLS form."""

    def __init__(self, secrets=None):
        self.lines = []
        self.tls = False
        self.in_auth = False
        self.secrets = list(secrets or [])

    def _add(self, marker, text):
        self.lines.append(marker + scrub(text, self.secrets))

    def info(self, text):
        self._add('=== ', text)

    def error(self, text):
        self._add('*** ', text)

    def client(self, line):
        """Record one line the client sends (without CRLF)."""
        marker = ' ~> ' if self.tls else ' -> '
        if self.in_auth:
            self._add(marker, MASK)
            return
        words = line.split(' ', 2)
        if words[0].upper() == 'AUTH':
            self.in_auth = True
            mechanism = words[1] if len(words) > 1 else ''
            self._add(marker, ('AUTH %s %s' % (mechanism, MASK)) if len(words) > 2 else ('AUTH %s' % mechanism))
            return
        self._add(marker, line)

    def server(self, line):
        """Record one line the server sent (without CRLF)."""
        marker = '<~  ' if self.tls else '<-  '
        if self.in_auth:
            if line[:3] == '334':
                self._add(marker, '334 ' + MASK)
                return
            self.in_auth = False
        self._add(marker, line)

    def client_data(self, summary):
        """Record the message body in summary form (it is not interesting line by line)."""
        marker = ' ~> ' if self.tls else ' -> '
        self._add(marker, summary)
