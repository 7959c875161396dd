"""The guard: which URLs, addresses and ports an outbound request may reach.

It decides before anything connects (``check_url``) and again for every
address a connection resolves (``_check_address``, called by ``connection``):
the rules live here once, with the policy they are configured by and the
allowances that open one private service each.
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import socket
from urllib.parse import urlsplit

from ckanext.plusresilient.safe_http.response import FetchError, _redact

ALLOWED_NETWORKS_OPTION = "ckanext.plusresilient.http.allowed_private_networks"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWANCE_EXAMPLE = "127.0.0.1:5001, 10.20.0.0/16:443 or [fd00::/8]:443"


@dataclasses.dataclass(frozen=True)
class Allowance:
    """One private service that may be reached: an address or network, and a port."""

    network: _Network
    port: int

    def admits(self, address: _Address, port: int) -> bool:
        return (port == self.port and address.version == self.network.version
                and address in self.network)

    def __str__(self) -> str:
        shown = str(self.network) if self.network.num_addresses > 1 else str(
            self.network.network_address)
        return f"[{shown}]:{self.port}" if self.network.version == 6 else f"{shown}:{self.port}"


@dataclasses.dataclass(frozen=True)
class HttpPolicy:
    """The rules of every outbound request (built from the plugin options)."""

    timeout: float = 30
    retries: int = 3
    max_bytes: int = 50 * 1024 * 1024
    allowed_private_networks: tuple[str, ...] = ()
    user_agent: str = "ckanext-plusresilient"
    max_redirects: int = 5
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if not self.timeout or self.timeout <= 0:
            raise ValueError(f"HTTP timeout must be positive, not {self.timeout!r}")
        if self.retries < 0:
            raise ValueError(f"HTTP retries cannot be negative ({self.retries!r})")
        if self.max_bytes <= 0:
            raise ValueError(f"HTTP max_bytes must be positive, not {self.max_bytes!r}")
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects cannot be negative ({self.max_redirects!r})")
        if self.backoff < 0:
            raise ValueError(f"HTTP backoff cannot be negative ({self.backoff!r})")
        # A list, or a space-separated string, from the config is accepted too;
        # keep the policy hashable.
        networks = self.allowed_private_networks or ()
        if isinstance(networks, str):
            networks = networks.split()
        object.__setattr__(self, "allowed_private_networks",
                           tuple(str(entry).strip() for entry in networks if str(entry).strip()))
        _parse_allowances(self.allowed_private_networks)  # fail at startup, not on first fetch


def check_url(url: str, policy: HttpPolicy) -> None:
    """The guard alone: resolve the URL's host and refuse what the policy forbids.

    Raises FetchError with kind "scheme" (not http/https), "malformed" (no host,
    bad port), "blocked" (a forbidden address) or "connection" (the name does not
    resolve).
    """
    host, port = _split_target(url)
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(message=f"cannot resolve the host of {_redact(url)}",
                         url=_redact(url), kind="connection") from None
    allowances = _parse_allowances(policy.allowed_private_networks)
    for info in infos:
        try:
            _check_address(host, info[4][0], port, allowances)
        except _Blocked as blocked:
            raise blocked.fetch_error(url) from None


# -- the guard ---------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _parse_allowances(entries: tuple[str, ...]) -> tuple[Allowance, ...]:
    return tuple(_parse_allowance(str(entry).strip()) for entry in entries)


def _parse_allowance(entry: str) -> Allowance:
    def refuse(why: str) -> ValueError:
        return ValueError(f"{ALLOWED_NETWORKS_OPTION}: {entry!r} {why}; allow one service at "
                          f"a time, as an address or network and a port, like "
                          f"{ALLOWANCE_EXAMPLE}")

    if entry.startswith("["):
        inside, bracket, rest = entry[1:].partition("]")
        if not bracket:
            raise refuse("has no closing bracket")
        if not rest:
            raise refuse("names no port (it would open every port of those addresses)")
        if not rest.startswith(":"):
            raise refuse("has something other than :port after the brackets")
        address, port = inside, rest[1:]
    elif entry.count(":") > 1:
        try:  # a bare IPv6 address or network, with or without a port glued on
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise refuse("is ambiguous: write an IPv6 address in brackets, [::1]:8080") from None
        raise refuse("names no port (it would open every port of those addresses); write "
                     "an IPv6 address in brackets, [::1]:8080")
    elif ":" in entry:
        address, _, port = entry.rpartition(":")
    else:
        address, port = entry, ""
    try:
        network = ipaddress.ip_network(address, strict=False)
    except ValueError:
        raise refuse("is not an address or network (host names are not allowed: "
                     "the address they resolve to is what is checked)") from None
    if not port:
        raise refuse("names no port (it would open every port of those addresses)")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise refuse(f"has no valid port ({port!r}: a number from 1 to 65535)")
    return Allowance(network, int(port))


def _split_target(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(message=f"malformed URL {_redact(url)!r}", url=_redact(url),
                         kind="malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise FetchError(message=f"refused {_redact(url)}: only http and https URLs are "
                                 f"fetched ({shown})", url=_redact(url), kind="scheme")
    if not parts.hostname:
        raise FetchError(message=f"malformed URL {_redact(url)!r}: no host",
                         url=_redact(url), kind="malformed")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def _forbidden(ip: _Address) -> str | None:
    """Why an address may not be reached, or None for a public one."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def _check_address(host: str, address: str, port: int,
                   allowances: tuple[Allowance, ...]) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.insert(0, ip.ipv4_mapped)
    reason = next((r for r in map(_forbidden, candidates) if r), None)
    if reason is None:
        return
    if any(allowance.admits(c, port) for c in candidates for allowance in allowances):
        return
    raise _Blocked(host, str(candidates[0]), port, reason)


class _Blocked(Exception):
    """A forbidden address met at connection time (not an OSError: urllib3 lets it through)."""

    def __init__(self, host: str, address: str, port: int, reason: str):
        super().__init__(host, address, port, reason)
        self.host, self.address, self.port, self.reason = host, address, port, reason

    def fetch_error(self, url: str) -> FetchError:
        host = self.host.strip("[]")
        where = (f"{self.address} is" if host == self.address
                 else f"host {host} resolves to {self.address},")
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return FetchError(
            url=_redact(url), kind="blocked",
            message=f"refused {_redact(url)}: {where} {_article(self.reason)} {self.reason} "
                    f"address (port {self.port}); to allow this one service, add "
                    f"{shown}:{self.port} to {ALLOWED_NETWORKS_OPTION}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
