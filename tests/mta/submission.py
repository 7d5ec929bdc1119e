"""A real submission server for the tests: a private Postfix smtpd with Dovecot SASL and sender ownership.

``SubmissionServer(users={login: password}, sender_logins={address: [login, ...]})`` starts a private Dovecot
(mta.dovecot.DovecotAuth: authentication only, passwd-file) and a private Postfix (mta.postfix.PostfixInstance,
smtpd on 127.0.0.1:<free port>) configured as a mail provider's submission service:

* ``smtpd_sasl_type = dovecot`` on Dovecot's socket; AUTH PLAIN/LOGIN, offered only after STARTTLS when
  ``tls=True`` (the default; the certificate is signed by the smtp_sandbox test CA, ``ca_path``);
* ``smtpd_sender_login_maps`` (a ``texthash:`` table written from ``sender_logins``; by default each login owns
  the address it is named after) with ``reject_sender_login_mismatch``: an authenticated client may use only the
  MAIL FROM addresses its login owns -- Postfix answers any other with exactly
  ``553 5.7.1 <address>: Sender address rejected: not owned by user <login>`` (at RCPT, as smtpd_delay_reject
  does), and an owned address used without logging in with ``... not logged in``;
* ``permit_sasl_authenticated, reject_unauth_destination`` for relaying; accepted mail goes to ``discard``.

Attributes after ``start()``: ``host``, ``port``, ``server`` (``tls://127.0.0.1:<port>`` or ``smtp://...``),
``ca_path``, ``ca_env`` (SSL_CERT_FILE naming the host's CAs plus the test CA), ``postfix`` and ``dovecot``
(the instances), ``log()`` (Postfix's maillog). ``stop()`` stops both (by their own pids) and removes their
directories.
"""

import os

from mta.dovecot import DovecotAuth
from mta.postfix import PostfixInstance
from smtp_sandbox._certs import write_cert_files


class SubmissionServer:
    def __init__(self, users, sender_logins=None, tls=True, hostname='submission.mailops.test', base_dir=None):
        self.users = dict(users)
        if sender_logins is None:
            sender_logins = {login: [login] for login in self.users if '@' in login}
        self.sender_logins = {address: list(logins) for address, logins in sender_logins.items()}
        self.tls = tls
        self.hostname = hostname
        self.base_dir = base_dir
        self.dovecot = None
        self.postfix = None
        self.host = '127.0.0.1'
        self.port = None
        self.ca_path = None
        self.ca_env = {}

    @property
    def server(self):
        return '%s://%s:%d' % ('tls' if self.tls else 'smtp', self.host, self.port)

    def start(self):
        try:
            self.dovecot = DovecotAuth(self.users, base_dir=self.base_dir).start()
            self.postfix = PostfixInstance(base_dir=self.base_dir, smtpd=True, hostname=self.hostname).create()
            conf = self.postfix.config_dir
            logins = os.path.join(conf, 'sender_logins')
            with open(logins, 'w', encoding='utf-8') as handle:
                for address, owners in self.sender_logins.items():
                    handle.write('%s %s\n' % (address, ', '.join(owners)))
            values = dict(
                smtpd_banner='$myhostname ESMTP',
                smtpd_sasl_auth_enable='yes',
                smtpd_sasl_type='dovecot',
                smtpd_sasl_path=self.dovecot.socket_path,
                smtpd_sasl_security_options='noanonymous',
                smtpd_sender_login_maps='texthash:' + logins,
                smtpd_sender_restrictions='reject_sender_login_mismatch',
                smtpd_relay_restrictions='permit_sasl_authenticated, reject_unauth_destination',
                default_transport='discard',
                smtpd_tls_security_level='none',
            )
            if self.tls:
                paths = write_cert_files(self.postfix.directory, 'ca', hostname=self.host)
                self.ca_path = paths['ca']
                self.ca_env = {'SSL_CERT_FILE': paths['bundle']}   # for the apps without a CA setting
                values.update(smtpd_tls_security_level='may', smtpd_tls_auth_only='yes',
                              smtpd_tls_cert_file=paths['chain'], smtpd_tls_key_file=paths['key'])
            self.postfix.configure(**values)
            self.postfix.start()
            self.port = self.postfix.smtpd_port
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for instance in (self.postfix, self.dovecot):
            if instance is not None:
                instance.stop()
        self.postfix = self.dovecot = None

    def log(self):
        return self.postfix.log() if self.postfix is not None else ''

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
