"""Forms that keep what was typed: when a service refuses a value, the same page is shown
again with every value as the person typed it and the error beside its field.

A route reads its fields into a :class:`FormState`, calls the service inside
``with form.catch(request, FIELDS):`` and, when the form came back invalid, renders its page
again with ``form`` (in a fresh unit of work: the refused one was rolled back). The templates
use the macros of ``_forms.html`` (``field_error``, ``form_message``, ``invalid``).

Which field an error belongs to comes from the error itself (``InvalidInput(..., field="phone")``)
or from the route's table of error codes (``{"bad_phone": "phone"}``); an error that names no
field is shown above the form, still with the values kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request

from jikimi.accounts import request_language
from jikimi.core.i18n import error_message
from jikimi.errors import Conflict, InvalidInput, JikimiError, MediaError

# Errors a person can correct in the form itself; others (403, 404, 500) get an error page.
CORRECTABLE: tuple[type[JikimiError], ...] = (InvalidInput, Conflict, MediaError)


@dataclass
class FormState:
    """The values of one form as typed, and the errors to show beside its fields."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    """An error that belongs to no single field (shown above the form)."""
    status_code: int = 200

    @classmethod
    def of(cls, **values: str | None) -> FormState:
        return cls(values={k: v or "" for k, v in values.items()})

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    @property
    def first_error(self) -> str:
        """The field that gets the focus when the form comes back (keyboard users)."""
        return next(iter(self.errors), "")

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.message)

    def add_error(self, name: str | None, text: str, status_code: int = 422) -> None:
        """Record an error found by the route itself (``name=None``: for the whole form)."""
        if name:
            self.errors[name] = text
        else:
            self.message = text
        self.status_code = status_code

    @contextmanager
    def catch(self, request: Request, fields: Mapping[str, str] | None = None
              ) -> Iterator[None]:
        """Turn a correctable service error into an error of this form (in the visitor's
        language) instead of an error page; ``fields`` maps error codes to field names."""
        try:
            yield
        except CORRECTABLE as exc:
            lang = request_language(request)
            text = error_message(exc.code, exc.message, lang)
            name = exc.details.get("field") or (fields or {}).get(exc.code)
            self.add_error(str(name) if name else None, text, exc.http_status)
