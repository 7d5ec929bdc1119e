# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The app registry: ``app`` option value -> profile class.

Adding an app is one file and one line here:

1. ``_profiles/<app>.py``: a ``FileProfile`` subclass (see ``_base.py``) with ``name``, ``store_format``, its
   key map (``extract``/``apply``/``remove``), ``secret_paths``, and the value codec of its keys
   (``value_codec``/``codecs``, see ``_codec.py``): what the app itself reads, not our idea of the format. It
   declares itself too: ``label``, ``settings_location``, ``doc`` (the ``app`` option's text), its own
   ``options`` (an argument-spec fragment whose entries carry their documentation too: ``description``, and
   ``version_added`` where it applies), and the role facts ``service``/``service_state``/``apply_command``.
2. One import and one ``PROFILES`` line below. The import is static on purpose: Ansible ships only the
   module_utils a module imports, and finds them by reading the imports.

Then ``make docs`` (scripts/docs.sh generate) writes the app into every list outside the profiles: the doc
fragment, the module description, the README, the role's choices and service map; ``docs-check`` and
tests/unit/plugins/module_utils/test_app_registry.py fail while one of them lags. A new file format is one store
module in ``stores/`` and one line in ``stores/_registry.py``.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.airflow import AirflowProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.alertmanager import AlertmanagerProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.corebos import CorebosProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.discourse import DiscourseProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.dotenv import DotenvProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.generic import GenericProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.gitea import GiteaProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.gitlab import GitlabProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.grafana import GrafanaProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.mattermost import MattermostProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.msmtp import MsmtpProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.netbox import NetboxProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.nextcloud import NextcloudProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.postfix import PostfixProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.redmine import RedmineProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles.synapse import SynapseProfile

PROFILES = {
    'airflow': AirflowProfile,
    'alertmanager': AlertmanagerProfile,
    'corebos': CorebosProfile,
    'discourse': DiscourseProfile,
    'dotenv': DotenvProfile,
    'generic': GenericProfile,
    'gitea': GiteaProfile,
    'gitlab': GitlabProfile,
    'grafana': GrafanaProfile,
    'mattermost': MattermostProfile,
    'msmtp': MsmtpProfile,
    'netbox': NetboxProfile,
    'nextcloud': NextcloudProfile,
    'postfix': PostfixProfile,
    'redmine': RedmineProfile,
    'synapse': SynapseProfile,
}

APPS = tuple(sorted(PROFILES))


# The keys of an option declaration that document it (the doc fragment's text, scripts/gen_app_lists.py): not
# argument-spec keys, so they are left out of ``APP_OPTIONS``.
DOC_KEYS = ('description', 'version_added')


def _app_options():
    """Every app's own options (an argument-spec fragment, without ``DOC_KEYS``), and which apps read each."""
    specs, owners = {}, {}
    for app in APPS:
        for option, declared in PROFILES[app].options.items():
            spec = dict((key, value) for key, value in declared.items() if key not in DOC_KEYS)
            if specs.setdefault(option, spec) != spec:
                raise AssertionError('option %s is declared differently by %s and %s'
                                     % (option, owners[option][0], app))
            owners.setdefault(option, []).append(app)
    return specs, dict((option, tuple(apps)) for option, apps in owners.items())


APP_OPTIONS, OPTION_APPS = _app_options()


def get_profile(app):
    """The profile class for ``app``."""
    try:
        return PROFILES[app]
    except KeyError:
        raise SettingsError('app', 'app: %r is not one of %s' % (app, ', '.join(APPS))) from None


def open_profile(module, params):
    """The profile of ``params['app']``, after refusing the options of other apps (set to a non-default value)."""
    app = params['app']
    cls = get_profile(app)
    for option, apps in sorted(OPTION_APPS.items()):
        value = params.get(option)
        if app in apps or value is None or value == APP_OPTIONS[option].get('default'):
            continue
        raise SettingsError(option, '%s: only app=%s reads this option, app=%s does not' % (
            option, ' or app='.join(apps), app))
    return cls(module, params)
