"""The local_file exchange reads a file on the server: only under the import roots, when a
bank subscribes and when it fetches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import World

from jikimi import matching, partners
from jikimi.core.actors import cli_actor
from jikimi.core.perimeter import PathRefused
from jikimi.core.runtime import Runtime


@pytest.fixture
def confined(runtime: Runtime, world: World, tmp_path: Path) -> Iterator[Runtime]:
    """The same installation with ``tmp_path/imports`` as its only import root."""
    rt = Runtime.open(runtime.settings.model_copy(
        update={"import_roots": str(tmp_path / "imports")}))
    yield rt
    rt.close()


def test_local_file_exchange_reads_only_under_the_import_roots(
        runtime: Runtime, confined: Runtime, tmp_path: Path) -> None:
    signals = tmp_path / "imports" / "hotline.txt"
    signals.parent.mkdir()
    signals.write_text("pdq " + "f" * 64 + "\n")
    with confined.context(cli_actor("test")) as ctx:
        matching.create_bank(ctx, "hotlines")
        for path in ("/etc/passwd", str(confined.settings.resolved_data_dir / "secrets.json"),
                     f"{signals.parent}/../var/secrets.json"):
            with pytest.raises(PathRefused):
                partners.subscribe(ctx, "leak", "hotlines", "local_file", {"filename": path})
        partners.subscribe(ctx, "file", "hotlines", "local_file", {"filename": str(signals)})
    assert partners.fetch(confined, cli_actor("test"), "file").entries == 1
    # the import roots change: the next fetch reads nothing
    elsewhere = Runtime.open(runtime.settings.model_copy(
        update={"import_roots": str(tmp_path / "other")}))
    try:
        with pytest.raises(PathRefused):
            partners.fetch(elsewhere, cli_actor("test"), "file")
    finally:
        elsewhere.close()
