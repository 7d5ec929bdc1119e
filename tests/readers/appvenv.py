"""Virtualenvs of real applications from PyPI, built by the test tooling itself and cached in the checkout.

``app_venv(name, requirements)`` returns the python of ``tests/output/appvenvs/<name>-<hash>/``, creating it
(``python -m venv`` + ``pip install``) when missing. The hash covers the requirement lines and the Python
version, so a changed pin builds a new venv. The build runs under a file lock (pytest-xdist workers build
once, the others wait) into a temporary directory that is renamed into place only when pip succeeded.
A failed build is a :class:`readers.ReaderMissing` (a test error, never a skip).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

from readers import ROOT, ReaderMissing

VENVS = os.path.join(ROOT, "tests", "output", "appvenvs")
BUILD_TIMEOUT = 1500


def app_venv(name, requirements):
    """The interpreter of a cached venv holding ``requirements`` (a list of pip requirement strings)."""
    key = "\n".join([sys.version] + list(requirements)).encode("utf-8")
    target = os.path.join(VENVS, "%s-%s" % (name, hashlib.sha256(key).hexdigest()[:12]))
    python = os.path.join(target, "bin", "python")
    if os.path.exists(python):
        return python
    os.makedirs(VENVS, exist_ok=True)
    with open(os.path.join(VENVS, ".%s.lock" % name), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(python):
            return python
        building = target + ".building"
        shutil.rmtree(building, ignore_errors=True)
        started = time.monotonic()
        try:
            subprocess.run([sys.executable, "-m", "venv", building], check=True, capture_output=True,
                           timeout=BUILD_TIMEOUT)
            subprocess.run([os.path.join(building, "bin", "python"), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check"] + list(requirements),
                           check=True, capture_output=True, timeout=BUILD_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            shutil.rmtree(building, ignore_errors=True)
            raise ReaderMissing("cannot build the %s venv (%s): %s" % (
                name, exc, detail.decode("utf-8", "replace")[-2000:])) from exc
        # venv scripts name their own directory: rebuild-free rename is fine for "bin/python" use only
        os.replace(building, target)
        with open(os.path.join(target, "build-seconds"), "w") as handle:
            handle.write("%.1f\n" % (time.monotonic() - started))
    return python
