# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``Store``: the interface every store in this package implements (one store per file format).

A store is text in, text out, and no I/O: ``parse`` reads a whole file's text, ``get``/``set``/``delete`` work
on a key path (a tuple whose meaning the format defines: ``(section, key)`` for INI, nested keys for JSON/YAML,
``(NAME, KEY)`` for Python literals...), and ``render`` returns the text with only the edited values changed;
untouched, it returns the original text. A store never decides what the app reads: the profile's value codecs
(``_profiles/_codec.py``) do, through ``get``/``set`` or, for line-based formats (INI, env), through
``get_raw(path)``/``set_raw(path, raw)``: the value's text exactly as it stands after the key, for raw codecs.
Malformed text raises ``StoreError`` naming the line; a missing key is None from ``get``.

The formats, and the store of each, are registered in ``stores/_registry.py``.
"""

from __future__ import annotations


class Store:
    """The interface of a store (see the module docstring)."""

    @classmethod
    def parse(cls, text: str, **options) -> Store:
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError

    def get(self, path: tuple):
        """The typed value at ``path`` as the format parses it, or None when the key is missing."""
        raise NotImplementedError

    def set(self, path: tuple, value) -> None:
        raise NotImplementedError

    def delete(self, path: tuple) -> None:
        raise NotImplementedError
