# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``Computed``: a stored text whose value the application computes when it starts.

A codec's ``decode`` returns ``Computed(raw)`` when the app does not read the text literally but evaluates it
at start-up in a way the module cannot know from the file alone: a ``${VAR}`` reference (python-dotenv, Ruby
dotenv, Docker Compose, the shell), a ``$(command)``, ERB code in Redmine's configuration.yml, a quoted value
that continues on the next lines. It is a ``str`` (so it is reported as written) that equals nothing, not even
the same text: idempotence and drift treat it as "not the desired value", and ``outgoing_server`` rewrites it
with a literal the app reads exactly.
"""

from __future__ import annotations


class Computed(str):
    """Text the app evaluates at start-up (see the module docstring); equal to nothing."""

    __slots__ = ()

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __hash__(self):
        return id(self)
