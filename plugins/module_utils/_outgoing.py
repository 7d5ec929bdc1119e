# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The order of work shared by ``outgoing_server`` and ``outgoing_server_info``.

``run_outgoing_server(module)``: validate the input -> read the store -> plan the change (pure) -> test the
NEW settings -> write only if the stored values differ (not in check mode) -> return.
``run_outgoing_server_info(module)``: validate -> read -> optional test of the STORED settings -> drift
against the desired settings when given. Never writes.

Every failure (bad input, unreadable store, failed SMTP test) ends in ``fail_json`` before any write, so
the store is untouched. Secrets read from the store are added to ``module.no_log_values`` and masked in
diffs and in the ``settings``/``drift`` return values.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import KEEP_STORED
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import APP_OPTIONS, APPS, open_profile
from ansible_collections.mailops.smtp.plugins.module_utils._argspec import CONNECTION_ARGS, TEST_ARGS, merged_spec
from ansible_collections.mailops.smtp.plugins.module_utils._errors import APPLY_FAILS_TOO, SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._printable import escape_controls
from ansible_collections.mailops.smtp.plugins.module_utils._providers import audit_settings, audit_stored
from ansible_collections.mailops.smtp.plugins.module_utils._settings import (
    TestOptions,
    check_address,
    check_all_control_characters,
    check_durations,
    compute_drift,
    mask_model,
    settings_from_params,
)

# Where the settings live: the app, its file, and the options each app declares for itself (the profiles'
# ``options``, see _profiles/_registry.py).
STORE_ARGS = merged_spec(
    APP_OPTIONS,
    app=dict(type='str', required=True, choices=list(APPS)),
    path=dict(type='path'),
)

SENDER_ARGS = dict(
    from_email=dict(type='str'),
    from_name=dict(type='str'),
)


def outgoing_server_spec():
    return merged_spec(CONNECTION_ARGS, SENDER_ARGS, TEST_ARGS, STORE_ARGS,
                       state=dict(type='str', default='present', choices=['present', 'absent']),
                       create=dict(type='bool', default=False),
                       backup=dict(type='bool', default=False),
                       validate=dict(type='str'),
                       update_password=dict(type='str', default='always', choices=['always', 'on_create'],
                                            no_log=False))


def outgoing_server_info_spec():
    spec = merged_spec(CONNECTION_ARGS, SENDER_ARGS, TEST_ARGS, STORE_ARGS,
                       create=dict(type='bool', default=False),
                       update_password=dict(type='str', default='always', choices=['always', 'on_create'],
                                            no_log=False),
                       test_settings=dict(type='str', default='stored', choices=['stored', 'desired']))
    spec['test']['default'] = 'none'
    spec['validate_certs']['default'] = None
    return spec


def _fail(module, msg, **extra):
    extra.setdefault('changed', False)
    module.fail_json(msg=escape_controls(msg), **extra)  # text from a file or a server prints as escapes


def _check_test_addresses(params):
    check_address(params.get('test_sender') or None, 'test_sender')
    check_address(params.get('test_recipient') or None, 'test_recipient')


def _test_senders(profile, snapshot, settings, params):
    """``test_senders`` as given, else the profile's default (coreBOS: its users' addresses), else None."""
    if params.get('test_senders') is not None or params.get('test') not in ('envelope', 'send'):
        return params.get('test_senders'), False
    senders = profile.default_test_senders(snapshot, settings)
    return senders, bool(senders)


def _explain_sender_refusal(profile, test, settings, defaults_used):
    """Add the app's advice when the server refused one of the app's default test senders."""
    diagnosis = test.get('diagnosis') or {}
    if not (defaults_used and diagnosis.get('sender')
            and diagnosis['sender'] in ((test.get('probe') or {}).get('test_senders') or ())):
        return
    specific = profile.sender_refusal_advice(diagnosis['sender'], settings.username)
    if not specific:
        return
    generic = diagnosis['hint']
    diagnosis['hint'] = specific
    msg = test.get('msg') or ''
    test['msg'] = msg.replace(generic, specific) if generic in msg else '%s. %s' % (msg.rstrip('. '), specific)


def _run_test(module, settings, params, test_senders=None, profile=None):
    """Run the SMTP test of ``settings``; return the probe result dict (ok, probe, diagnosis, warnings, msg).

    The test connects as the app will (``profile.connection``): the app's AUTH mechanisms in its order, and
    ``ca_path`` alone when the app's stored CA file replaces the host's trust store, STARTTLS when offered under
    ``security: none`` when the app's mail library upgrades by itself (coreBOS).
    """
    from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp
    connection = {}
    if profile is not None:
        connection = dict(mechanisms=profile.test_mechanisms(settings), ca_alone=profile.trusts_ca_alone(),
                          mechanism_order=profile.mechanism_order(),
                          auto_starttls=profile.upgrades_plaintext())
    return probe_smtp(settings, TestOptions.from_params(params, module.check_mode, test_senders=test_senders,
                                                        **connection))


def _probe_return(result):
    extra = {}
    if result.get('probe') is not None:
        extra['probe'] = result['probe']
    if result.get('diagnosis') is not None:
        extra['diagnosis'] = result['diagnosis']
    return extra


def _missing_store(profile, params):
    """What outgoing_server says about a missing store without ``create`` (outgoing_server_info predicts it)."""
    return '%s does not exist (use create: true to create it)' % (
        profile.file_path or params.get('path') or 'the store')


def _nothing_changed(msg):
    return msg if 'nothing was changed' in msg else '%s; nothing was changed' % msg


def _read(module, profile):
    try:
        snapshot = profile.read()
    except StoreError as exc:
        msg = str(exc)
        _fail(module, msg if msg.endswith('nothing was changed') else '%s; nothing was changed' % msg)
    for secret in snapshot.secrets:
        module.no_log_values.add(secret)
    return snapshot


def run_outgoing_server(module):
    params = module.params
    state = params['state']
    try:
        check_all_control_characters(params)
        check_durations(params)
        _check_test_addresses(params)
        settings = settings_from_params(params) if state == 'present' else None
        profile = open_profile(module, params)
        profile.check(settings, state)
    except SettingsError as exc:
        _fail(module, '%s; nothing was changed' % exc, option=exc.option)

    # Writers hold the profile's lock exclusively from read to write, so concurrent runs on one store serialise
    # and no update is lost; readers (check mode) take it shared.
    try:
        with profile.locked(exclusive=not module.check_mode):
            _apply(module, profile, settings, _read(module, profile))
    except StoreError as exc:   # taking the lock
        _fail(module, str(exc), option=getattr(exc, 'option', None))


def _apply(module, profile, settings, snapshot):
    params = module.params
    state = params['state']
    update_password = params['update_password']
    warnings = []
    if state == 'present' and not snapshot.exists and not params.get('create'):
        _fail(module, '%s; nothing was changed' % _missing_store(profile, params))

    keep_stored = update_password in KEEP_STORED
    stored_password = (snapshot.stored or {}).get('password')
    if settings is not None and settings.auth and not settings.oauth2:
        if keep_stored and isinstance(stored_password, Computed):
            # The app computes the stored password at start-up ($__file{...}, ${VAR}...): it is kept, and only
            # the password given (the one it computes to) can be tested.
            if settings.password is None and params.get('test') != 'none':
                _fail(module, 'password: the stored password is computed by %s when it starts or sends (an '
                      'environment variable, a file, a secret reference, or text it reads differently from page to '
                      'page), so the module cannot test it; give the password '
                      'it resolves to, or test: none; nothing was changed' % profile.name, option='password')
        elif keep_stored and stored_password:
            # The app keeps using the stored password, so that is the one to test.
            settings = settings.with_password(stored_password)
        elif settings.password is None:
            _fail(module, 'password: required when auth is on (update_password: on_create keeps a stored '
                  'password only when one exists); nothing was changed', option='password')

    try:
        plan = profile.plan(snapshot, settings, state, update_password)
    except (SettingsError, StoreError) as exc:
        _fail(module, '%s; nothing was changed' % exc, option=getattr(exc, 'option', None))
    warnings.extend(plan.warnings)
    try:
        profile.preflight(snapshot, plan)   # what the write would refuse (file owner, group, mode), before the test
    except (SettingsError, StoreError) as exc:
        _fail(module, _nothing_changed(str(exc)), option=getattr(exc, 'option', None))
    warnings.extend(profile.connection_warnings(settings))

    # what the app will log in with once this run is done (the desired settings; nothing for state=absent)
    login_audit = audit_settings(settings, params.get('oauth2'))
    result = dict(changed=False, **login_audit)
    if state == 'present' and params.get('test') != 'none':
        try:
            test_senders, defaults_used = _test_senders(profile, snapshot, settings, params)
            test = _run_test(module, settings, params, test_senders, profile)
        except SettingsError as exc:
            _fail(module, '%s; nothing was changed' % exc, option=exc.option)
        warnings.extend(test.get('warnings') or [])
        if not test.get('ok'):
            _explain_sender_refusal(profile, test, settings, defaults_used)
            for warning in warnings:
                module.warn(warning)
            msg = test.get('msg') or 'the SMTP test failed'
            if 'nothing was changed' not in msg:
                msg = msg.rstrip('. ') + '. Nothing was changed.'
            _fail(module, msg, settings=mask_model(snapshot.stored), **dict(_probe_return(test), **login_audit))
        result.update(_probe_return(test))

    if plan.changed and not module.check_mode:
        try:
            result.update(profile.commit(plan) or {})
        except (StoreError, OSError) as exc:
            msg = str(exc)
            _fail(module, msg if 'nothing was changed' in msg else 'writing the settings failed: %s' % msg,
                  option=getattr(exc, 'option', None))
    try:
        result['changed'], after_warnings = profile.after_commit(snapshot, plan, plan.changed)
    except (SettingsError, StoreError) as exc:
        _fail(module, _nothing_changed(str(exc)) if not plan.changed else str(exc),
              option=getattr(exc, 'option', None), changed=plan.changed and not module.check_mode)
    warnings.extend(after_warnings)

    if module._diff:
        result['diff'] = dict(before=plan.before or '', after=plan.after or '',
                              before_header=plan.before_header, after_header=plan.after_header)
    result['settings'] = mask_model(plan.stored_after)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


def _stored_settings(stored, params):
    """Settings built from the stored model (for testing what the app would use now)."""
    if not stored or not stored.get('server'):
        raise SettingsError('server', 'nothing is stored, so there is nothing to test')
    return settings_from_params(dict(
        server=stored['server'],
        port=stored.get('port'),
        validate_certs=stored.get('validate_certs') if stored.get('validate_certs') is not None else True,
        ca_path=params.get('ca_path') if stored.get('validate_certs') is not False else None,
        auth=bool(stored.get('auth') and stored.get('username')),
        username=stored.get('username') if stored.get('auth') else None,
        password=stored.get('password') if stored.get('auth') else None,
        oauth2=stored.get('oauth2') if stored.get('auth') else None,   # msmtp: its token helper's settings
        from_email=stored.get('from_email'),
        from_name=stored.get('from_name'),
    ))


def run_outgoing_server_info(module):
    params = module.params
    desired = None
    try:
        check_all_control_characters(params)
        check_durations(params)
        _check_test_addresses(params)
        if params.get('server'):
            desired_params = dict(params)
            if desired_params.get('validate_certs') is None:
                desired_params['validate_certs'] = True
            desired = settings_from_params(desired_params)
        profile = open_profile(module, params)
        profile.check(desired, 'present' if desired is not None else 'info')
        # the stored settings are tested with ca_path too: refused where the app cannot store it
        profile.check_ca_path(params.get('ca_path'))
    except SettingsError as exc:
        _fail(module, str(exc), option=exc.option)

    try:
        with profile.locked(exclusive=False):
            snapshot = _read(module, profile)
    except StoreError as exc:   # taking the lock
        _fail(module, str(exc), option=getattr(exc, 'option', None))
    stored = snapshot.stored
    result = dict(changed=False, exists=snapshot.exists, configured=stored is not None,
                  settings=mask_model(stored), **audit_stored(stored))
    if desired is not None and not snapshot.exists and not params.get('create'):
        # An audit predicts what applying the desired settings would say: outgoing_server fails here.
        _fail(module, _missing_store(profile, params) + APPLY_FAILS_TOO, **result)
    warnings = []
    if desired is not None:
        want = desired.values()
        result['drift'] = compute_drift(stored, want, keep_stored_secret=params['update_password'] in KEEP_STORED)
        result['in_sync'] = not result['drift']

    if params.get('test') != 'none':
        # test_settings=desired: the desired settings, tested as outgoing_server would before writing them (the
        # role's host-local check: one module run reads, plans and checks the host's own path).
        if params.get('test_settings') == 'desired':
            if desired is None:
                _fail(module, 'test_settings: desired needs the desired settings (server)', option='test_settings',
                      **result)
            current = desired
            result['test_settings'] = 'desired'
        else:
            try:
                current = _stored_settings(stored, params)
            except SettingsError as exc:
                _fail(module, 'cannot test the stored settings: %s' % exc, **result)
        try:
            test_senders, defaults_used = _test_senders(profile, snapshot, current, params)
            test = _run_test(module, current, params, test_senders, profile)
            if not test.get('ok'):
                _explain_sender_refusal(profile, test, current, defaults_used)
        except SettingsError as exc:
            _fail(module, 'cannot test the stored settings: %s' % exc, option=exc.option, **result)
        warnings.extend(test.get('warnings') or [])
        result.update(_probe_return(test))
        result['test_ok'] = bool(test.get('ok'))
        if not test.get('ok'):
            result['test_msg'] = test.get('msg')
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)
