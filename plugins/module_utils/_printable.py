# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Text from outside (a server's reply, a file) made safe to print in a terminal, Markdown or HTML.

A reply may hold raw control characters: ``ESC c`` resets the terminal that ``cat``s a report, CSI sequences
move the cursor or rewrite what was printed, C1 controls (U+0080-U+009F) do the same on many terminals, and the
bidirectional overrides reorder what a reader sees. ``escape_controls()`` writes each of them as a visible
escape (``\\x1b``, ``\\u202e``), keeping tab and newline for the caller to handle; JSON output needs nothing:
its encoder escapes control characters itself.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]')


def _escape(match):
    code = ord(match.group(0))
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def escape_controls(text):
    """``text`` with every C0 control except tab and newline, DEL, every C1 control and the bidi controls
    written as a visible ``\\xNN`` / ``\\uNNNN`` escape."""
    if text is None:
        return text
    return _CONTROLS.sub(_escape, text)
