# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base of every app profile: ``AppProfile`` (the interface), ``FileProfile`` (one file through a store).

One profile class per ``app`` value, one file per app in this package, registered in ``_registry.py``
(``get_profile(app)`` returns the class). How to add an app: the registry's docstring.

The profile interface (shared by the file profiles here and the database-backed coreBOS profile in
``corebos.py``; ``_outgoing.run_outgoing_server()`` and ``run_outgoing_server_info()`` drive it in this order and
never touch a store themselves)::

    class SomeProfile(AppProfile):
        name = 'someapp'                 # the ``app`` option value
        multiple_servers = False         # True when the app stores several ``;``-separated servers

        def __init__(self, module, params):
            # Keep the store options (path, format, keys, values, environment, login_*, create, backup...).
            # No I/O here.

        def check(self, settings, state):
            # Before any I/O: raise SettingsError(option, "<app> cannot store <setting> ...") for every
            # setting the app cannot store (naming the app AND the setting), and for store options that
            # are missing or contradict each other. Never drop a setting silently.

        def read(self):
            # Read the store; return a Snapshot. Raise StoreError (message names the store, never quotes a
            # secret) when it is unreadable or malformed. A missing file/row is not an error:
            # Snapshot(exists=False, stored=None).

        def plan(self, snapshot, settings, state, update_password):
            # Pure computation, no I/O: return a Plan saying what commit() would write. ``settings`` is a
            # _settings.Settings (its password already resolved by _outgoing for update_password:
            # on_create), or None for state=absent. Plan.changed is True only when the stored values
            # differ. Plan.before/Plan.after are the diff texts (or dicts) with every password MASKED.

        def commit(self, plan):
            # Write what plan() computed (only called when plan.changed and not in check mode).
            # Atomic; keeps mode/owner/SELinux context (files) or one transaction (database).
            # Return a dict of extra return values, e.g. {'backup_file': path}.

``Snapshot``: ``exists`` (the file/row exists), ``stored`` (UNMASKED model dict from
``_settings.stored_model()``, or None when nothing is configured), ``secrets`` (secrets read from the
store: _outgoing adds them to ``module.no_log_values``), ``handle`` (profile-private: text, parsed store,
row...).  ``Plan``: ``changed``, ``before``, ``after`` (masked diff material), ``before_header``,
``after_header``, ``stored_after`` (UNMASKED model dict after the write, or None), ``payload``
(profile-private), ``warnings`` (list of strings).

File profiles subclass ``FileProfile`` and only describe their mapping: ``store_format``, ``extract(store)``
(store -> model dict), ``apply(store, settings)`` (model -> store, via ``self.put``/``self.drop``),
``remove(store)`` and ``secret_paths``.
"""

from __future__ import annotations

import contextlib
import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import STORE_SPELLING, store_get
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    check_ca_path,
    check_connection,
    connection_warnings,
    test_mechanisms,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import check_sender_name
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK, scrub
from ansible_collections.mailops.smtp.plugins.module_utils._settings import PASSWORD_CHANGED
from ansible_collections.mailops.smtp.plugins.module_utils.stores._registry import store_class

__all__ = ('AppProfile', 'FileProfile', 'KEEP_STORED', 'Plan', 'Snapshot', 'keep_password', 'store_class',
           'store_get')


class Snapshot:
    """What ``AppProfile.read()`` found."""

    def __init__(self, exists, stored, secrets=(), handle=None):
        self.exists = exists
        self.stored = stored
        self.secrets = [secret for secret in secrets if secret]
        self.handle = handle


class Plan:
    """What ``AppProfile.commit()`` would do (computed without I/O).

    ``before``/``after`` may be given as callables (no arguments): the masked diff texts are then made only when
    someone reads them (``_outgoing`` does with ``--diff``), once.
    """

    def __init__(self, changed, before=None, after=None, stored_after=None, payload=None,
                 before_header=None, after_header=None, warnings=None):
        self.changed = changed
        self._before = before
        self._after = after
        self.stored_after = stored_after
        self.payload = payload
        self.before_header = before_header
        self.after_header = after_header
        self.warnings = list(warnings or [])

    @property
    def before(self):
        if callable(self._before):
            self._before = self._before()
        return self._before

    @property
    def after(self):
        if callable(self._after):
            self._after = self._after()
        return self._after


class AppProfile:
    """Base class of every profile (see the module docstring for the interface).

    What a profile declares about itself (class attributes, read by the registry, the modules' argument spec,
    ``scripts/gen_app_lists.py`` for the docs and the role, and the checks below):
    """

    name: str | None = None      # the ``app`` option value
    label: str = ''              # the app as the docs name it ("Grafana")
    settings_location: str = ''  # where its settings live (Markdown, the README's app table)
    doc: str = ''                # the ``app`` option's description of this app (Ansible semantic markup)
    # The module options only this app reads: an argument-spec fragment merged into every module's spec. Each
    # entry carries its documentation too (``description``: a list of paragraphs; ``version_added``), which
    # _registry.APP_OPTIONS leaves out of the spec and scripts/gen_app_lists.py writes into the doc fragment
    # doc_fragments/app_store.py. Given to another app, such an option is refused.
    options: dict = {}
    # Role facts: the service that reads the settings at start-up and what the role's handler does to it, or the
    # command (argv) that applies the configuration. None/() for apps that read their settings on each use.
    service: str | None = None
    service_state: str = 'restarted'
    apply_command: tuple = ()
    multiple_servers = False
    stores_sender_name = False   # True: the app keeps from_name and puts it into the From header of its mail
    stores_oauth2 = False        # True: the app can log in with OAuth 2.0 (the profile stores the oauth2 setting)
    keeps_a_file = False         # True: the settings live in a file (validate, locking, file attributes apply)
    connection = None            # how the app connects: a _connection.Connection (every profile declares one)
    # What a write may change, and nothing else: the keys the profile writes or removes (``owned_keys``) in the
    # section, hash or dict ``owned_container`` (None: the top level). scripts/corpus_check.py checks real files
    # against it; ``owned()`` is the instance's view (profiles whose key names come from options override it).
    owned_container: str | None = None
    owned_keys: tuple = ()

    def __init__(self, module, params):
        self.module = module
        self.params = params

    def unsupported(self, setting, why):
        return SettingsError(setting, '%s: %s cannot store this setting: %s' % (setting, self.name, why))

    def check(self, settings, state):
        if settings is not None and settings.oauth2 and not self.stores_oauth2:
            raise SettingsError('oauth2', 'oauth2: %s cannot log in with OAuth 2.0 (it stores a password only). Point '
                                'it at a relay that can (Postfix or msmtp on the host, or the provider\'s relay), or '
                                'see docs/m365.md for its options' % self.name)
        if settings is not None and len(settings.servers) > 1 and not self.multiple_servers:
            raise self.unsupported('server', 'it takes one server, not several separated by ";"')
        if self.params.get('validate') is not None and not self.keeps_a_file:
            raise SettingsError('validate', 'validate: app=%s does not keep its settings in a file, and validate '
                                'checks a candidate file' % self.name)
        if settings is not None and settings.from_name is not None and self.stores_sender_name:
            check_sender_name(settings.from_name, self.name)
        check_connection(self.name, self.connection, settings)

    def check_ca_path(self, ca_path):
        """Refuse ``ca_path`` where the app has no setting for a CA file (outgoing_server_info tests with it too)."""
        check_ca_path(self.name, self.connection, ca_path)

    def test_mechanisms(self, settings):
        """The AUTH mechanisms the SMTP test may use: the ones the app will use, in its order."""
        return test_mechanisms(self.connection, settings)

    def connection_warnings(self, settings):
        """Warnings about how the app will connect with ``settings`` (opportunistic STARTTLS with a login)."""
        return connection_warnings(self.name, self.connection, settings)

    def mechanism_order(self):
        """``server`` when the app takes the first AUTH mechanism the server lists that it knows, else ``app``."""
        return self.connection.mechanism_order if self.connection is not None else 'app'

    def upgrades_plaintext(self):
        """True when the app, told security none, upgrades to STARTTLS whenever offered (the test does the same)."""
        return bool(self.connection is not None and self.connection.auto_starttls)

    def trusts_ca_alone(self):
        """True when the CA file stored for the app replaces the host's trust store (the test does the same)."""
        return bool(self.connection is not None and self.connection.ca_alone)

    def owned(self):
        """``(container, keys)``: where the keys this profile writes or removes live, and their names."""
        return self.owned_container, tuple(self.owned_keys)

    # -- hooks of the order of work (_outgoing), with the defaults of an app that needs none
    @property
    def file_path(self) -> str | None:
        """The file that holds the settings (locked, its attributes applied), None for other stores."""
        return None

    def password_path(self, plan) -> str | None:
        """The file that holds the password after ``plan`` (warned about when every user may read it)."""
        return self.file_path

    def default_test_senders(self, snapshot, settings) -> list | None:
        """The senders the SMTP test tries when ``test_senders`` is not given (None: only the test's sender)."""
        return None

    def sender_refusal_advice(self, address, username) -> str | None:
        """The app's advice when the server refused one of its default test senders (None: the generic hint)."""
        return None

    def read(self):
        raise NotImplementedError

    def plan(self, snapshot, settings, state, update_password):
        raise NotImplementedError

    def commit(self, plan):
        raise NotImplementedError

    # -- the order of work's hooks (``_outgoing`` calls them on every profile; file profiles fill them in)
    def locked(self, exclusive):
        """A context manager held from read to write: ``exclusive`` for a writer, shared for a reader."""
        return contextlib.nullcontext()

    def preflight(self, snapshot, plan):
        """Refuse, before the SMTP test and any write, what the write would refuse (StoreError/SettingsError)."""

    def after_commit(self, snapshot, plan, changed):
        """After a successful commit (or none, when nothing changed): (changed, warnings)."""
        return changed, []


class FileProfile(AppProfile):
    """A profile whose settings live in one file, edited surgically through a store."""

    keeps_a_file = True
    store_format = None
    secret_paths = ()
    store_options = {}
    value_codec = STORE_SPELLING  # the codec of every key that ``codecs`` does not name
    codecs = {}  # key path (tuple) -> Codec, for keys the app reads differently from the others

    def __init__(self, module, params):
        super().__init__(module, params)
        self.path = params.get('path')
        self._parsed = {}
        self.attributes = None   # the owner/group/mode/SELinux options, resolved by check()

    def check(self, settings, state):
        super().check(settings, state)
        if not self.path:
            raise SettingsError('path', 'path: app=%s needs the path of its configuration file' % self.name)
        from ansible_collections.mailops.smtp.plugins.module_utils._files import (
            requested_attributes,
            validate_command,
        )
        self.attributes = requested_attributes(self.params, self.module)
        if validate_command(self.params.get('validate')) and type(self).commit is not FileProfile.commit:
            # a profile with its own commit writes more than the one file validate would check (Postfix: main.cf
            # and its password map): refused rather than silently not run
            raise SettingsError('validate', 'validate: app=%s writes more than one file, so one validate command '
                                'cannot check the change; run its own check after the task instead' % self.name)

    @property
    def file_path(self) -> str | None:
        return self.path

    def fmt(self):
        return self.store_format

    def parse(self, text):
        return store_class(self.fmt()).parse(text, **self.store_options)

    # The app's own syntax check, where the host has it: (interpreters to try, in order; the check's options;
    # the file name the copy gets). ``php -l`` and ``ruby -c`` only parse: nothing in the file is executed
    # (docs/security.md, "The whole file means what we think").
    syntax_check = None

    def syntax_refusal(self, text):
        """``line N: <checker> refuses the file (<its words>)`` when the app's own interpreter on this host says
        ``text`` is not valid, else None (also when the host has no such interpreter). The check runs on a copy in
        a private temporary directory, never beside the config."""
        import shutil
        import tempfile
        finder = getattr(self.module, 'get_bin_path', None)
        if self.syntax_check is None or finder is None or not text.strip():
            return None
        interpreters, options, name = self.syntax_check
        binary = next((found for found in (finder(candidate) for candidate in interpreters) if found), None)
        if binary is None:
            return None
        directory = tempfile.mkdtemp(prefix='mailops-syntax-')
        try:
            copy = os.path.join(directory, name)
            with open(copy, 'w', encoding='utf-8') as handle:
                handle.write(text)
            rc, out, err = self.module.run_command([binary] + list(options) + [copy])
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        if rc == 0:
            return None
        words = [line.strip() for line in '\n'.join((err or '', out or '')).splitlines()
                 if line.strip() and not line.startswith('Errors parsing')]
        first = words[0] if words else 'exit %d' % rc
        number = re.search(r'(?:on line |%s:)(\d+)' % re.escape(copy), first)
        first = re.sub(r'^PHP |%s:(?:\d+:)?\s*' % re.escape(copy), '', first)
        first = first.replace(' in ' + copy, '').replace(copy, name)
        first = re.sub(r' on line \d+$', '', first).strip(': ')
        where = 'line %s: ' % number.group(1) if number else ''
        return '%s%s %s refuses the file (%s)' % (where, os.path.basename(interpreters[-1]), ' '.join(options), first)

    def _keep(self, text, store):
        """Remember an unmodified ``store`` parsed from ``text`` so that one later ``_take(text)`` reuses it."""
        self._parsed[text] = store

    def _take(self, text):
        """A store parsed from ``text`` that nobody else holds: a kept one (used once), else a fresh parse."""
        store = self._parsed.pop(text, None)
        return store if store is not None else self.parse(text)

    # -- reading
    def read(self):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import read_text
        text = read_text(self.path)
        if text is None:
            return Snapshot(False, None, handle=None)
        try:
            store = self.parse(text)
            stored = self.extract(store)
            refusal = self.syntax_refusal(text)   # what the model accepts, the app's own parser may not
            if refusal:
                raise StoreError('%s; the app cannot read it' % refusal)
        except StoreError as exc:
            raise StoreError('%s: cannot parse %s as %s: %s' % (self.name, self.path, self.fmt(), exc)) from None
        secrets = []
        for path in self.secret_paths_for(store):
            secrets.extend(self.stored_secrets(store, path))
        secrets.extend(self.shadowed_secrets(text, store))
        self._keep(text, store)  # read-only use so far: plan() or masked() takes it instead of parsing again
        return Snapshot(True, stored, secrets=secrets, handle=text)

    # -- planning
    def plan(self, snapshot, settings, state, update_password):
        """Pure: the store parsed by ``read()`` is edited and rendered once; ``stored_after`` is what the edited
        store says; the masked diff texts are made only when read (``Plan.before``/``after``)."""
        old_text = snapshot.handle if snapshot.exists else ''
        store = self._take(old_text)
        try:
            if state == 'absent':
                if snapshot.exists:
                    self.remove(store)
            else:
                self.apply(store, settings, snapshot.stored or {}, update_password)
        except StoreError as exc:  # a key the store refuses to edit (named with its line): name the file too
            raise StoreError('%s: cannot edit %s as %s: %s' % (self.name, self.path, self.fmt(), exc)) from None
        new_text = store.render()
        changed = (new_text != old_text) or (state != 'absent' and not snapshot.exists)
        refusal = self.syntax_refusal(new_text) if changed else None
        if refusal:   # our edit would break a file the app read: never written
            raise StoreError('%s: the new %s would not be valid: %s' % (self.name, self.path, refusal))
        if not snapshot.exists and state == 'absent':
            changed = False
            new_text = old_text
        if state != 'absent' and not changed:
            stored_after = snapshot.stored
        else:
            stored_after = self.extract(store)
        secrets = list(snapshot.secrets)
        if settings is not None and settings.password:
            secrets.append(settings.password)
        # Both sides are masked, so a new password would be an invisible change: the after side says so.
        old_password = (snapshot.stored or {}).get('password')
        new_password = (stored_after or {}).get('password')
        after_mask = PASSWORD_CHANGED if old_password and new_password and new_password != old_password else MASK
        edited = store   # renders to new_text
        del store

        def after():
            if not (changed or snapshot.exists):
                return ''
            # the edited store renders to new_text: it is masked in place (nothing else uses it any more)
            return self.masked(new_text, secrets, after_mask, store=edited)

        def before():
            return self.masked(old_text, secrets) if snapshot.exists else ''

        return Plan(changed, before=before, after=after, stored_after=stored_after, payload=new_text,
                    before_header='%s (before)' % self.path if snapshot.exists else '%s (absent)' % self.path,
                    after_header='%s (after)' % self.path)

    def masked(self, text, secrets, mask=MASK, store=None):
        """``text`` with every password replaced by ``mask`` in the store, and by ``********`` anywhere else.

        ``store``: the parsed ``text`` when the caller has it and needs it no more (it is masked in place)."""
        if not text:
            return text
        if store is None:
            store = self._take(text)
        for path in self.secret_paths_for(store):
            value = store_get(store, path)
            if value:
                store.set(tuple(path), mask)
        return scrub(store.render(), secrets)

    def secret_paths_for(self, store):
        return list(self.secret_paths)

    def shadowed_secrets(self, text, store):
        """The passwords of the file that the app does not read: a second ``password =`` line in the section
        (the app reads the last, or the first), a duplicate key. They are secrets all the same: hidden in diffs
        and in every output.

        Found by peeling, on a copy parsed only when the key's name occurs more than once in the text: read what
        the app reads, delete it, read again, until nothing is left.
        """
        paths = [path for path in self.secret_paths_for(store) if text.count(str(path[-1])) > 1]
        if not paths:
            return []
        if hasattr(store, 'shadowed_values'):   # line stores list them without a second parse
            return [value for path in paths for value in store.shadowed_values(tuple(path))]
        try:
            peeled = self.parse(text)
        except StoreError:
            return []
        found = []
        for path in paths:
            for _occurrence in range(text.count(str(path[-1]))):
                if store_get(peeled, path) is None:
                    break
                found.extend(self.stored_secrets(peeled, path))
                try:
                    peeled.delete(tuple(path))
                except StoreError:
                    break
        return found

    def stored_secrets(self, store, path):
        """The secrets to hide for the password at ``path``: what the app reads, and the file's own text of it.

        When the app reads only a fragment of the text (go-ini cuts ``p#ss;word`` to ``p``), the text is the
        secret to hide in output; a fragment of fewer than 4 characters is not added on its own, because masking
        every ``p`` in the output would garble it (setting names, messages) and hides nothing.
        """
        value = self.get(store, path)
        if not isinstance(value, str) or not value:
            return []
        codec = self.codec(path)
        raw = store.get_raw(tuple(path)) if codec.raw else None
        text = raw.strip() if isinstance(raw, str) else None
        if not text or text == value:
            return [value]
        if value in text and len(value) < 4:
            return [text]
        return [value, text]

    # -- writing
    def commit(self, plan):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import validate_command, write_text
        return write_text(self.module, self.path, plan.payload, backup=bool(self.params.get('backup')),
                          validate=validate_command(self.params.get('validate')), **self._attributes())

    def _attributes(self):
        return dict(attributes=self.attributes) if self.attributes is not None else {}

    # -- the order of work's hooks: one writer at a time, file attributes, the password warning
    @contextlib.contextmanager
    def locked(self, exclusive):
        """The store lock (``_files.StoreLock``, on the file's directory) from read to write; a writer also
        removes the temporary files of killed runs."""
        from ansible_collections.mailops.smtp.plugins.module_utils._files import StoreLock, remove_stale_temps
        with StoreLock(self.path, exclusive=exclusive):
            if exclusive:
                remove_stale_temps(self.path)
            yield

    def password_path(self, plan):
        """The file that holds the password after ``plan`` (Postfix: the SASL map, not main.cf)."""
        return self.path

    def preflight(self, snapshot, plan):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import preflight
        if self.attributes is not None and (snapshot.exists or plan.changed) and self.params.get('state') != 'absent':
            preflight(self.module, self.path, self.attributes, rewrite=plan.changed)

    def after_commit(self, snapshot, plan, changed):
        """The requested owner/group/mode/SELinux of a file whose content stayed; the world-readable warning."""
        from ansible_collections.mailops.smtp.plugins.module_utils._files import KEEP, apply_attributes, final_mode
        warnings = []
        if self.params.get('state') == 'absent' or not (snapshot.exists or plan.changed):
            return changed, warnings
        if self.attributes is not None:
            changed = apply_attributes(self.module, self.path, self.attributes, changed)
        if plan.changed and (plan.stored_after or {}).get('password'):
            path = self.password_path(plan)
            # in check mode too: the mode the file has once written (the mode option applied)
            mode = final_mode(path, self.attributes if path == self.path and self.attributes is not None else KEEP)
            if mode is not None and mode & 0o004:
                warnings.append('%s holds the SMTP password and every user on the host can read it; set mode: '
                                '\'0600\' (or \'0640\' with the app\'s group)' % path)
        return changed, warnings

    # -- mapping helpers used by subclasses: every stored value goes through the key's codec
    def codec(self, path):
        """The codec of the key at ``path``."""
        return self.codecs.get(tuple(path), self.value_codec)

    def get(self, store, path):
        """What the app reads at ``path`` (the codec's ``decode``), None when the key is missing."""
        return self.codec(path).load(store, path)

    def put(self, store, path, value, option=None):
        """Make the app read ``value`` at ``path``; nothing changes when it already does (byte-identical file).

        ``option`` is the module option the value comes from, named in the codec's refusal (default: the key).
        """
        if isinstance(value, Computed):
            return  # the stored text itself, kept (update_password: on_create): the app computes it at start-up
        codec = self.codec(path)
        current = codec.load(store, path)
        if current == value and type(current) is type(value):
            return
        codec.save(store, path, codec.encode(value, option or str(path[-1]), self.name))

    def drop(self, store, path):
        if store_get(store, path) is not None:
            store.delete(tuple(path))

    # -- to implement
    def extract(self, store):
        raise NotImplementedError

    def apply(self, store, settings, stored, update_password):
        raise NotImplementedError

    def remove(self, store):
        raise NotImplementedError

    # -- shared checks
    def require_one_of_auth_user(self, settings):
        """For apps that authenticate exactly when a user name is set."""
        if settings.username and not settings.auth:
            raise self.unsupported('auth', 'it authenticates whenever a user name is set, so auth: false '
                                   'cannot be stored with a username')


KEEP_STORED = ('on_create',)


def keep_password(settings, stored, update_password):
    """The password to write: the new one, or the stored one for update_password=on_create."""
    if update_password in KEEP_STORED and stored.get('password'):
        return stored.get('password')
    return settings.password
