# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Exceptions shared by every mailops.smtp module.

Both carry user-facing messages: a module turns them into ``fail_json(msg=str(exc))`` without a
traceback. Messages never contain a secret; callers that build them must not interpolate passwords.
"""

from __future__ import annotations


# outgoing_server_info's words for a missing file when desired settings are given (an audit predicts apply); the
# fleet report of an apply run, where outgoing_server itself failed there, says "nothing was changed" instead.
APPLY_FAILS_TOO = ', so outgoing_server would fail here too'


class SettingsError(Exception):
    """Bad input. ``option`` names the offending option; ``str(exc)`` is the message for the user."""

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option
        self.message = message

    def __str__(self):
        return self.message


class StoreError(Exception):
    """The settings store (file or database row) is unreadable or malformed.

    The message names the store and the problem and must never quote a secret from it.
    """
