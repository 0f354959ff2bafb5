"""`make run`'s check before it serves: HOST and PORT are usable, or a clear message why not."""

from __future__ import annotations

import socket
import sys


def check(host: str, port: str) -> str | None:
    """None when HOST:PORT can be served on, else the reason in one sentence."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"PORT must be a number from 1 to 65535, not {port!r}."
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except socket.gaierror:
        return f"HOST {host!r} is not an address or a name of this machine."
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # the development server sets SO_REUSEADDR too: a port in TIME_WAIT is usable
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == 98:  # EADDRINUSE
                return (
                    f"Port {port} on {host} is already in use by another program. "
                    f"Stop it, or choose another port: make run PORT={int(port) + 1}"
                )
            return f"Cannot serve on {host}:{port}: {error.strerror}."
    return None


def main(argv: list[str]) -> int:
    host, port = argv
    problem = check(host, port)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
