# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alertmanager's own reader for the tests: the real Debian ``prometheus-alertmanager`` and ``amtool``.

Used by ``readers.alertmanager_many`` and by tests that make Alertmanager send mail (``Alertmanager.send_alert``).

* ``check_config(path)``: ``amtool check-config`` -- Alertmanager's loader (Go yaml.v2 ``UnmarshalStrict`` plus
  its validation: unknown keys, types, ``host:port`` smarthost) says whether the file is acceptable.
* ``Alertmanager``: the real server on loopback (free port, own storage dir, clustering off). ``globals()``
  returns the ``global:`` section as Alertmanager parsed it (``/api/v2/status`` re-marshals the parsed config;
  secrets come back as ``<secret>``, so the password is proven by ``send_alert()``: Alertmanager logs in to the
  SMTP sandbox with what it read, and the sandbox only accepts the exact password).

Nothing here is shipped with the collection.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import yaml

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"


class _GoYamlOutput(yaml.SafeLoader):
    """PyYAML for what Go's yaml.v2 marshals: a plain ``=`` is a string there (PyYAML alone would read the
    YAML 1.1 "value" type and fail)."""


_GoYamlOutput.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def check_config(path):
    """``(ok, output)`` of ``amtool check-config PATH``."""
    result = subprocess.run([AMTOOL, "check-config", path], capture_output=True, timeout=60, check=False,
                            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"})
    return result.returncode == 0, (result.stdout + result.stderr).decode("utf-8", "replace")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Alertmanager(object):
    """One real Alertmanager on 127.0.0.1 reading ``config_path`` (reloaded on demand)."""

    def __init__(self, config_path, ca_path=None):
        self.config_path = config_path
        self.ca_path = ca_path
        self.workdir = tempfile.mkdtemp(prefix="alertmanager-")
        self.port = None
        self.process = None

    def start(self):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        if self.ca_path:
            env["SSL_CERT_FILE"] = self.ca_path  # Go's x509 roots: trust the sandbox CA for STARTTLS/TLS
        for _attempt in range(3):
            self.port = _free_port()
            self.process = subprocess.Popen(
                [ALERTMANAGER, "--config.file=%s" % self.config_path,
                 "--storage.path=%s" % os.path.join(self.workdir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address=",
                 "--log.level=debug"],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.workdir, "log"), "wb"), env=env)
            if self._wait_ready():
                return self
            self.stop(keep_dir=True)
        raise AssertionError("alertmanager did not start: %s" % self.log())

    def _wait_ready(self, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as reply:
                    if reply.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        return False

    def log(self):
        try:
            with open(os.path.join(self.workdir, "log"), encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""

    def stop(self, keep_dir=False):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        if not keep_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, reply.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def reload(self):
        """Make Alertmanager read the config file again; AssertionError with its message when it refuses it."""
        status, text = self._request("POST", "/-/reload")
        if status != 200:
            raise AssertionError("alertmanager refused the configuration: %s" % text.strip())

    def config(self):
        """The whole configuration as Alertmanager parsed it (secrets shown as ``<secret>``)."""
        status, text = self._request("GET", "/api/v2/status")
        assert status == 200, text
        return yaml.load(json.loads(text)["config"]["original"], Loader=_GoYamlOutput)  # noqa: S506 (safe)

    def globals(self):
        return self.config()["global"]

    def send_alert(self, name):
        """Fire one alert (labels ``alertname=name``); Alertmanager routes it and mails it as configured."""
        status, text = self._request("POST", "/api/v2/alerts", [{"labels": {"alertname": name}}])
        assert status == 200, text
