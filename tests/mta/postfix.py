"""A throwaway Postfix instance: own config, queue and data directories, loopback only, no system service.

``PostfixInstance().start()`` writes ``conf/main.cf`` and a minimal ``conf/master.cf`` (every service with
``chroot = n``, so the daemons can read files anywhere, e.g. a test CA), creates ``queue/`` and ``data/``
and runs ``postfix -c conf start-fg`` as a child process of the test (started as root, as Postfix requires).
It logs to ``maillog`` in its directory (``maillog_file``; no syslog). By default it has NO smtpd listener: it is
a relay CLIENT -- mail comes in through ``sendmail()`` (``/usr/sbin/sendmail -C conf``) and leaves through the
``smtp`` client to whatever ``relayhost`` says. ``PostfixInstance(smtpd=True)`` adds an smtpd on
127.0.0.1:<free port> (``instance.smtpd_port``); ``master_cf_extra`` adds master.cf lines.

``stop()`` runs ``postfix -c conf stop``, waits for its own master process (killing it by pid if needed) and
removes the directory.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

POSTFIX = '/usr/sbin/postfix'
POSTCONF = '/usr/sbin/postconf'
POSTMAP = '/usr/sbin/postmap'
SENDMAIL = '/usr/sbin/sendmail'

MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_available():
    """None when a private Postfix can run here, else the reason it cannot."""
    for binary in (POSTFIX, POSTCONF, POSTMAP, SENDMAIL):
        if not os.access(binary, os.X_OK):
            return '%s is missing: run scripts/system-deps.sh (Debian package postfix)' % binary
    if os.geteuid() != 0:
        return 'Postfix instances need root (the master process starts as root)'
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class PostfixInstance:
    """One private Postfix. Attributes: directory, config_dir, queue_dir, data_dir, maillog, smtpd_port."""

    def __init__(self, base_dir=None, smtpd=False, master_cf_extra='', hostname='relay-client.mailops.test'):
        self.base_dir = base_dir
        self.smtpd = smtpd
        self.master_cf_extra = master_cf_extra
        self.hostname = hostname
        self.directory = None
        self.process = None
        self.smtpd_port = None

    # -- layout -----------------------------------------------------------------------------------
    def create(self):
        """Create the directories and the configuration (called by start(); tests may edit main.cf after)."""
        if self.directory:
            return self
        reason = postfix_available()
        if reason:
            raise RuntimeError(reason)
        self.directory = tempfile.mkdtemp(prefix='mailops-postfix-', dir=self.base_dir)
        os.chmod(self.directory, 0o755)  # the postfix user must reach queue/ and data/
        atexit.register(self.stop)
        self.config_dir = os.path.join(self.directory, 'conf')
        self.queue_dir = os.path.join(self.directory, 'queue')
        self.data_dir = os.path.join(self.directory, 'data')
        self.maillog = os.path.join(self.directory, 'maillog')
        for path in (self.config_dir, self.queue_dir, self.data_dir):
            os.mkdir(path)
            os.chmod(path, 0o755)
        shutil.chown(self.data_dir, user='postfix')
        main_cf = [
            'compatibility_level = 3.7',
            'queue_directory = ' + self.queue_dir,
            'data_directory = ' + self.data_dir,
            'mail_owner = postfix',
            'setgid_group = postdrop',
            'myhostname = ' + self.hostname,
            'mydestination =',
            'alias_maps =',
            'alias_database =',
            'inet_interfaces = loopback-only',
            'inet_protocols = ipv4',
            'smtp_dns_support_level = disabled',
            'maillog_file_prefixes = ' + self.directory,
            'maillog_file = ' + self.maillog,
        ]
        master_cf = MASTER_CF
        if self.smtpd:
            self.smtpd_port = free_port()
            master_cf = '127.0.0.1:%d inet n - n - - smtpd\n' % self.smtpd_port + master_cf
        with open(os.path.join(self.config_dir, 'main.cf'), 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(main_cf) + '\n')
        with open(os.path.join(self.config_dir, 'master.cf'), 'w', encoding='utf-8') as handle:
            handle.write(master_cf + self.master_cf_extra)
        return self

    @property
    def main_cf(self):
        return os.path.join(self.config_dir, 'main.cf')

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, timeout=30.0):
        self.create()
        self.process = subprocess.Popen([POSTFIX, '-c', self.config_dir, 'start-fg'], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('postfix start-fg exited with %s:\n%s' % (self.process.returncode, self.log()))
            if 'daemon started' in self.log():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('Postfix did not start within %.0f s:\n%s' % (timeout, self.log()))

    def reload(self):
        """``postfix reload``: the running daemons pick up main.cf changes."""
        self.run([POSTFIX, '-c', self.config_dir, 'reload'])

    def stop(self):
        if self.process is not None:
            if self.process.poll() is None:
                subprocess.run([POSTFIX, '-c', self.config_dir, 'stop'], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.send_signal(signal.SIGKILL)
                    self.process.wait(timeout=10)
            self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- tools ------------------------------------------------------------------------------------
    @staticmethod
    def run(command, data=None):
        result = subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError('%s failed (%d): %s' % (command[0], result.returncode,
                                                       result.stderr.decode('utf-8', 'replace')))
        return result.stdout.decode('utf-8')

    def postconf(self, name, expand=False):
        """``postconf -c conf -h [-x] name``: the value as Postfix reads it."""
        flags = '-xh' if expand else '-h'
        return self.run([POSTCONF, '-c', self.config_dir, flags, name]).rstrip('\n')

    def configure(self, **values):
        """``postconf -c conf -e name=value ...``."""
        self.run([POSTCONF, '-c', self.config_dir, '-e'] + ['%s=%s' % item for item in values.items()])

    def postmap_query(self, key, table):
        """``postmap -c conf -q key table``: the value Postfix's daemons read from a map, or None."""
        result = subprocess.run([POSTMAP, '-c', self.config_dir, '-q', key, table], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60, check=False)
        if result.returncode == 1:
            return None
        if result.returncode != 0:
            raise RuntimeError('postmap -q failed: %s' % result.stderr.decode('utf-8', 'replace'))
        return result.stdout.decode('utf-8').rstrip('\n')

    def sendmail(self, message, sender, recipients):
        """Hand ``message`` (bytes) to this instance's ``sendmail -C conf``."""
        self.run([SENDMAIL, '-C', self.config_dir, '-f', sender, '--'] + list(recipients), data=message)

    def log(self):
        try:
            with open(self.maillog, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except (OSError, TypeError):
            return ''

    def wait_for_log(self, text, timeout=30.0):
        """Wait until ``text`` appears in the maillog; return the log (raises on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if text in log:
                return log
            time.sleep(0.1)
        raise AssertionError('%r not in the Postfix log within %.0f s:\n%s' % (text, timeout, self.log()[-4000:]))
