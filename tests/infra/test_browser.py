"""A real headless browser (Debian's chromium) calls the API from another origin, on the local stack: a page signs
in with a local token, searches a creator, follows the job over SSE (fetch + stream reader), renders the report.
A page from an origin not on the list is refused by the browser. The rendered report is saved as a screenshot
(test-artifacts/browser-report.png)."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra.local.components import REPO
from infra.local.demo import local_token

pytestmark = pytest.mark.emulator
PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "browser" / "page.html"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class PageServer:
    """Serves the page on its own origin and collects what the page reports back (same-origin POST)."""

    def __init__(self, port: int = 0) -> None:
        results: queue.Queue[dict[str, Any]] = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = PAGE.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                results.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.results = results
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def chromium(*args: str, profile: Path) -> list[str]:
    assert CHROMIUM
    return [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *args]


def visit(page: PageServer, url: str, timeout_s: float = 120) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(
        ignore_cleanup_errors=True
    ) as profile:  # chromium may still write its profile as it dies
        browser = subprocess.Popen(
            chromium("--remote-debugging-port=0", url, profile=Path(profile)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return page.results.get(timeout=timeout_s)
        finally:
            browser.kill()
            browser.wait()


@pytest.fixture(scope="module")
def pages(page_port: int) -> Iterator[tuple[PageServer, PageServer]]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make system-deps installs it where apt-get works)")
    allowed, other = PageServer(page_port), PageServer()
    yield allowed, other
    allowed.stop()
    other.stop()


def test_a_page_on_another_origin_searches_follows_the_job_and_renders_the_report(local_stack, pages) -> None:  # type: ignore[no-untyped-def]
    allowed, _ = pages
    token = local_token(local_stack.jwt_secret, "browser@brand.example")
    url = f"{allowed.origin}/#api={local_stack.functions['api'].url}&token={token}&username=fitwithmaya"
    result = visit(allowed, url)
    assert result["ok"], result
    assert result["status"] == 200 and result["username"] == "fitwithmaya" and result["posts"] > 0
    assert result["etag"] and result["etag"].startswith('W/"r'), "ETag must be exposed to the page"
    assert "search: 202 job" in result["log"] and "job: complete" in result["log"], result["log"]
    assert result["insights"] == "complete"
    ARTIFACTS.mkdir(exist_ok=True)
    rendered = ARTIFACTS / "browser-report.html"
    rendered.write_text(result["html"].replace("<script>", "<script>/*", 1).replace("</script>", "*/</script>", 1))
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        subprocess.run(
            chromium(f"--screenshot={ARTIFACTS / 'browser-report.png'}", "--window-size=900,700",
                     rendered.as_uri(), profile=Path(profile)),
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    assert (ARTIFACTS / "browser-report.png").stat().st_size > 10_000


def test_a_page_from_an_origin_not_on_the_list_is_refused(local_stack, pages) -> None:  # type: ignore[no-untyped-def]
    _, other = pages
    token = local_token(local_stack.jwt_secret, "intruder@elsewhere.example")
    result = visit(
        other, f"{other.origin}/#api={local_stack.functions['api'].url}&token={token}&username=fitwithmaya", 60
    )
    assert result["ok"] is False and "Failed to fetch" in result["error"], result
