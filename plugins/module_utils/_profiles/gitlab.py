# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""GitLab Omnibus: ``gitlab_rails['smtp_*']`` and ``gitlab_rails['gitlab_email_*']`` in /etc/gitlab/gitlab.rb.

What GitLab reads (omnibus-gitlab ``templates/default/smtp_settings.rb.erb`` renders these values with
``inspect`` into ActionMailer's ``smtp_settings``; the mail gem's Mail::SMTP then uses them):

* nothing at all unless ``smtp_enable`` is truthy (otherwise GitLab hands mail to sendmail);
* ``smtp_address`` (mail gem default ``localhost``), ``smtp_port`` (default 25, an Integer);
* implicit TLS when ``smtp_tls`` (or ``smtp_ssl``) is truthy. Otherwise STARTTLS when ``smtp_enable_starttls``
  is truthy (required) or ``smtp_enable_starttls_auto`` is (the mail gem's default: upgrade when the server
  offers it); ``smtp_enable_starttls_auto = false`` turns STARTTLS off. Values are Ruby values: only ``nil`` and
  ``false`` are false (the string ``'false'`` is TRUE);
* ``smtp_openssl_verify_mode = 'none'`` turns certificate checks off;
* authentication whenever ``smtp_user_name`` is set (Net::SMTP), with the ``smtp_authentication`` mechanism;
* ``gitlab_email_from`` (the From address) and ``gitlab_email_display_name`` (its display name).

GitLab may also keep SMTP credentials in its encrypted secrets (``gitlab-rake gitlab:smtp:secret:edit``); it
uses them only when ``smtp_user_name``/``smtp_password`` are absent, and this profile cannot see them.
The file is applied by ``gitlab-ctl reconfigure``.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import to_port
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model

RAILS = 'gitlab_rails'
GITLAB_AUTH = ('login', 'plain', 'cram_md5', ':login', ':plain', ':cram_md5')
GITLAB_OWNED = ('smtp_enable', 'smtp_address', 'smtp_port', 'smtp_user_name', 'smtp_password',
                'smtp_authentication', 'smtp_enable_starttls_auto', 'smtp_enable_starttls', 'smtp_tls', 'smtp_ssl',
                'smtp_openssl_verify_mode', 'smtp_ca_file')


def ruby_truthy(value):
    """Ruby's truthiness: everything but nil and false is true."""
    return value is not None and value is not False


class GitlabProfile(FileProfile):
    """GitLab Omnibus ``/etc/gitlab/gitlab.rb`` (Ruby hash assignments, edited in place)."""

    name = 'gitlab'
    label = 'GitLab Omnibus'
    settings_location = "`/etc/gitlab/gitlab.rb`, `gitlab_rails['smtp_*']`"
    doc = (
        "C(gitlab_rails['smtp_*']), C(gitlab_rails['gitlab_email_from']) and "
        "C(gitlab_rails['gitlab_email_display_name']) in GitLab Omnibus's C(/etc/gitlab/gitlab.rb), edited in place "
        '(commented templates replaced, Ruby string quoting kept). A key set to a Ruby expression (for example '
        "C(ENV['X'])) or inside indented code is refused. Run C(gitlab-ctl reconfigure) to apply."
    )
    apply_command = ('gitlab-ctl', 'reconfigure')
    # mail gem lib/mail/network/delivery_methods/smtp.rb: enable_starttls = required, tls = implicit,
    # ca_file added to OpenSSL's default store; the one mechanism smtp_authentication names.
    connection = Connection(ca_key='smtp_ca_file', mechanisms=('LOGIN',),
                            senders=('From: gitlab_email_from', 'envelope: the same address'))
    stores_sender_name = True
    store_format = 'ruby'
    owned_container = RAILS
    owned_keys = GITLAB_OWNED + ('gitlab_email_from', 'gitlab_email_display_name')
    syntax_check = (('/opt/gitlab/embedded/bin/ruby', 'ruby'), ('-c',), 'gitlab.rb')   # Omnibus's own Ruby first
    secret_paths = ((RAILS, 'smtp_password'),)

    def _get(self, store, key):
        return self.get(store, (RAILS, key))

    def extract(self, store):
        for key in GITLAB_OWNED + ('gitlab_email_from', 'gitlab_email_display_name'):
            self._get(store, key)  # every key read first: one Ruby may not run as written is refused, not skipped
        if not ruby_truthy(self._get(store, 'smtp_enable')):
            return None
        host = self._get(store, 'smtp_address')
        port = self._get(store, 'smtp_port')
        port = to_port(port) if isinstance(port, (int, str)) and not isinstance(port, bool) else None
        if ruby_truthy(self._get(store, 'smtp_tls')) or ruby_truthy(self._get(store, 'smtp_ssl')):
            security = 'tls'
        elif ruby_truthy(self._get(store, 'smtp_enable_starttls')):
            security = 'starttls'
        else:
            auto = self._get(store, 'smtp_enable_starttls_auto')
            security = 'starttls' if auto is None or ruby_truthy(auto) else 'none'
        user = self._get(store, 'smtp_user_name')
        verify = self._get(store, 'smtp_openssl_verify_mode')
        password = self._get(store, 'smtp_password')
        from_email = self._get(store, 'gitlab_email_from')
        from_name = self._get(store, 'gitlab_email_display_name')
        return stored_model(host=str(host) if host is not None else 'localhost',
                            port=port if port is not None else 25, security=security,
                            validate_certs=str(verify).lstrip(':').lower() != 'none' if verify is not None else True,
                            auth=ruby_truthy(user), username=str(user) if ruby_truthy(user) else None,
                            password=password if isinstance(password, str) and password else None,
                            from_email=from_email if isinstance(from_email, str) and from_email else None,
                            from_name=from_name if isinstance(from_name, str) and from_name else None)

    def apply(self, store, settings, stored, update_password):
        def put(key, value, option):
            self.put(store, (RAILS, key), value, option=option)

        put('smtp_enable', True, 'server')
        put('smtp_address', settings.host, 'server')
        put('smtp_port', settings.port, 'port')
        if settings.auth:
            put('smtp_user_name', settings.username, 'username')
            put('smtp_password', keep_password(settings, stored, update_password) or '', 'password')
            if self._get(store, 'smtp_authentication') not in GITLAB_AUTH:
                put('smtp_authentication', 'login', 'auth')
            self._authentication = str(self._get(store, 'smtp_authentication')).lstrip(':')
        else:
            for key in ('smtp_user_name', 'smtp_password', 'smtp_authentication'):
                self.drop(store, (RAILS, key))
        # STARTTLS is written as required (enable_starttls), never as the mail gem's opportunistic
        # enable_starttls_auto: a server that hides STARTTLS gets no password, as in the test.
        put('smtp_tls', settings.security == 'tls', 'security')
        put('smtp_enable_starttls_auto', False, 'security')
        self.drop(store, (RAILS, 'smtp_ssl'))
        if settings.security == 'starttls':
            put('smtp_enable_starttls', True, 'security')
        else:
            self.drop(store, (RAILS, 'smtp_enable_starttls'))
        verify = self._get(store, 'smtp_openssl_verify_mode')
        if settings.validate_certs:
            if verify is not None and str(verify).lstrip(':').lower() == 'none':
                self.drop(store, (RAILS, 'smtp_openssl_verify_mode'))
            if settings.ca_path:
                put('smtp_ca_file', settings.ca_path, 'ca_path')
        else:
            put('smtp_openssl_verify_mode', 'none', 'validate_certs')
        if settings.from_email is not None:
            put('gitlab_email_from', settings.from_email, 'from_email')
        if settings.from_name is not None:
            put('gitlab_email_display_name', settings.from_name, 'from_name')

    def test_mechanisms(self, settings):
        """GitLab logs in with the one mechanism ``smtp_authentication`` names (the one apply() writes or keeps)."""
        if settings is None or not settings.auth:
            return None
        name = getattr(self, '_authentication', None) or 'login'
        return ({'plain': 'PLAIN', 'cram_md5': 'CRAM-MD5'}.get(name, 'LOGIN'),)

    def remove(self, store):
        for key in GITLAB_OWNED:
            self.drop(store, (RAILS, key))
