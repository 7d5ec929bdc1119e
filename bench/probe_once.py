"""The SMTP test engine as a whole process, without Ansible: python + our module_utils + one dialogue.

Usage: python bench/probe_once.py ARGS.json, where ARGS.json holds {"settings": {...}, "test": {...}}: the
keyword arguments of ``Settings`` (``server`` a string) and of ``TestOptions``.
Prints {"ok": ..., "category": ...}; exit status 0 when the test passed.
This is the process a swaks run compares with: same steps, no AnsibleModule start-up.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".collections"))

from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp  # noqa: E402
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers  # noqa: E402
from ansible_collections.mailops.smtp.plugins.module_utils._settings import Settings, TestOptions  # noqa: E402


def main(path):
    with open(path) as f:
        args = json.load(f)
    settings = dict(args["settings"])
    settings.setdefault("auth", None)
    result = probe_smtp(Settings(parse_servers(settings.pop("server")), **settings), TestOptions(**args["test"]))
    diagnosis = result.get("diagnosis") or {}
    print(json.dumps({"ok": result["ok"], "category": diagnosis.get("category"), "stage": diagnosis.get("stage")}))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
