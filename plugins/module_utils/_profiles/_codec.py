# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Value codecs: how one stored setting is spelled for one app, modelled on that app's own reader.

A store (one per format) finds a key and keeps every other byte of the file; a codec decides what goes after
the key and what the application will read from it. Profiles never look at a stored value except through
``decode``, so idempotence, drift and ``outgoing_server_info`` see what the app sees::

    class Codec:
        raw = False          # True: decode/encode work on the raw text of a line-based store
                             #       (``store.get_raw(path)`` / ``store.set_raw(path, text)``);
                             # False: on the store's typed value (``store.get`` / ``store.set``).

        def decode(self, stored):
            # What the app reads from ``stored`` (raw text or typed value). Never raises.

        def encode(self, value, option, app):
            # What to store so that the app reads exactly ``value``; or raise
            # SettingsError(option, "<option>: cannot be stored in <app> because <why>")
            # (use ``self.refuse(option, app, why)``). ``why`` never quotes the value (it may be a password).

        def trailer(self, old_raw):
            # Raw codecs: the part of the old raw text kept after a rewritten value (an inline comment the
            # app ignores). Default: nothing.

``load(store, path)`` and ``save(store, path, stored)`` connect a codec to a store; ``FileProfile.get`` and
``FileProfile.put`` (in ``_base.py``) are the only callers.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError


def store_get(store, path):
    """The store's (typed) value at ``path``, or None when it is missing or the path does not fit."""
    try:
        return store.get(tuple(path))
    except (KeyError, IndexError, TypeError):
        return None


class Codec:
    """The store's own spelling: the typed value the store parses is what the app reads (JSON, PHP, YAML)."""

    raw = False

    def decode(self, stored):
        return stored

    def encode(self, value, option='value', app='this app'):
        return value

    def trailer(self, old_raw):
        return ''

    @staticmethod
    def refuse(option, app, why):
        """Raise the refusal every codec uses (``why`` must not quote the value)."""
        raise SettingsError(option, '%s: cannot be stored in %s because %s' % (option, app, why))

    # -- plumbing between a codec and a store
    def load(self, store, path):
        """What the app reads at ``path`` (None when the key is missing)."""
        if self.raw:
            try:
                stored = store.get_raw(tuple(path))
            except (KeyError, IndexError, TypeError):
                return None
        else:
            stored = store_get(store, path)
        return None if stored is None else self.decode(stored)

    def save(self, store, path, stored):
        """Write what ``encode`` returned at ``path``."""
        if self.raw:
            try:
                old_raw = store.get_raw(tuple(path))
            except (KeyError, IndexError, TypeError):
                old_raw = None
            store.set_raw(tuple(path), stored + (self.trailer(old_raw) if old_raw is not None else ''))
        else:
            store.set(tuple(path), stored)


STORE_SPELLING = Codec()


def has_surrogate(text):
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


class TypedCodec(Codec):
    """A typed store whose parser is the app's (JSON for Go's encoding/json, PHP literals for ``include``).

    The store's parsed value is what the app reads (proven against the real readers in tests/readers), and the
    store writes any Unicode string as a literal the app reads back exactly (JSON string escapes; PHP single
    quotes with ``\\\\`` and ``\\'``). Only text that is not Unicode (a lone surrogate, which Ansible can hand
    over from undecodable input) cannot be written: UTF-8 has no encoding for it.
    """

    def __init__(self, language):
        self.language = language

    def encode(self, value, option='value', app='this app'):
        if isinstance(value, str) and has_surrogate(value):
            self.refuse(option, app, 'the value is not valid Unicode text (a lone surrogate), which a %s file '
                        'cannot hold' % self.language)
        return value
