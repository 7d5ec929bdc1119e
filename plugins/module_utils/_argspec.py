# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argument specs shared by every module (documented by the mailops.smtp.connection and
mailops.smtp.smtp_test doc fragments).

Merge them into a module's ``argument_spec`` with ``merged_spec()``; each call returns fresh copies,
so a module may change ``required`` or defaults without affecting the others.
"""

from __future__ import annotations

import copy

from ansible_collections.mailops.smtp.plugins.module_utils._settings import TEST_LEVELS, TRANSCRIPT_MODES

CONNECTION_ARGS = dict(
    server=dict(type='str'),
    port=dict(type='int'),
    security=dict(type='str', choices=['none', 'starttls', 'tls']),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    auth=dict(type='bool'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    oauth2=dict(type='dict', options=dict(
        access_token=dict(type='str', no_log=True),
        provider=dict(type='str', choices=['microsoft', 'google']),
        tenant=dict(type='str'),
        token_url=dict(type='str', no_log=False),
        client_id=dict(type='str'),
        client_secret=dict(type='str', no_log=True),
        client_authentication=dict(type='str', choices=['client_secret_post', 'client_secret_basic'],
                                   default='client_secret_post'),
        client_certificate=dict(type='str'),
        client_private_key=dict(type='str', no_log=True),
        refresh_token=dict(type='str', no_log=True),
        service_account_key=dict(type='str', no_log=True),
        subject=dict(type='str'),
        scope=dict(type='str'),
        mechanism=dict(type='str', choices=['xoauth2', 'oauthbearer']),
    )),
)

TEST_ARGS = dict(
    test=dict(type='str', default='envelope', choices=list(TEST_LEVELS)),
    test_sender=dict(type='str'),
    test_senders=dict(type='list', elements='str'),
    test_recipient=dict(type='str'),
    ehlo_name=dict(type='str'),
    timeout=dict(type='float', default=10.0),
    deadline=dict(type='float', default=30.0),
    transcript=dict(type='str', default='on_failure', choices=list(TRANSCRIPT_MODES)),
)


def merged_spec(*specs, **extra):
    """Return one new argument_spec: deep copies of ``specs`` (dicts) updated with ``extra`` options."""
    result = {}
    for spec in specs:
        result.update(copy.deepcopy(spec))
    result.update(copy.deepcopy(extra))
    return result


def smtp_probe_spec():
    """The argument_spec of the smtp_probe module (also read by scripts/gen_role_options.py)."""
    spec = merged_spec(
        CONNECTION_ARGS, TEST_ARGS,
        from_email=dict(type='str'),
        from_name=dict(type='str'),
        fail_on_error=dict(type='bool', default=True),
        suggest=dict(type='bool', default=True),
    )
    spec['server']['required'] = True
    return spec
