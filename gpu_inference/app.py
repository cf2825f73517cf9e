"""The inference service (Cloud Run, one L4): an ASGI app served by uvicorn.

Lifespan: load every model of the active profile, warm each, touch the device; only then does
/readyz answer 200 (Cloud Run's startup probe), so no request ever meets a cold model.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gpu_inference import analyze, invoker, metrics
from gpu_inference.engine import device as devices
from gpu_inference.engine import loader
from gpu_inference.engine.batcher import Batcher, Overloaded
from gpu_inference.manifest import TASKS
from shared import errors
from shared.config import get_settings
from shared.http.problems import PROBLEM_TYPE, InternalError, problem_parts
from shared.logs import configure_logging
from shared.text import parse_json

log = logging.getLogger("inference")
MAX_BODY = 20 * 1024 * 1024
MAX_INPUTS = 256


class ImageRef(BaseModel):
    """One image: inline bytes, an object of our bucket, or a URL the SSRF-safe fetcher may read."""

    model_config = ConfigDict(extra="forbid")
    data_base64: str | None = None
    key: str | None = Field(default=None, pattern=r"^img/[0-9a-f]{2}/[0-9a-f]{64}/\d+\.webp$")
    url: str | None = Field(default=None, max_length=4096)


class InferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks: list[str] = Field(min_length=1)
    texts: list[str] = Field(default_factory=list, max_length=MAX_INPUTS)
    images: list[str | ImageRef] = Field(
        default_factory=list, max_length=MAX_INPUTS, description="base64 strings, or {data_base64 | key | url}"
    )


class AnalyzeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str
    creator_id: int = Field(gt=0)
    post_ids: list[int] | None = Field(None, max_length=100)  # post analytics: only these posts of the creator


class State:
    def __init__(self) -> None:
        self.ready = False
        self.batcher: Batcher | None = None
        self.device = "none"
        self.precision = "none"
        self.batch_tokens = 0
        self.load_seconds = 0.0
        self.models: dict[str, dict[str, str]] = {}


def _warm_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def create_app(*, profile: str | None = None, models_dir: str | None = None) -> Starlette:
    state = State()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        configure_logging()
        settings = get_settings().inference
        started = time.perf_counter()
        device = devices.pick(precision=settings.precision)

        def load() -> Any:
            loaded = loader.load_profile(
                profile or settings.model_profile,
                models_dir or settings.models_dir,
                device,
                settings.categories,
                (settings.zero_shot_shortlist, settings.zero_shot_shortlist_floor),
            )
            loader.warm(loaded, _warm_image())
            device.touch()
            return loaded

        loaded = await asyncio.to_thread(load)
        budget = settings.max_batch_tokens or device.batch_tokens
        state.batcher = Batcher(loaded, max_batch_tokens=budget, max_queue=settings.max_queue)
        await state.batcher.start()
        state.device, state.load_seconds = device.name, time.perf_counter() - started
        state.precision, state.batch_tokens = device.precision, budget
        state.models = {n: {"model_id": t.model_id, "revision": t.revision} for n, t in loaded.items()}
        state.ready = True
        log.info("inference ready", extra={"seconds": round(state.load_seconds, 2), "device": device.name})
        yield
        state.ready = False
        await state.batcher.stop()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        body = {
            "ready": state.ready,
            "device": state.device,
            "precision": state.precision,
            "batch_tokens": state.batch_tokens,
            "load_seconds": round(state.load_seconds, 2),
        }
        return JSONResponse({**body, "models": state.models}, status_code=200 if state.ready else 503)

    async def metrics_route(_: Request) -> Response:
        body = metrics.render(state.batcher) if state.batcher else ""
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4")

    async def infer(request: Request) -> Response:
        body = InferIn.model_validate(await _json(request))
        # The models exactly as named (sentiment_multilingual too, in the full profile); /v1/analyze routes
        # sentiment by language (routing.py).
        known = list(state.models) or list(TASKS)
        unknown = sorted(set(body.tasks) - set(known))
        if unknown:
            raise errors.InvalidInput(f"unknown task(s) {unknown}; known: {known}")
        images = await asyncio.gather(*(asyncio.to_thread(_image_bytes, i, n) for n, i in enumerate(body.images)))
        results = await _batcher().infer(body.tasks, body.texts, list(images))
        return JSONResponse({"models": {t: state.models[t] for t in body.tasks}, "results": results})

    async def analyze_route(request: Request) -> Response:
        await asyncio.to_thread(invoker.verify_invoker, request.headers.get("Authorization"))  # off the event loop
        body = AnalyzeIn.model_validate(await _json(request))
        outcome = await analyze.run(_batcher(), job_id=body.job_id, creator_id=body.creator_id, post_ids=body.post_ids)
        return JSONResponse(outcome)

    def _batcher() -> Batcher:
        if not state.ready or state.batcher is None:
            raise errors.Unavailable("models are still loading", retry_after_s=10)
        return state.batcher

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_route),
            Route("/v1/infer", _problems(infer), methods=["POST"]),
            Route("/v1/analyze", _problems(analyze_route), methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.inference = state  # operators' and tests' handle on the loaded tasks and the batcher
    return app


async def _json(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise errors.InvalidInput(f"body is {len(raw)} bytes, over {MAX_BODY}")
    try:
        return parse_json(raw)
    except ValueError as exc:
        raise errors.InvalidInput(f"body is not JSON: {exc}") from exc


def _image_bytes(ref: str | ImageRef, index: int) -> bytes:
    """The bytes of one image reference; one that cannot be read is the caller's 400, naming its index."""
    from shared.media import reader  # boto3 and the fetcher load on the first image request, not at start

    try:
        if isinstance(ref, str):
            return reader.read(data_base64=ref)
        return reader.read(data_base64=ref.data_base64, key=ref.key, url=ref.url)
    except reader.ImageUnreadable as exc:
        raise reader.ImageUnreadable(f"images[{index}]: {exc.detail}") from exc


def _problems(handler: Any) -> Any:
    """Domain errors, validation errors and overload become problem+json; anything else a logged 500."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ValidationError as exc:
            error: errors.DomainError = errors.InvalidInput(
                "request body does not match the schema",
                errors=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
            )
        except Overloaded as exc:
            error = errors.Unavailable(f"inference queue is full: {exc}", retry_after_s=5)
        except errors.DomainError as exc:
            error = exc
        except Exception:
            log.exception("inference request failed")
            error = InternalError("inference failed; the request may be retried")
        problem, headers = problem_parts(error, request_id=None, instance=request.url.path)
        return Response(
            problem.model_dump_json(exclude_none=True), problem.status, headers=headers, media_type=PROBLEM_TYPE
        )

    return wrapped
