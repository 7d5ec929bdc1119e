# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: write every task result of a playbook run to $MAILOPS_RESULTS_FILE (JSON list)."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: mailops_results
type: aggregate
short_description: Record task results as JSON for the mailops.smtp integration tests
description:
  - Writes one JSON list with C(task), C(host), C(status), C(result) and C(seconds) (from the start of the
    task on that host) per task result.
requirements:
  - enable in configuration
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mailops_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._records = []
        self._started = {}

    def v2_runner_on_start(self, host, task):
        self._started[(host.get_name(), task._uuid)] = time.monotonic()

    def _record(self, status, result):
        self._records.append(
            dict(
                task=result._task.get_name(),
                host=result._host.get_name(),
                status=status,
                result=result._result,
                seconds=self._seconds(result),
            )
        )
        self._flush()

    def _seconds(self, result):
        started = self._started.get((result._host.get_name(), result._task._uuid))
        return None if started is None else round(time.monotonic() - started, 3)

    def _flush(self):
        path = os.environ.get("MAILOPS_RESULTS_FILE")
        if path:
            with open(path, "w") as handle:
                json.dump(self._records, handle, default=str)

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)
