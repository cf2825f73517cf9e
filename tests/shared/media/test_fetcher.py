"""The SSRF corpus against the fetcher -> 0 internal fetches; good images still come through."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from shared.config import CdnSettings
from shared.media.fetcher import FetchRefused, fetch_image


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 90)).save(out, "JPEG")
    return out.getvalue()


class Servers:
    def __init__(self) -> None:
        self.canary_hits = 0
        outer = self

        class Canary(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.canary_hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.end_headers()
                self.wfile.write(_jpeg())

            def log_message(self, *args: object) -> None:
                pass

        class Origin(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                if path.startswith("/redirect-to/"):
                    self.send_response(302)
                    self.send_header("Location", path.removeprefix("/redirect-to/"))
                    self.end_headers()
                    return
                if path == "/slow":
                    time.sleep(3)
                body, kind = {
                    "/ok.jpg": (_jpeg(), "image/jpeg"),
                    "/page": (b"<html>hi</html>", "text/html"),
                    "/big": (b"\xff" * 2_000_000, "image/jpeg"),
                    "/slow": (_jpeg(), "image/jpeg"),
                    "/odd-length": (_jpeg(), "image/jpeg"),
                    "/odd-big": (b"\xff" * 2_000_000, "image/jpeg"),
                }.get(path, (b"", "text/plain"))
                self.send_response(200)
                self.send_header("Content-Type", kind)
                if path.startswith("/odd-"):  # a length no number reads: the body runs to the connection's end
                    self.send_header("Content-Length", "about 1 KB")
                elif path != "/big":  # the oversize body does not announce itself
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.canary = ThreadingHTTPServer(("127.0.0.1", 0), Canary)
        self.origin = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
        for server in (self.canary, self.origin):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.canary_port = self.canary.server_address[1]
        self.origin_base = f"http://127.0.0.1:{self.origin.server_address[1]}"

    def close(self) -> None:
        self.canary.shutdown()
        self.origin.shutdown()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    s = Servers()
    yield s
    s.close()


def policy(servers: Servers, **overrides: object) -> CdnSettings:
    """The loosest host rule ('*'), so that only the address checks stand between us and the canary."""
    values = {
        "allowed_hosts": ("*",),
        "local_hosts": (servers.origin_base.removeprefix("http://"),),
        "max_bytes": 1_000_000,
        "timeout_s": 1.5,
    } | overrides
    return CdnSettings(**values)  # type: ignore[arg-type]


def corpus(servers: Servers) -> list[str]:
    port = servers.canary_port
    internal = [
        "169.254.169.254",
        "metadata.google.internal",
        "localhost",
        "127.0.0.1",
        "2130706433",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "10.0.0.1",
        "192.168.1.1",
        "0.0.0.0",  # noqa: S104 - a target in the corpus, not a bind
        "[fd00::1]",
        "0x7f000001",
    ]
    urls = [f"{scheme}://{host}:{port}/avatar.jpg" for host in internal for scheme in ("https", "http")]
    urls += [f"https://{host}/computeMetadata/v1/" for host in ("169.254.169.254", "metadata.google.internal")]
    urls += [
        f"{servers.origin_base}/redirect-to/http://127.0.0.1:{port}/x.jpg",
        f"{servers.origin_base}/redirect-to/https://169.254.169.254/latest/meta-data/",
        f"{servers.origin_base}/redirect-to/https://localhost:{port}/x.jpg",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        f"ftp://127.0.0.1:{port}/x.jpg",
        f"{servers.origin_base}/page",
        f"{servers.origin_base}/big",
        f"{servers.origin_base}/slow",
        "https:///no-host.jpg",
    ]
    return urls


def test_corpus_makes_zero_internal_fetches(servers: Servers) -> None:
    accepted = []
    for url in corpus(servers):
        try:
            fetch_image(url, policy(servers))
            accepted.append(url)
        except FetchRefused:
            pass
    assert accepted == []
    assert servers.canary_hits == 0


@pytest.mark.parametrize(
    ("path", "rule"),
    [("/page", "not an image"), ("/big", "exceeds"), ("/slow", r"too long|Timeout|timed out")],
)
def test_each_refusal_names_its_rule(servers: Servers, path: str, rule: str) -> None:
    with pytest.raises(FetchRefused, match=rule):
        fetch_image(servers.origin_base + path, policy(servers))


def test_redirect_hops_are_checked_again(servers: Servers) -> None:
    with pytest.raises(FetchRefused, match=r"not allowed|non-public"):
        fetch_image(f"{servers.origin_base}/redirect-to/http://127.0.0.1:{servers.canary_port}/x.jpg", policy(servers))
    ok = fetch_image(f"{servers.origin_base}/redirect-to/{servers.origin_base}/ok.jpg", policy(servers))
    assert ok.final_url.endswith("/ok.jpg")


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1/x.jpg",
        "https://scontent.cdninstagram.com:99999/x.jpg",
        "https://" + "a" * 64 + ".cdninstagram.com/x.jpg",  # a label over 63 characters: IDNA cannot encode it
        "https://scontent\u2028.cdninstagram.com/x.jpg",
        "{origin}/redirect-to/https://[::1/x.jpg",
    ],
    ids=["unclosed bracket", "port out of range", "label too long", "a line separator", "a redirect to one"],
)
def test_a_url_no_request_can_be_made_for_is_refused(servers: Servers, url: str) -> None:
    """All but the port raised ValueError or UnicodeError: the CDN worker answered 500 until the message was
    dead-lettered, where a refusal marks the image failed and the stage goes on."""
    with pytest.raises(FetchRefused, match=r"malformed|cannot resolve"):
        fetch_image(url.format(origin=servers.origin_base), policy(servers))


def test_a_length_no_number_reads_is_no_length(servers: Servers) -> None:
    """`int()` of it raised ValueError (a 500); it is read as no length, and the capped read still holds."""
    assert fetch_image(servers.origin_base + "/odd-length", policy(servers)).data == _jpeg()
    with pytest.raises(FetchRefused, match="exceeds"):
        fetch_image(servers.origin_base + "/odd-big", policy(servers))


def test_allow_list_and_https_only_by_default() -> None:
    strict = CdnSettings()
    with pytest.raises(FetchRefused, match="allow-list"):
        fetch_image("https://evil.example.com/cat.jpg", strict)
    with pytest.raises(FetchRefused, match="scheme"):
        fetch_image("http://scontent.cdninstagram.com/cat.jpg", strict)


def test_allowed_local_image_is_fetched(servers: Servers) -> None:
    fetched = fetch_image(servers.origin_base + "/ok.jpg", policy(servers))
    assert fetched.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(fetched.data)).size == (64, 48)
