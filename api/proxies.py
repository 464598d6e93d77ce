"""The client's address, as the proxies in front of the app report it.

Behind a load balancer or a TLS proxy, REMOTE_ADDR is the proxy's address.
Each proxy appends the address it received the request from to
X-Forwarded-For, after whatever the client wrote there itself; so the header,
read from the right, is believed up to the first address outside
settings.TRUSTED_PROXIES, and that address is the client. From a peer outside
the set the header is the client's own claim, and is not read at all.
https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For#selecting_an_ip_address
"""

import functools
import ipaddress

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request) -> str:
    """The address of the client that sent `request` (rate limits key on it)."""
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    if not settings.TRUSTED_PROXIES:
        return peer
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    address = _address(peer)
    if address is None or not _holds(trusted, address):
        return peer if address is None else str(address)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        sender = _address(hop)
        if sender is None:
            # No proxy writes that: what lies left of it is the client's own
            # say, so the nearest hop a trusted proxy named stands for it.
            break
        address = sender
        if not _holds(trusted, address):
            break
    return str(address)


@functools.cache
def _networks(texts: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(text) for text in texts)


def _holds(networks: tuple[Network, ...], address: Address) -> bool:
    return any(address in network for network in networks)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, or with a port ("[v6]:p", "v4:p"),
    in one spelling (an IPv4 peer of a dual-stack socket is IPv4)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address
