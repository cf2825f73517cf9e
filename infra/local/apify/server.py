"""A local stand-in for Apify's HTTP API, spoken to by the real `apify-client`.

Serves `POST /v2/acts/{actor}/runs` (and `/v2/actors/…`), `GET /v2/actor-runs/{id}`,
`POST /v2/actor-runs/{id}/abort` and `GET /v2/datasets/{id}/items` (with the `x-apify-pagination-*` headers) from
the bundled sample dataset, and generated images at `/img/…`.
`POST /_standin/faults {"statuses": [429, 500, "quota"]}` makes the next API calls fail that way; `"hang:N"` holds
the next call N seconds; `"running"` leaves the next run RUNNING until it is aborted.
Run alone: `python -m infra.local.apify.server --port 8089`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATASET = Path(__file__).with_name("sample_dataset.json")
ACTOR = "apify~instagram-scraper"
TOKEN = "local-apify-token"  # noqa: S105 - the stand-in's own token, accepted nowhere else
FAULTS = {
    429: ("rate-limit-exceeded", "You have exceeded the rate limit of 30 requests per second"),
    500: ("internal-error", "An internal error occurred"),
    502: ("bad-gateway", "Bad gateway"),
    503: ("service-unavailable", "Service temporarily unavailable"),
    402: ("not-enough-usage-to-run-paid-actor", "Monthly usage hard limit exceeded"),
}


@lru_cache(maxsize=1)
def _profiles() -> dict[str, dict[str, Any]]:
    return {item["username"]: item for item in json.loads(DATASET.read_text())}


@lru_cache(maxsize=512)
def render_image(name: str) -> bytes:
    """A deterministic, varied JPEG for an image path: sizes, colours and shapes follow its hash."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(name.encode()).digest()
    sizes = [(1080, 1350), (1080, 1080), (640, 800), (1080, 608), (320, 320)]
    width, height = (320, 320) if name.startswith("avatar") and not name.endswith("-hd") else sizes[digest[0] % 5]
    top, bottom = tuple(digest[1:4]), tuple(digest[4:7])
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for i in range(3 + digest[7] % 4):
        x, y = digest[8 + i] * width // 256, digest[12 + i] * height // 256
        r = 20 + digest[16 + i] % (min(width, height) // 3)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(digest[20 + i : 23 + i]))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StandIn:
    """The server and its state: runs, datasets, queued faults."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, list[dict[str, Any]]] = {}
        self.faults: deque[int | str] = deque()
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.base = f"http://{host}:{self.httpd.server_address[1]}"

    def start(self) -> StandIn:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, *statuses: int | str) -> None:
        with self.lock:
            self.faults.extend(statuses)

    def _take(self, fault: str) -> bool:
        """Whether the next queued fault is `fault` (taken off the queue if so)."""
        with self.lock:
            if self.faults and self.faults[0] == fault:
                self.faults.popleft()
                return True
            return False

    def _items_for(self, run_input: dict[str, Any]) -> list[dict[str, Any]]:
        if run_input.get("resultsType") == "posts":
            return [self._post_item(url) for url in run_input.get("directUrls", [])]
        if run_input.get("resultsType") == "reels":
            return self._reels(run_input)
        names = [u.rstrip("/").rsplit("/", 1)[-1].lower() for u in run_input.get("directUrls", [])]
        names += [u.lower() for u in run_input.get("usernames", [])]
        items = []
        for name in names:
            profile = _profiles().get(name)
            if profile is None:
                items.append(
                    {
                        "inputUrl": f"https://www.instagram.com/{name}",
                        "error": "not_found",
                        "errorDescription": "Page not found: the profile does not exist",
                    }
                )
                continue
            text = json.dumps(profile).replace("{base}", self.base)
            items.append(json.loads(text))
        return items

    def _reels(self, run_input: dict[str, Any]) -> list[dict[str, Any]]:
        """A profile's reels: its video posts as reel items (the real actor's reels include those in
        latestPosts too), newest first, up to resultsLimit."""
        items: list[dict[str, Any]] = []
        for url in run_input.get("directUrls", []):
            profile = _profiles().get(url.rstrip("/").rsplit("/", 1)[-1].lower())
            if profile is None:
                continue
            videos = [p for p in profile.get("latestPosts") or [] if p.get("type") == "Video"]
            for post in videos[: int(run_input.get("resultsLimit") or 12)]:
                item = {**post, "ownerUsername": profile["username"], "productType": "clips", "inputUrl": url}
                items.append(json.loads(json.dumps(item).replace("{base}", self.base)))
        return items

    def _post_item(self, url: str) -> dict[str, Any]:
        """What the actor returns for a post or reel URL: the post's fields plus its owner's, as "posts" items
        carry them; a reel says so in `productType`."""
        code = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        for profile in _profiles().values():
            for post in profile.get("latestPosts") or []:
                if post.get("shortCode") == code:
                    item = {
                        **post,
                        "inputUrl": url,
                        "ownerUsername": profile["username"],
                        "ownerFullName": profile.get("fullName"),
                        "ownerId": profile.get("id"),
                        "productType": "clips" if post.get("type") == "Video" else "feed",
                    }
                    return json.loads(json.dumps(item).replace("{base}", self.base))
        return {"inputUrl": url, "error": "not_found", "errorDescription": "Post not found or private"}

    def _run(self, run_id: str, dataset_id: str, run_input: dict[str, Any]) -> dict[str, Any]:
        now = _now()
        return {
            "id": run_id,
            "actId": "shu8hvrXbJbY3Eb9W",
            "userId": "localUser00000001",
            "startedAt": now,
            "finishedAt": now,
            "status": "SUCCEEDED",
            "statusMessage": "Finished",
            "meta": {"origin": "API", "userAgent": "apify-client"},
            "stats": {
                "inputBodyLen": len(json.dumps(run_input)),
                "restartCount": 0,
                "resurrectCount": 0,
                "computeUnits": 0.01,
            },
            "options": {"build": "latest", "timeoutSecs": 300, "memoryMbytes": 1024, "diskMbytes": 2048},
            "buildId": "localBuild0000001",
            "buildNumber": "0.0.1",
            "exitCode": 0,
            "defaultKeyValueStoreId": "localKvs000000001",
            "defaultDatasetId": dataset_id,
            "defaultRequestQueueId": "localQueue0000001",
            "usageTotalUsd": 0.0023,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

            def _error(self, status: int, kind: str, message: str) -> None:
                self._json(status, {"error": {"type": kind, "message": message}})

            def _fault(self) -> bool:
                with standin.lock:
                    if standin.faults and standin.faults[0] == "running":  # for the run about to be made
                        return False
                    fault = standin.faults.popleft() if standin.faults else None
                if fault is None or fault == 200:
                    return False
                if isinstance(fault, str) and fault.startswith("hang:"):  # a slow run: the caller waits
                    time.sleep(float(fault.removeprefix("hang:")))
                    return False
                status = 402 if fault == "quota" else int(fault)
                self._error(status, *FAULTS.get(status, ("internal-error", "error")))
                return True

            def _abort(self, run_id: str) -> None:
                run = standin.runs.get(run_id)
                if run is None:
                    self._error(404, "record-not-found", "Actor run was not found")
                    return
                if run["status"] in ("READY", "RUNNING"):
                    run.update(status="ABORTED", statusMessage="Aborted", finishedAt=_now())
                self._json(200, {"data": run})

            def _authorized(self, query: dict[str, list[str]]) -> bool:
                token = (query.get("token") or [""])[0] or self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token != TOKEN:
                    self._error(
                        401,
                        "token-not-provided" if not token else "user-or-token-not-found",
                        "Authentication token is not valid",
                    )
                    return False
                return True

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                standin.requests.append(("POST", url.path))
                if url.path == "/_standin/faults":
                    standin.inject(*json.loads(body or b"{}").get("statuses", []))
                    self._json(200, {"queued": list(standin.faults)})
                    return
                parts = url.path.strip("/").split("/")
                if parts[:2] == ["v2", "actor-runs"] and len(parts) == 4 and parts[3] == "abort":
                    if self._authorized(parse_qs(url.query)):
                        self._abort(parts[2])
                    return
                # `acts` is the documented legacy path, `actors` what apify-client 3.x calls; Apify serves both.
                if len(parts) != 4 or parts[0] != "v2" or parts[1] not in ("acts", "actors") or parts[3] != "runs":
                    self._error(404, "page-not-found", "Page not found")
                    return
                if not self._authorized(parse_qs(url.query)) or self._fault():
                    return
                if parts[2] != ACTOR:
                    self._error(404, "record-not-found", f"Actor {parts[2]} was not found")
                    return
                run_input = json.loads(body or b"{}")
                run_id, dataset_id = secrets.token_hex(9)[:17], secrets.token_hex(9)[:17]
                run = standin._run(run_id, dataset_id, run_input)
                if standin._take("running"):  # a run that does not finish while anyone waits
                    run.update(status="RUNNING", statusMessage="Running", finishedAt=None, exitCode=None)
                standin.runs[run_id] = run
                standin.datasets[dataset_id] = standin._items_for(run_input)
                self._json(201, {"data": run})

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path == "/_standin/requests":  # for tests driving a stand-in in another process
                    self._json(200, {"requests": standin.requests, "faults": list(standin.faults)})
                    return
                standin.requests.append(("GET", url.path))
                if url.path.startswith("/img/"):
                    self._send(
                        200,
                        render_image(url.path[5:].removesuffix(".jpg")),
                        "image/jpeg",
                        {"Cache-Control": "max-age=3600"},
                    )
                    return
                parts = url.path.strip("/").split("/")
                if parts[:1] != ["v2"] or not self._authorized(query) or self._fault():
                    if parts[:1] != ["v2"]:
                        self._error(404, "page-not-found", "Page not found")
                    return
                if len(parts) == 3 and parts[1] == "actor-runs" and parts[2] in standin.runs:
                    self._json(200, {"data": standin.runs[parts[2]]})
                elif (
                    len(parts) == 4 and parts[1] == "datasets" and parts[3] == "items" and parts[2] in standin.datasets
                ):
                    items = standin.datasets[parts[2]]
                    offset = int((query.get("offset") or ["0"])[0])
                    limit = int((query.get("limit") or [str(len(items) or 1)])[0])
                    page = items[offset : offset + limit]
                    self._json(
                        200,
                        page,
                        {
                            "X-Apify-Pagination-Offset": str(offset),
                            "X-Apify-Pagination-Limit": str(limit),
                            "X-Apify-Pagination-Count": str(len(page)),
                            "X-Apify-Pagination-Total": str(len(items)),
                            "X-Apify-Pagination-Desc": "true"
                            if (query.get("desc") or ["0"])[0] in ("1", "true")
                            else "false",
                        },
                    )
                else:
                    self._error(404, "record-not-found", "Record was not found")

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    standin = StandIn(port=args.port)
    print(f"Apify stand-in on {standin.base} (token {TOKEN})", flush=True)
    standin.httpd.serve_forever()


if __name__ == "__main__":
    main()
