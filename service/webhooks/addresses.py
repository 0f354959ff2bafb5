"""Where webhooks may be sent: https URLs whose every resolved address is public.

Checked at registration and again at every send, and the connection goes to the address that
was checked, so DNS rebinding gains nothing. `WEBHOOK_ALLOW_PRIVATE=1` (development and tests
on loopback) also allows http and private addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class ForbiddenURLError(ValueError):
    """The URL may not receive webhooks; the message says why, in plain words."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to


def parse(url: str, allow_private: bool) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ForbiddenURLError(f"not a valid URL ({error})") from error
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise ForbiddenURLError("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise ForbiddenURLError("must not carry credentials")
    if not parts.hostname:
        raise ForbiddenURLError("must name a host")
    if parts.fragment:
        raise ForbiddenURLError("must not have a fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def lookup(host: str, port: int) -> list:
    """The host's addresses (the system resolver; tests replace it to stay on loopback)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def resolve(url: str, allow_private: bool) -> Target:
    """The URL's target, with an address it may be sent to; ForbiddenURLError otherwise."""
    scheme, host, port, path = parse(url, allow_private)
    try:
        infos = lookup(host, port)
    except (socket.gaierror, UnicodeError) as error:
        raise ForbiddenURLError(f"the host {host!r} cannot be resolved") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise ForbiddenURLError(f"the host {host!r} cannot be resolved")
    if not allow_private:
        bad = [str(a) for a in addresses if _forbidden(a)]
        if bad:
            raise ForbiddenURLError(
                f"resolves to an address that is not public ({', '.join(sorted(set(bad)))})"
            )
    return Target(scheme, host, port, path, str(addresses[0]))
