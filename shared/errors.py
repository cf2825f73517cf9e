"""Domain errors. Runtimes map them to HTTP in one place (shared.http.problems).

DomainError
├── InvalidInput          400  the request or message is malformed
│   └── InvalidEnvelope   400  not a Pub/Sub push body nor a Pub/Sub CloudEvent
├── Unauthorized          401
├── Forbidden             403
├── NotFound              404
├── Conflict              409
├── InsufficientCredits   402
├── RateLimited           429
└── Unavailable           503  a dependency is down; retrying later may work
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Domain error"
    code = "domain_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    title = "Invalid input"
    code = "invalid_input"


class InvalidEnvelope(InvalidInput):
    title = "Invalid event envelope"
    code = "invalid_envelope"


class Unauthorized(DomainError):
    title = "Unauthorized"
    code = "unauthorized"


class Forbidden(DomainError):
    title = "Forbidden"
    code = "forbidden"


class NotFound(DomainError):
    title = "Not found"
    code = "not_found"


class Conflict(DomainError):
    title = "Conflict"
    code = "conflict"


class InsufficientCredits(DomainError):
    title = "Insufficient credits"
    code = "insufficient_credits"


class RateLimited(DomainError):
    title = "Too many requests"
    code = "rate_limited"


class Unavailable(DomainError):
    title = "Service unavailable"
    code = "unavailable"
