"""Errors by meaning: raised near their cause, translated (HTTP, exit codes, OSError) at edges."""

from __future__ import annotations

__all__ = [
    "AetherError",
    "ApprovalRequired",
    "ChecksFailed",
    "Conflict",
    "Corrupt",
    "Forbidden",
    "Invalid",
    "MissingExtra",
    "NotFound",
    "PreconditionFailed",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
]


class AetherError(Exception):
    """Base of every error the project raises on purpose."""


class NotFound(AetherError):
    """The named thing (object, session, source, ref, checkpoint) does not exist."""


class Conflict(AetherError):
    """The request clashes with the current state (name taken, concurrent change, conflict)."""


class Invalid(AetherError):
    """The input is malformed or unsafe (bad name, bad path, bad id, bad option)."""


class PreconditionFailed(AetherError):
    """An optimistic-concurrency precondition (expected hash, expected ref value) did not hold."""


class Forbidden(AetherError):
    """The caller may not do this (missing scope, protected target, read-only session)."""


class ApprovalRequired(Forbidden):
    """A protected branch refused a commit: the session's current tree lacks enough fresh
    approvals. The session shows PENDING_APPROVAL until a commit succeeds."""


class ChecksFailed(Conflict):
    """A check the target branch requires failed on the session's tree; the message sums up
    the failures and the full reports are stored with the session."""


class Unauthorized(AetherError):
    """No credentials, or credentials that are unknown, expired or revoked."""


class TooLarge(Invalid):
    """The request or upload is bigger than the configured limit."""


class Unavailable(AetherError):
    """A backend (object store endpoint, catalog database) could not be reached, even after
    retries. Trying again later may succeed; nothing was changed by the failed call."""


class Corrupt(AetherError):
    """Stored data failed its integrity check. The message names the object id."""

    def __init__(self, object_id: str, detail: str) -> None:
        super().__init__(f"object {object_id} is corrupt: {detail}")
        self.object_id = object_id
        self.detail = detail


class MissingExtra(AetherError):
    """An optional dependency is not installed; the message names the pip extra that provides it."""

    def __init__(self, module: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the Python package {module!r}; "
            f"install it with: pip install 'aether-data[{extra}]'"
        )
        self.module = module
        self.extra = extra
