"""Structured JSON logs that Cloud Logging understands: severity, trace, request id, extra fields."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.config import get_settings


@dataclass(frozen=True)
class LogContext:
    request_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None


_EMPTY = LogContext()
_context: ContextVar[LogContext] = ContextVar("log_context", default=_EMPTY)

# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def bind_context(context: LogContext) -> None:
    """Attach request id and trace to every log line of the current request or message."""
    _context.set(context)


def parse_trace_header(value: str | None) -> tuple[str | None, str | None]:
    """Trace and span ids from `X-Cloud-Trace-Context: TRACE/SPAN;o=1` or W3C `traceparent`."""
    if not value:
        return None, None
    if value.startswith("00-") and value.count("-") == 3:
        _, trace, span, _flags = value.split("-")
        return trace, span
    trace, _, rest = value.partition("/")
    span_id = rest.split(";", 1)[0] or None
    if not trace or not all(c in "0123456789abcdefABCDEF" for c in trace):
        return None, None
    return trace, span_id


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line; Cloud Logging lifts severity, trace and spanId out of it."""

    def format(self, record: logging.LogRecord) -> str:
        context = _context.get()
        entry: dict[str, Any] = {
            "severity": record.levelname if record.levelname != "WARN" else "WARNING",
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        if context.request_id:
            entry["request_id"] = context.request_id
        if context.trace_id:
            project = get_settings().gcp_project or get_settings().pubsub.project_id
            entry["logging.googleapis.com/trace"] = f"projects/{project}/traces/{context.trace_id}"
            if context.span_id:
                entry["logging.googleapis.com/spanId"] = context.span_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging() -> None:
    """Route the root logger to stdout as JSON, once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, CloudLoggingFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root.handlers = [handler]
    root.setLevel(get_settings().log_level.upper())
