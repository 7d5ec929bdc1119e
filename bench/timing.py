"""Timing primitives: run a process and measure it, repeat, summarise (median and spread)."""

from __future__ import annotations

import dataclasses
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from typing import List, Optional


@dataclasses.dataclass
class Run:
    """One process run: wall-clock seconds, CPU seconds (user+sys of it and its children), peak RSS (KiB)."""

    wall: float
    cpu: float
    maxrss_kib: int
    rc: int
    stdout: str
    stderr: str
    killed: bool = False


def run_process(cmd, env=None, cwd=None, kill_after=None, stdin_data=None):
    """Run ``cmd`` to completion and measure it.

    ``os.wait4`` gives the rusage of exactly this child (and the descendants it waited for), so CPU time
    and peak RSS belong to this run only. Output goes to temp files (no pipe deadlocks, no reader threads
    competing for the 2 cores). ``kill_after`` seconds: kill the whole process group, mark the run killed.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = subprocess.DEVNULL
        if stdin_data is not None:
            stdin = tempfile.TemporaryFile()
            stdin.write(stdin_data.encode())
            stdin.seek(0)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, stdin=stdin, start_new_session=True)
        killed = []
        timer = None
        if kill_after is not None:

            def _kill():
                killed.append(True)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(kill_after, _kill)
            timer.start()
        dummy, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer is not None:
            timer.cancel()
        if killed:
            # reap anything left in the group
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if stdin_data is not None:
            stdin.close()
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            maxrss_kib=usage.ru_maxrss,
            rc=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            killed=bool(killed),
        )


@dataclasses.dataclass
class Sample:
    """Repeated measurements of one thing (seconds, or any unit)."""

    values: List[float]
    unit: str = "s"
    note: Optional[str] = None

    @property
    def median(self):
        return statistics.median(self.values)

    @property
    def lo(self):
        return min(self.values)

    @property
    def hi(self):
        return max(self.values)

    def scaled(self, factor, unit=None):
        return Sample([v * factor for v in self.values], unit or self.unit, self.note)

    def fmt(self, digits=3):
        num = "%%.%df" % digits
        if len(self.values) == 1:
            return "%s %s (n=1)" % (num % self.values[0], self.unit)
        return "%s %s [%s-%s, n=%d]" % (num % self.median, self.unit, num % self.lo, num % self.hi, len(self.values))


def ratio(ours, base):
    """Median ratio with a spread: [min(ours)/max(base), max(ours)/min(base)] (the worst and best pairing)."""
    mid = ours.median / base.median
    lo = ours.lo / base.hi
    hi = ours.hi / base.lo
    return mid, lo, hi


def fmt_ratio(r):
    mid, lo, hi = r
    return "%.2fx [%.2f-%.2f]" % (mid, lo, hi)
