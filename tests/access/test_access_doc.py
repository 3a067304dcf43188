"""docs/access.md shows the authorisation table the code enforces, and the case rows of the
table say what cases/access.py decides."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jikimi.cases.access import case_access
from jikimi.cases.lifecycle import ConsentPurpose
from jikimi.core.actors import Actor, ActorKind, Role
from jikimi.core.authorization import (
    RELATIONS,
    ROLES,
    RULES,
    TABLE_BEGIN,
    TABLE_END,
    Action,
    Owned,
    Relation,
    ResourceType,
    access_table_markdown,
    allowed,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def test_doc_shows_the_table_of_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert TABLE_BEGIN in text and TABLE_END in text
    shown = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip()
    assert shown == access_table_markdown().strip(), (
        "docs/access.md is out of date: paste jikimi.core.authorization.access_table_markdown()"
        " between its markers")


def test_every_resource_has_every_role_and_relation() -> None:
    assert set(RULES) == set(ResourceType)
    for resource, rows in RULES.items():
        assert set(rows) == set(ROLES), resource
        for row in rows.values():
            assert set(row) == set(RELATIONS), resource


@pytest.mark.parametrize("role", ROLES)
def test_case_rows_agree_with_the_case_rule(role: Role) -> None:
    """Same centre: the table grants read/write exactly when case_access grants something for
    some assignment/consent; another centre: case_access never grants anything."""
    actor = Actor(ActorKind.STAFF, id=7, role=role, centre_id=1)
    seen_view = seen_change = False
    for assigned, consents in itertools.product(
            (False, True), ([], [ConsentPurpose.POLICE_REFERRAL])):
        access = case_access(actor, case_centre_id=1, assignee_ids=[7] if assigned else [],
                             active_consents=consents)
        seen_view |= access.view
        seen_change |= any((access.notes, access.change_status, access.record_consent,
                            access.assign, access.erase))
        other = case_access(actor, case_centre_id=2, assignee_ids=[7] if assigned else [],
                            active_consents=consents)
        assert other.none
    cell = RULES[ResourceType.CASE][role][Relation.SAME].actions
    assert (Action.READ in cell) == seen_view
    assert (Action.WRITE in cell) == seen_change
    assert Action.READ not in RULES[ResourceType.CASE][role][Relation.OTHER].actions


def test_other_centres_never_read_or_write_centre_records() -> None:
    """Whatever the role, a record of another centre (not national) is never read or changed:
    at most counted (central admins' statistics)."""
    for resource, rows in RULES.items():
        for role, row in rows.items():
            assert row[Relation.OTHER].actions <= {Action.COUNT}, (resource, role)


def test_system_may_do_everything_and_victims_nothing() -> None:
    owned = Owned(object(), centre_id=1)
    for resource in ResourceType:
        assert allowed(Actor(ActorKind.SYSTEM, label="worker"), resource, owned) == {
            Action.COUNT, Action.READ, Action.WRITE}
        assert not allowed(Actor(ActorKind.VICTIM, centre_id=1, label="DSC-2026-000001"),
                           resource, owned)
        assert not allowed(Actor(ActorKind.PARTNER, id=1), resource, owned)


def test_every_table_has_an_owner_in_the_schema() -> None:
    """Every table holding or pointing at case data has an owning centre: its own NOT NULL
    ``centre_id`` (a foreign key to centres), or a NOT NULL column to a parent that has one;
    the rest are national or the installation's, with the rule written down. A new table
    without a row here fails."""
    from jikimi.core.authorization import TABLE_OWNERS
    from jikimi.schema import metadata

    tables = metadata.tables
    assert set(tables) == set(TABLE_OWNERS), (
        f"tables without an owner in jikimi.core.authorization.TABLE_OWNERS: "
        f"{sorted(set(tables) - set(TABLE_OWNERS))}; stale rows: "
        f"{sorted(set(TABLE_OWNERS) - set(tables))}")

    def reaches_centre(name: str, seen: tuple[str, ...] = ()) -> bool:
        owner = TABLE_OWNERS[name]
        assert name not in seen, seen
        if owner.kind in ("national", "installation"):
            assert owner.note, name
            return False
        column = tables[name].columns[owner.column]
        assert not column.nullable, f"{name}.{owner.column} must be NOT NULL"
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if owner.kind == "centre":
            assert targets == {"centres"}, name
            return True
        assert len(targets) == 1, f"{name}.{owner.column} must point at its parent"
        return reaches_centre(targets.pop(), (*seen, name))

    case_data = {name for name, t in tables.items()
                 if {"case_id", "case_code", "bank_id", "entry_id", "source_id", "match_id",
                     "request_id", "centre_id"} & set(t.columns.keys())}
    for name in sorted(case_data - {"audit_entries"}):
        assert reaches_centre(name), f"{name} holds case data but reaches no centre"
    for name in TABLE_OWNERS:
        reaches_centre(name)
