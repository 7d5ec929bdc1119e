# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action behind mailops.smtp.fleet_report (documented in plugins/modules/fleet_report.py).

Runs on the controller only: reads each host's summary from its variables (one ``hostvars`` lookup per host),
builds the report, and writes its files into a directory of the controller, in one task. The role ran this as
four ``run_once`` tasks (a fact holding the whole report, a directory, three ``copy`` module runs), and each
``run_once`` task of a large play costs the strategy a pass over every host.
"""

from __future__ import annotations

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.smtp.plugins.plugin_utils._fleet_report import (
    RENDERERS,
    build_report,
    from_host_vars,
    render,
    totals_in_words,
)

EXTENSIONS = {"json": "json", "markdown": "md", "html": "html"}

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "name": {"type": "str", "required": True},
    "formats": {"type": "list", "elements": "str", "default": ["json", "markdown", "html"],
                "choices": sorted(RENDERERS)},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "active_hosts": {"type": "list", "elements": "str"},
    "mode": {"type": "str", "default": "apply", "choices": ["apply", "audit"]},
    "check_mode": {"type": "bool"},
    "secrets": {"type": "list", "elements": "str", "default": [], "no_log": True},
}

DIR_MODE = 0o755
FILE_MODE = 0o644


def _ensure_directory(path):
    """Create ``path`` and its missing parents with mode 0755, and set 0755 on ``path`` (as the file module did)."""
    missing = []
    current = path
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
        os.chmod(directory, DIR_MODE)
    if (os.stat(path).st_mode & 0o7777) != DIR_MODE:
        os.chmod(path, DIR_MODE)


def _write_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename (mode 0644)."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True  # the report is written on the controller in check mode too (it changes nothing)
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        check_mode = args["check_mode"]
        if check_mode is None:
            check_mode = bool(task_vars.get("ansible_check_mode", self._play_context.check_mode))
        hostvars = task_vars.get("hostvars")
        if hostvars is None:
            raise AnsibleActionFail("fleet_report: the hosts' variables (hostvars) are not available")
        hosts = args["hosts"]
        summaries, apps, found_secrets = from_host_vars(hosts, (hostvars[host] for host in hosts))
        report = build_report(summaries, hosts, active_hosts=args["active_hosts"], mode=args["mode"],
                              check_mode=check_mode, secrets=list(args["secrets"]) + found_secrets, apps=apps)
        directory = args["path"]
        written = []
        try:
            _ensure_directory(directory)
            for fmt in args["formats"]:
                dest = os.path.join(directory, "%s.%s" % (args["name"], EXTENSIONS[fmt]))
                _write_atomic(dest, to_bytes(render(report, fmt), errors="surrogate_or_strict"))
                written.append(dest)
        except OSError as exc:
            raise AnsibleActionFail("fleet_report: writing the report into %s failed: %s"
                                    % (directory, to_text(exc.strerror or exc))) from None
        summary = totals_in_words(report["totals"])
        result.update({
            "changed": False,
            "files": written,
            "totals": report["totals"],
            "summary": summary,
            "msg": "%s. Fleet report: %s/%s.{%s}" % (
                summary, directory, args["name"], ",".join(EXTENSIONS[fmt] for fmt in args["formats"])),
        })
        return result
