"""An SSRF-safe image fetcher.

Only allow-listed hosts and https; the name is resolved once here and every address must be global
(no metadata server, loopback, private, link-local or mapped ranges), and the connection goes to that
checked address; redirects are followed by hand, each hop checked again; size and time are capped.
Local profiles may name extra host:port pairs (the Apify stand-in), and only those.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

from shared.config import CdnSettings


class FetchRefused(Exception):
    """The URL or what it returned is not allowed; the message says which rule."""


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str
    final_url: str


def _check_address(host: str, port: int, local_ok: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:  # UnicodeError: not a name IDNA can encode
        raise FetchRefused(f"cannot resolve {host}") from exc
    addresses = {str(info[4][0]) for info in infos}
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        if not local_ok and (not ip.is_global or (mapped is not None and not mapped.is_global)):
            raise FetchRefused(f"{host} resolves to a non-public address ({ip})")
    return sorted(addresses)[0]


def _allowed(host: str, port: int, policy: CdnSettings) -> tuple[bool, bool]:
    """(allowed at all, allowed although local)."""
    if f"{host}:{port}" in policy.local_hosts:
        return True, True
    return any(fnmatch.fnmatch(host, pattern) for pattern in policy.allowed_hosts), False


def fetch_image(url: str, policy: CdnSettings) -> Fetched:
    """GET an image under every rule above, or raise FetchRefused naming the rule it broke."""
    deadline = time.monotonic() + policy.timeout_s
    for _hop in range(policy.max_redirects + 1):
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range or not a number
            raise FetchRefused(f"URL is malformed ({exc})") from exc
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchRefused("URL has no host")
        allowed, local_ok = _allowed(host, port, policy)
        if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local_ok):
            raise FetchRefused(f"scheme {parts.scheme!r} is not allowed")
        if not allowed:
            raise FetchRefused(f"host {host} is not on the allow-list")
        address = _check_address(host, port, local_ok)
        response = _request(parts.scheme, address, host, port, parts, deadline)
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise FetchRefused("redirect without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchRefused(f"answered HTTP {response.status}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type.startswith("image/"):
                raise FetchRefused(f"content type {content_type or 'missing'} is not an image")
            declared = _declared_length(response.headers.get("Content-Length"))
            if declared > policy.max_bytes:
                raise FetchRefused(f"image is {declared} bytes (cap {policy.max_bytes})")
            return Fetched(_read_capped(response, policy.max_bytes, deadline), content_type, url)
        finally:
            response.release_conn()
    raise FetchRefused(f"more than {policy.max_redirects} redirects")


def _declared_length(value: str | None) -> int:
    """The length a response announces; a malformed one ("abc", "3, 3") announces nothing, and the capped
    read below still holds the size."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _request(scheme: str, address: str, host: str, port: int, parts, deadline: float):  # type: ignore[no-untyped-def]
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused("took too long")
    timeout = urllib3.Timeout(connect=min(5.0, remaining), read=remaining)
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        return pool.urlopen(
            "GET",
            path,
            headers={"Host": host if port in (80, 443) else f"{host}:{port}", "Accept": "image/*"},
            redirect=False,
            preload_content=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise FetchRefused(f"could not fetch: {type(exc).__name__}") from exc


def _read_capped(response, max_bytes: int, deadline: float) -> bytes:  # type: ignore[no-untyped-def]
    chunks, size = [], 0
    try:
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused(f"image exceeds {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchRefused("took too long")
            chunks.append(chunk)
    except urllib3.exceptions.HTTPError as exc:
        raise FetchRefused(f"could not read: {type(exc).__name__}") from exc
    return b"".join(chunks)
