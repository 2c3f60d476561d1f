"""Domain errors with stable machine codes; the API maps them to problem details."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the product raises on purpose; `code` is stable for integrators."""

    code = "domain_error"
    title = "Request cannot be processed"

    def __init__(self, detail: str, *, code: str | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class ValidationFailed(DomainError):
    """Input broke one or more rules; `errors` maps a field path to its messages."""

    code = "validation_failed"
    title = "The request has invalid fields"

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(detail or summarize(errors))


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class InvalidState(DomainError):
    """The object exists but its state does not allow the operation (e.g. discarding a finalised invoice)."""

    code = "invalid_state"
    title = "Operation not allowed in the current state"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    """The caller worked on a version of the object that is no longer the current one (If-Match)."""

    code = "precondition_failed"
    title = "The invoice changed since you read it"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


def summarize(errors: dict[str, list[str]], limit: int = 5) -> str:
    """One readable line from field errors: 'customer.business_id: check digit does not match; ...'."""
    parts = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    more = len(parts) - limit
    text = "; ".join(parts[:limit])
    return f"{text}; and {more} more" if more > 0 else text


class Unavailable(DomainError):
    """A resource is busy beyond our patience (a locked database); the client should retry shortly."""

    code = "temporarily_unavailable"
    title = "Temporarily unavailable"
