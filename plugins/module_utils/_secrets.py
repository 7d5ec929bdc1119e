# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one mask and the one scrub for secrets in anything the collection returns.

``MASK`` replaces a secret wherever one would be shown (diffs, ``settings``, transcripts). ``secret_forms()``
lists a password and every encoding of it this collection puts on the wire; ``scrub()`` and ``scrub_data()``
replace each form by the mask in a text or in every string of a result.
"""

from __future__ import annotations

import base64

MASK = '********'


def secret_forms(username, password):
    """Every encoding of ``password`` this collection produces on the wire, longest first."""
    if not password:
        return []
    forms = set()
    pw = password.encode('utf-8')
    user = (username or '').encode('utf-8')
    forms.add(password)
    for blob in (pw, b'\0' + user + b'\0' + pw, user + b'\0' + user + b'\0' + pw):
        forms.add(base64.b64encode(blob).decode('ascii'))
    # base64 without padding, as some clients send it
    forms.update(f.rstrip('=') for f in list(forms) if f.endswith('='))
    return sorted((f for f in forms if len(f) >= 3 or f == password), key=len, reverse=True)


def scrub(text, secrets, mask=MASK):
    """Replace each secret form in ``text`` (a str) by ``mask``, longest first (a secret holding another
    is replaced whole)."""
    if text is None or not secrets:
        return text
    for form in sorted(set(s for s in secrets if s), key=len, reverse=True):
        if form in text:
            text = text.replace(form, mask)
    return text


def scrub_data(data, secrets):
    """``scrub()`` applied recursively to every string in dicts and lists."""
    if not secrets:
        return data
    if isinstance(data, str):
        return scrub(data, secrets)
    if isinstance(data, dict):
        return dict((k, scrub_data(v, secrets)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [scrub_data(v, secrets) for v in data]
    return data
