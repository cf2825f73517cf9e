"""Pub/Sub push endpoints: decode the envelope, parse the event, run the handler once per key.

Returning 2xx acks the message; 4xx and 5xx nack it, so Pub/Sub retries with backoff and, after
the subscription's max delivery attempts, moves it to the dead-letter topic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from werkzeug.wrappers import Request, Response

from shared import errors, process
from shared.events.consumer import Outcome, already_processed, consume_once, message_key
from shared.events.envelope import PushMessage, decode_push, parse_event
from shared.events.schemas import Event
from shared.http.problems import InternalError, problem_response
from shared.logs import LogContext, bind_context, configure_logging, parse_trace_header

log = logging.getLogger("push")
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Delivery(Generic[E]):
    """One push delivery, decoded once: the typed event, the key it is processed once under, and Pub/Sub's
    message (id, attributes, delivery attempt)."""

    event: E
    key: str
    message: PushMessage


def push_endpoint(
    consumer: str,
    event_type: type[E],
    handle: Callable[..., dict[str, Any] | None],
    prefetch: Callable[[E], Any] | None = None,
) -> Callable[[Request], Response]:
    """A functions-framework HTTP target that feeds one push subscription into `handle(session, delivery)`.

    With `prefetch`, slow outside work (an API call, a download) runs first, outside any transaction,
    and its result is handed to `handle(session, delivery, result)` inside the idempotent one.
    """

    def endpoint(request: Request) -> Response:
        configure_logging()
        trace_id, span_id = parse_trace_header(request.headers.get("X-Cloud-Trace-Context"))
        started = time.perf_counter()
        try:
            message = decode_push(dict(request.headers), request.get_data())
            bind_context(LogContext(request_id=message.message_id, trace_id=trace_id, span_id=span_id))
            event = parse_event(message, event_type)
            key = message_key(message, event)
            delivery = Delivery(event, key, message)
            if prefetch is None:
                outcome = consume_once(consumer=consumer, key=key, effect=lambda s: handle(s, delivery))
            elif already_processed(consumer=consumer, key=key):
                outcome = Outcome(duplicate=True)
            else:
                fetched = prefetch(event)
                outcome = consume_once(consumer=consumer, key=key, effect=lambda s: handle(s, delivery, fetched))
        except errors.DomainError as exc:
            log.warning("message refused: %s", exc.detail, extra={"consumer": consumer, "code": exc.code})
            return problem_response(exc, request_id=None, instance=request.path)
        except Exception:
            # Raising means retry: answer 500 and let Pub/Sub redeliver (then dead-letter).
            log.exception("handler failed", extra={"consumer": consumer})
            return problem_response(
                InternalError("handler failed; the message will be retried"),
                request_id=None,
                instance=request.path,
            )
        log.info(
            "%s %s",
            consumer,
            "duplicate skipped" if outcome.duplicate else "processed",
            extra={
                "consumer": consumer,
                "message_key": key,
                "delivery_attempt": message.delivery_attempt,
                "duplicate": outcome.duplicate,
                "result": outcome.result,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        process.settle()
        return Response(status=204)

    endpoint.__name__ = consumer
    return endpoint
