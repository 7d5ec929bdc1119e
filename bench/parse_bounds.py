# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded parsing, measured (issue 20): main.cf with N continuation lines read by our store and by postconf.

Run from the checkout: ``.venv/bin/python bench/parse_bounds.py [N ...]`` (default 10000 100000). Prints one
line per size: our parse + get + set, and ``postconf -c DIR -h mynetworks`` on the same file (wall clock, best
of 3). Asserts nothing; the tests only check the results (tests/unit/.../test_profile_postfix_routing.py).
"""

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.mailops.smtp.plugins.module_utils.stores.postconf import PostconfStore  # noqa: E402


def best_of(runs, action):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main(sizes):
    for size in sizes:
        text = "relayhost = [a.example]:587\nmynetworks = 127.0.0.0/8\n" + "".join(
            " 10.%d.%d.0/24\n" % (index // 256 % 256, index % 256) for index in range(size))
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "main.cf"), "w", encoding="utf-8") as handle:
                handle.write(text)
            open(os.path.join(directory, "master.cf"), "w").close()
            past = time.time() - 10
            os.utime(os.path.join(directory, "main.cf"), (past, past))

            def ours(text=text):
                store = PostconfStore.parse(text)
                store.get(("mynetworks",))
                store.set(("relayhost",), "[b.example]:587")
                store.render()

            def postconf(directory=directory):
                subprocess.run(["postconf", "-c", directory, "-h", "mynetworks"], check=True,
                               stdout=subprocess.DEVNULL)

            timings = (size, best_of(3, ours), best_of(3, postconf))
            print("%7d continuation lines: store %.3f s, postconf %.3f s" % timings)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10000, 100000])
