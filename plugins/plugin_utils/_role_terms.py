# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outgoing_server role's names for the modules' options, and module messages said in those names.

The role passes every module option from a role variable ``outgoing_server_<option>``; the file attributes are
``outgoing_server_file_<attribute>`` (the role's own ``outgoing_server_mode`` is audit or apply). A module's
warning or error names its own option ("set mode: '0600'", "use create: true"): the role's output and report
name the variable the user sets instead. scripts/gen_role_options.py generates the role's options from the same
names.
"""

from __future__ import annotations

import functools
import re

# Module options whose role variable has another name: the file attributes.
RENAMES = {name: "file_" + name for name in
           ("mode", "owner", "group", "seuser", "serole", "setype", "selevel", "attributes", "unsafe_writes")}
PREFIX = "outgoing_server_"


def role_variable(option):
    """The role variable that sets the module option ``option``."""
    return PREFIX + RENAMES.get(option, option)


@functools.lru_cache(maxsize=1)
def _pattern():
    """``<option>:`` where a message tells the user what to set: after "set", "use", "give", "with", "add" or
    "or", after an opening parenthesis or quote, or at the start of the message (a refused value: "mode: 'x'
    is neither ...")."""
    from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
    from ansible_collections.mailops.smtp.plugins.module_utils._argspec import smtp_probe_spec
    from ansible_collections.mailops.smtp.plugins.module_utils._outgoing import outgoing_server_spec
    names = set(outgoing_server_spec()) | set(smtp_probe_spec()) | set(FILE_COMMON_ARGUMENTS) | set(RENAMES)
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(r"(^|\b(?:set|use|give|with|add|or)\s+|[(\"'`])(%s)(?=:\s)" % alternatives)


def in_role_terms(text):
    """``text`` (a module's message) with the module options it tells the user to set named as role variables."""
    if not text:
        return text
    return _pattern().sub(lambda m: m.group(1) + role_variable(m.group(2)), str(text))
