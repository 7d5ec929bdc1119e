# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The value codec of Go's ``encoding/json`` decoding into a typed struct field (Mattermost's config.json).

What Go reads, and the JSON store alone would not:

- object keys match struct fields case-insensitively, and of several matching keys the last one wins
  (``"smtppassword"`` after ``"SMTPPassword"`` is the password Mattermost uses);
- a value of the wrong JSON type (``"SMTPPort": 25`` for a ``*string`` field) is an error: the app does not load
  the file, so nothing of it is "configured" (read as None, which is drift and gets rewritten).

Writing goes to the key Go reads (an existing case variant keeps its spelling), with the field's JSON type.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import TypedCodec


def go_key_path(store, path):
    """The path of the keys Go decodes ``path``'s fields from (the last case-insensitive match at each level)."""
    found = []
    for name in path:
        matches = [key for key in store.keys(tuple(found)) if key.casefold() == name.casefold()]
        found.append(matches[-1] if matches else name)
    return tuple(found)


class GoJsonFieldCodec(TypedCodec):
    """A Go struct field of type ``kind`` (str or bool) decoded by ``encoding/json``."""

    def __init__(self, kind):
        super().__init__('JSON')
        self.kind = kind

    def decode(self, stored):
        return stored if isinstance(stored, self.kind) else None

    def load(self, store, path):
        return super().load(store, go_key_path(store, path))

    def save(self, store, path, stored):
        store.set(go_key_path(store, path), stored)
