"""State machines written once as transition tables."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from jikimi.errors import Conflict

S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True)
class TransitionTable(Generic[S]):
    """Which states may follow which; anything not listed is refused."""

    name: str
    allowed: Mapping[S, frozenset[S]]

    def can(self, current: S, target: S) -> bool:
        return target in self.allowed.get(current, frozenset())

    def check(self, current: S, target: S) -> None:
        """Raise :class:`Conflict` naming the allowed targets when a move is not allowed."""
        if not self.can(current, target):
            options = ", ".join(sorted(s.value for s in self.allowed.get(current, frozenset())))
            raise Conflict(
                f"a {self.name} cannot go from {current.value} to {target.value}"
                + (f" (allowed: {options})" if options else " (no further changes allowed)"),
                code="invalid_transition",
            )
