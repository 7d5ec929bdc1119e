# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Any file in one of the store formats, its keys named by the ``keys`` option."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._mapped import MappedProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection


class GenericProfile(MappedProfile):
    name = 'generic'
    label = 'any INI, JSON, YAML, env or PHP file'
    settings_location = 'any INI, JSON, YAML, env or PHP file, with your own key mapping'
    doc = 'any file in O(format), with the key of each setting given by O(keys).'
    # The app behind a generic file is unknown: no CA file key is known, so ca_path is refused (the test would trust
    # a CA the app may not).
    connection = Connection(senders=('whatever the app does with the keys mapped',))
