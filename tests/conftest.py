"""Test-session wiring shared by unit, integration and sandbox tests.

The collection is imported as ``ansible_collections.mailops.smtp`` through the link tree that
``make collection`` creates (``.collections/ansible_collections/mailops/smtp`` -> repository root),
and the SMTP sandbox is importable as ``smtp_sandbox`` from this directory.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, ".collections"), os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)

pytest_plugins = ["smtp_sandbox.pytest_plugin", "oauth_server.pytest_plugin"]
