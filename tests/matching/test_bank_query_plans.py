"""Queries that find a bank's rows through another index (values, content ids) must not walk
the bank's ``bank_id`` index on SQLite: without statistics SQLite preferred that equality to
thousands of index seeks and read the whole bank for each chunk of an import's duplicate
check (quadratic in the bank's size). Checked with SQLite's own plan, for the IN-list sizes
the services use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jikimi.core.runtime import Runtime
from jikimi.matching.models import BankEntry, of_bank_found_by_another_index


@pytest.mark.parametrize("values", [3, 50, 2000])
def test_value_and_content_lists_use_their_own_index(runtime: Runtime, values: int) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics (ANALYZE after bulk writes)")
    keys = [f"{n:064x}" for n in range(values)]
    queries = {
        "ix_bank_entries_signal_value": select(BankEntry.value_key).where(
            BankEntry.signal_type == "pdq", BankEntry.value_key.in_(keys),
            of_bank_found_by_another_index(1), BankEntry.removed_at.is_(None)),
        "ix_bank_entries_content_id": select(BankEntry.content_id).where(
            of_bank_found_by_another_index(1), BankEntry.content_id.in_(keys)),
    }
    if values == 3:  # the re-upload watch: one content of a bank
        queries["ix_bank_entries_content_id "] = select(BankEntry.id).where(
            of_bank_found_by_another_index(1), BankEntry.content_id == keys[0])
    with runtime.engine.connect() as conn:
        for index, query in queries.items():
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[3]) for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}"))
            assert index.strip() in plan and "ix_bank_entries_bank_id" not in plan, plan
