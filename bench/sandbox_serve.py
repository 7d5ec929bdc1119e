"""Run ``python -m smtp_sandbox serve`` for the benchmarks, with TCP_NODELAY on every accepted connection.

Why: the sandbox creates its listening socket as ``socket(family, SOCK_STREAM)`` (proto 0), and asyncio only
sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP. aiosmtpd writes a multi-line reply (EHLO) one line
per write, so without TCP_NODELAY Nagle holds the second line until the client's delayed ACK (about 40 ms):
every EHLO costs ~45 ms, for our client and for swaks alike. Real MTAs (Postfix, Exim) send a multi-line
reply in one write, so the benchmark sets TCP_NODELAY to measure the clients, not that artefact.
If the sandbox sets it itself, this is a no-op.

Usage: python bench/sandbox_serve.py serve --scenarios ... --state ... (the sandbox CLI's arguments).
"""

from __future__ import annotations

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

from smtp_sandbox import _cli, _server  # noqa: E402

_accept = _server._ListeningSocket.accept


def _accept_nodelay(self):
    conn, addr = _accept(self)
    if conn.family in (socket.AF_INET, socket.AF_INET6):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn, addr


_server._ListeningSocket.accept = _accept_nodelay

if __name__ == "__main__":
    sys.exit(_cli.main(sys.argv[1:]))
