"""``audited``: the decorator that records an event after each mutating call of the embedded
API succeeds (who: the instance's ``actor``; what: the event type; which ids: from the call's
arguments or its result)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["RESULT", "audited"]

F = TypeVar("F", bound=Callable[..., Any])

RESULT = "<result>"
"""Names the call's result instead of an argument (``session=RESULT``: the new session)."""

_ID_FIELDS = {"session": "session_id", "source": "source", "subject": "subject"}


def audited(
    kind: str, *, details: Mapping[str, str] | None = None, atomic: bool = False, **ids: str
) -> Callable[[F], F]:
    """Record event ``kind`` for each successful call.

    ``ids`` map ``session``, ``source`` and ``subject`` to an argument's name (or ``RESULT``,
    or ``RESULT.attr``); ``details`` map detail keys to argument names the same way. The
    instance must have ``record(kind, **fields)`` and, for ``atomic`` methods (changes to a
    session's files, which name no ``RESULT``), ``recording(kind, **fields)``: a context in
    which the change and its event are stored in one transaction.
    """

    def decorate(method: F) -> F:
        signature = inspect.signature(method)

        def fields_of(call: tuple[Any, ...], named: dict[str, Any], result: Any) -> dict:
            bound = signature.bind(*call, **named).arguments
            fields = {_ID_FIELDS[k]: _value(v, bound, result) for k, v in ids.items()}
            extra = {k: _value(v, bound, result) for k, v in (details or {}).items()}
            return fields | {"details": {k: v for k, v in extra.items() if v is not None}}

        @functools.wraps(method)
        def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if atomic:
                with self.recording(kind, **fields_of((self, *args), kwargs, None)):
                    return method(self, *args, **kwargs)
            result = method(self, *args, **kwargs)
            self.record(kind, **fields_of((self, *args), kwargs, result))
            return result

        return recorded  # type: ignore[return-value]

    return decorate


def _value(name: str, arguments: Mapping[str, Any], result: Any) -> Any:
    if name == RESULT:
        return getattr(result, "id", result)
    if name.startswith(RESULT + "."):
        return getattr(result, name.removeprefix(RESULT + "."))
    value = arguments.get(name)
    return value if value is None or isinstance(value, str | int | bool) else str(value)
