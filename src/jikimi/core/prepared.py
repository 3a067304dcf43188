"""Reads on hot paths, compiled once: a SQLAlchemy select run on the driver's own cursor.

A lookup that hits reads a few rows by id thousands of times a second; through a SQLAlchemy
connection each such read pays the statement's cache lookup, the expansion of its ``IN``
list and an execution context, several times the cost of the read itself.
:class:`PreparedRead` keeps the statement as it is written (one definition, in SQLAlchemy,
where the rule it applies lives) and compiles it once per dialect and number of values; a
call then only executes the SQL text on the driver's cursor (PostgreSQL's driver prepares it
on the server after a few calls) and applies the columns' own result types.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.orm import Session

MAX_PREPARED_VALUES = 64
"""Reads with more values than this go through SQLAlchemy as usual (compiled per call)."""


class _Compiled:
    def __init__(self, sql: str, names: list[str] | None, positional: bool,
                 row: Callable[..., Any], processors: list[tuple[int, Callable[[Any], Any]]]
                 ) -> None:
        self.sql = sql
        self.names = names
        self.positional = positional
        self.row = row
        self.processors = processors

    def params(self, values: Sequence[Any]) -> Any:
        if self.positional:
            return tuple(values)
        return dict(zip(self.names or [], values, strict=True))

    def rows(self, fetched: Sequence[Any]) -> list[Any]:
        if not self.processors:
            return [self.row(*raw) for raw in fetched]
        processed = []
        for raw in fetched:
            values = list(raw)
            for index, process in self.processors:
                values[index] = process(values[index])
            processed.append(self.row(*values))
        return processed


class PreparedRead:
    """``statement`` (a select with one expanding parameter ``param``), run for a list of
    values; returns rows with the statement's column names as attributes."""

    def __init__(self, statement: Select[Any], param: str = "ids") -> None:
        self.statement = statement
        self.param = param
        self._compiled: dict[tuple[str, int], _Compiled | None] = {}

    def __call__(self, session: Session | Connection | None, values: Sequence[Any]
                 ) -> list[Any]:
        if session is None:
            raise ValueError("a prepared read needs a session or connection")
        conn = session.connection() if isinstance(session, Session) else session
        compiled = self._prepared(conn.dialect, len(values))
        if compiled is None:  # the usual way
            return list(conn.execute(self.statement, {self.param: list(values)}))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, compiled.params(values))
            return compiled.rows(cursor.fetchall())
        finally:
            cursor.close()

    async def fetch_async(self, conn: psycopg.AsyncConnection[Any], dialect: Dialect,
                          values: Sequence[Any]) -> list[Any]:
        """The read on an asynchronous psycopg connection (``dialect``: its SQLAlchemy
        dialect, for the SQL text and result types)."""
        compiled = self._prepared(dialect, len(values))
        if compiled is None:
            raise ValueError(f"{len(values)} values: too many for a prepared read")
        async with conn.cursor() as cursor:
            await cursor.execute(compiled.sql, compiled.params(values))
            return compiled.rows(await cursor.fetchall())

    def _prepared(self, dialect: Dialect, count: int) -> _Compiled | None:
        if not 0 < count <= MAX_PREPARED_VALUES:
            return None
        key = (dialect.name, count)
        if key not in self._compiled:
            self._compiled[key] = self._compile(dialect, count)
        return self._compiled[key]

    def _compile(self, dialect: Dialect, count: int) -> _Compiled | None:
        """The SQL text for ``count`` values, or None when its parameters are not exactly
        those values (then the read goes the usual way)."""
        statement = self.statement.params({self.param: list(range(count))})
        compiled = statement.compile(dialect=dialect,
                                     compile_kwargs={"render_postcompile": True})
        expected = [f"{self.param}_{number}" for number in range(1, count + 1)]
        positional = bool(compiled.positional)
        sql = str(compiled)
        if positional:
            names = list(compiled.positiontup or [])
        elif dialect.paramstyle == "pyformat":
            names = re.findall(r"%\((\w+)\)s", sql)
        elif dialect.paramstyle == "named":
            names = re.findall(r"(?<!:):(\w+)", sql)
        else:
            return None
        if sorted(names) != sorted(expected) or (positional and names != expected):
            return None
        columns = list(self.statement.selected_columns)
        row = namedtuple("PreparedRow", [column.key for column in columns])  # type: ignore[misc]
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, column in enumerate(columns):
            process = column.type.result_processor(dialect, None)
            if process is not None:
                processors.append((index, process))
        return _Compiled(sql, None if positional else expected, positional, row,
                         processors)
