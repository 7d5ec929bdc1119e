# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The store registry: file format -> store class (every store implements ``stores/_base.py``'s ``Store``).

Adding a format is one module in this package and one ``STORES`` line here. Each entry imports its store
statically inside a small function: Ansible ships the module_utils a module imports (it reads every import
statement), and a module run compiles only the store its app uses.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError


def _env():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.env import EnvStore
    return EnvStore


def _ini():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore
    return IniStore


def _json():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.json import JsonStore
    return JsonStore


def _msmtprc():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.msmtprc import MsmtprcStore
    return MsmtprcStore


def _php():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.php import PhpStore
    return PhpStore


def _postconf():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.postconf import PostconfStore
    return PostconfStore


def _postmap():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.postmap import PostmapStore
    return PostmapStore


def _python():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.python import PythonStore
    return PythonStore


def _ruby():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.ruby import RubyStore
    return RubyStore


def _yaml():
    from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import YamlStore
    return YamlStore


# format -> (loader of its store class, True when a ``keys`` map can name its keys: app=generic/dotenv)
STORES = {
    'ini': (_ini, True),
    'json': (_json, True),
    'yaml': (_yaml, True),
    'env': (_env, True),
    'php': (_php, True),
    'msmtprc': (_msmtprc, False),
    'postconf': (_postconf, False),
    'postmap': (_postmap, False),
    'python': (_python, False),
    'ruby': (_ruby, False),
}

MAPPED_FORMATS = tuple(fmt for fmt, (_load, mapped) in STORES.items() if mapped)


def store_class(fmt):
    """The store class of the format ``fmt``."""
    try:
        load, _mapped = STORES[fmt]
    except KeyError:
        raise SettingsError('format', 'format: %r is not one of %s' % (fmt, ', '.join(STORES))) from None
    return load()
