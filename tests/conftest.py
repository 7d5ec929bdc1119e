"""Test-session wiring shared by unit, integration and sandbox tests.

The collection is imported as ``ansible_collections.mailops.smtp`` through the link tree that
``make collection`` creates (``.collections/ansible_collections/mailops/smtp`` -> repository root),
and the SMTP sandbox is importable as ``smtp_sandbox`` from this directory.
"""

import os
import sys

from hypothesis import HealthCheck, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)

pytest_plugins = ["smtp_sandbox.pytest_plugin", "oauth_server.pytest_plugin"]

# Hypothesis without its timing checks (its per-example deadline and the too_slow health check): how fast the
# machine is (two xdist workers, other jobs) is no property of the code under test.
settings.register_profile("mailops", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mailops")
