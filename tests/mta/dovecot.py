"""A throwaway Dovecot that only authenticates: own config, base_dir and passwd-file, no mail protocols.

``DovecotAuth(users={login: password}).start()`` writes ``dovecot.conf`` and a passwd-file into a temporary
directory and runs ``dovecot -F -c dovecot.conf`` as a child process of the test (as root, as Dovecot's master
requires; its auth processes run as the ``dovecot`` user). Its only service is ``auth`` with one
``unix_listener`` at ``socket_path`` (mode 0666), which Postfix uses through ``smtpd_sasl_type = dovecot``.
Nothing listens on the network. ``stop()`` ends the master by its own pid and removes the directory.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time

DOVECOT = '/usr/sbin/dovecot'

CONFIG = """\
# mailops.smtp test instance: authentication only (private base_dir, no protocols, no network listener)
base_dir = {base_dir}
state_dir = {state_dir}
instance_name = {instance}
log_path = {log}
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_internal_user = dovecot
default_login_user = dovenull

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}

service auth {{
  unix_listener {socket} {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot_available():
    """None when a private Dovecot can run here, else the reason it cannot."""
    if not os.access(DOVECOT, os.X_OK):
        return '%s is missing: run scripts/system-deps.sh (Debian package dovecot-core)' % DOVECOT
    if os.geteuid() != 0:
        return 'a Dovecot instance needs root (its master process starts as root)'
    return None


class DovecotAuth:
    """One private Dovecot auth server. Attributes: directory, socket_path, log_path, users."""

    def __init__(self, users, base_dir=None):
        for login, password in users.items():
            for value in (login, password):
                if any(c in value for c in ':\n\r\0'):
                    raise ValueError('passwd-file entries cannot hold ":" or line breaks: %r' % login)
        self.users = dict(users)
        self.base_dir = base_dir
        self.directory = None
        self.process = None
        self.socket_path = None
        self.log_path = None

    def start(self, timeout=30.0):
        reason = dovecot_available()
        if reason:
            raise RuntimeError(reason)
        self.directory = tempfile.mkdtemp(prefix='mailops-dovecot-', dir=self.base_dir)
        os.chmod(self.directory, 0o755)  # postfix's smtpd must reach the socket
        atexit.register(self.stop)
        run_dir = os.path.join(self.directory, 'run')
        state_dir = os.path.join(self.directory, 'state')
        home = os.path.join(self.directory, 'home')
        for path in (run_dir, state_dir, home):
            os.mkdir(path)
            os.chmod(path, 0o755)
        self.socket_path = os.path.join(self.directory, 'auth-client')
        self.log_path = os.path.join(self.directory, 'dovecot.log')
        passwd = os.path.join(self.directory, 'users')
        with open(passwd, 'w', encoding='utf-8') as handle:
            for login, password in self.users.items():
                handle.write('%s:{PLAIN}%s:65534:65534::%s::\n' % (login, password, home))
        os.chmod(passwd, 0o644)  # read by the auth process (user dovecot)
        self.config_path = os.path.join(self.directory, 'dovecot.conf')
        with open(self.config_path, 'w', encoding='utf-8') as handle:
            handle.write(CONFIG.format(base_dir=run_dir, state_dir=state_dir, log=self.log_path, passwd=passwd,
                                       socket=self.socket_path,
                                       instance='mailops-%s' % os.path.basename(self.directory)))
        self.process = subprocess.Popen([DOVECOT, '-F', '-c', self.config_path], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode('utf-8', 'replace')
                self.process = None
                self.stop()
                raise RuntimeError('dovecot exited at start:\n%s' % error)
            if os.path.exists(self.socket_path):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('Dovecot did not create %s within %.0f s' % (self.socket_path, timeout))

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.send_signal(signal.SIGKILL)
                    self.process.wait(timeout=10)
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def log(self):
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except (OSError, TypeError):
            return ''

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
