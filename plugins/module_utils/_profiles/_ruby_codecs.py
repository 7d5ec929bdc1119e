# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Value codecs for the YAML files that Ruby reads: Redmine (ERB, then Psych) and Discourse (Psych, then the
``./launcher`` shell). Both work on the YAML store's typed values (checked against the real readers by
tests/unit/plugins/module_utils/test_app_readers.py).

Redmine (``lib/redmine/configuration.rb``): ``YAML.load(ERB.new(File.read(file)).result)``. ERB runs first, on
the whole file: ``<%`` in a value starts Ruby code that runs when Redmine starts. ERB's own escape ``<%%``
gives a literal ``<%``, so a value is written with every ``<%`` doubled and reads back exactly. A plain
``:name`` scalar is a Ruby Symbol, not a String: text settings are written quoted when they look like one.

Discourse (``launcher`` ``set_template_info``): Ruby prints ``-e`` and ``KEY=value`` lines (the value's
``to_s``), and a bash ``while read i`` loop (no ``-r``) reads them back: every backslash is removed (it
escapes the next character; one at the end joins the next line), trailing blanks are stripped, and
``{{config}}`` becomes the container's name. The app.yml text is also split at ``_FILE_SEPERATOR_``. None of
these has an escape that survives both Psych and the launcher, so such values are refused.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import PlainScalar, TextScalar

_ERB_TAG = re.compile(r'<%%?')
_ERB_OPEN = re.compile(r'<%(?!%)')


def refuse_erb_code(text):
    """StoreError naming the first ERB tag that can change what YAML Redmine reads: a code or comment tag
    (``<% if false %>`` ... ``<% end %>`` hides or repeats whole sections, even inside a YAML comment: ERB runs
    first, on every byte) or any tag that spans lines. A one-line ``<%= ... %>`` only computes a value (the
    codecs treat such a value of ours as computed at start-up); ``<%%`` is ERB's literal ``<%``."""
    for match in _ERB_OPEN.finditer(text):
        line = text.count('\n', 0, match.start()) + 1
        close = text.find('%>', match.end())
        eol = text.find('\n', match.end())
        if close < 0 or (0 <= eol < close):
            raise StoreError('line %d: an ERB tag that is not closed on its line; Redmine runs the file through ERB '
                             'before YAML, so the module cannot tell what it reads' % line)
        if text[match.end():match.end() + 1] != '=':
            raise StoreError('line %d: ERB code (%s ... %%>) runs before YAML is read (Redmine reads the file '
                             'through ERB) and can hide or repeat settings; the module cannot tell what Redmine '
                             'reads, so it refuses the file' % (line, text[match.start():match.end() + 1]))


def _is_ruby_symbol(stored):
    """Psych reads a plain scalar that starts with ``:`` and has more after it as a Symbol."""
    return isinstance(stored, PlainScalar) and len(stored) > 1 and stored.startswith(':')


class RedmineTextCodec(Codec):
    """A text setting of Redmine's configuration.yml (address, user_name, password, domain): ERB, then Psych."""

    def decode(self, stored):
        if not isinstance(stored, str):
            return stored
        if _is_ruby_symbol(stored):
            return Computed(stored)          # a Symbol: Net::SMTP cannot use it as a user name or password
        out = []
        position = 0
        for match in _ERB_TAG.finditer(stored):
            if match.group(0) == '<%':
                return Computed(stored)      # ERB code, run at start-up
            out.append(stored[position:match.start()] + '<%')
            position = match.end()
        out.append(stored[position:])
        return ''.join(out)

    def encode(self, value, option='value', app='this app'):
        if not isinstance(value, str):
            return value
        return TextScalar(value.replace('<%', '<%%'))


class DiscourseEnvCodec(Codec):
    """A value of Discourse's app.yml ``env:``: Psych, Ruby ``to_s``, then the launcher's ``read`` loop."""

    def __init__(self, config='app'):
        self.config = config

    def decode(self, stored):
        if isinstance(stored, bool):
            return 'true' if stored else 'false'
        if isinstance(stored, int):
            return str(stored)
        if not isinstance(stored, str):
            return Computed(repr(stored))    # a Ruby Float prints its own way
        if _is_ruby_symbol(stored) or '_FILE_SEPERATOR_' in stored:
            return Computed(stored)          # the launcher's YAML.load fails on it / splits the file there
        out = []
        kept = 0                             # length of ``out`` that trailing-blank stripping may not cut
        index = 0
        while index < len(stored):
            char = stored[index]
            if char == '\\':
                if index + 1 >= len(stored):
                    return Computed(stored)  # read joins the next line
                out.append(stored[index + 1])
                kept = len(out)
                index += 2
                continue
            out.append(char)
            index += 1
        while len(out) > kept and out[-1] in ' \t':
            out.pop()
        return ''.join(out).replace('{{config}}', self.config)

    def encode(self, value, option='value', app='this app'):
        if not isinstance(value, str):
            return value
        if '\\' in value:
            self.refuse(option, app, "its launcher reads app.yml's env with a shell 'read' that drops "
                                     "backslashes")
        if value != value.rstrip(' \t'):
            self.refuse(option, app, "its launcher's shell 'read' strips trailing blanks")
        if '{{config}}' in value:
            self.refuse(option, app, 'its launcher replaces {{config}} with the container name')
        if '_FILE_SEPERATOR_' in value:
            self.refuse(option, app, 'its launcher splits app.yml at _FILE_SEPERATOR_')
        return TextScalar(value)
