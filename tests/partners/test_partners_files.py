"""Hash-list files through python-threatexchange's own reading and writing code, and a bank
subscribed to its local-file exchange (incremental, checkpoint stored)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
from pathlib import Path

import pytest
from tests.partners.conftest import random_pdq
from threatexchange.cli.dataset_cmd import DatasetCommand
from threatexchange.exchanges.fetch_state import FetchedSignalMetadata
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from jikimi import accounts, matching, partners
from jikimi.core.actors import cli_actor
from jikimi.errors import InvalidInput
from jikimi.matching import NewEntry
from jikimi.partners.exchange import tx_signal_types, vpdq_from_tx, vpdq_to_tx

VPDQ = json.dumps([[0, 0.0, 100, "f" * 64], [1, 1.0, 90, "0f" * 32], [2, 2.5, 80, "e1" * 32]])


def _a_centre(ctx) -> None:  # type: ignore[no-untyped-def]
    """The installation's default centre (the first one), made once."""
    if not accounts.list_centres(ctx):
        accounts.add_centre(ctx, "센터")


def tx_read(path: Path) -> dict[str, set[str]]:
    """What python-threatexchange's local-file exchange reads from ``path``."""
    api = LocalFileSignalExchangeAPI.for_collab(
        FileCollaborationConfig(name="f", filename=str(path)))
    delta = next(api.fetch_iter(tx_signal_types(), None))
    converted = LocalFileSignalExchangeAPI.naive_convert_to_signal_type(
        tx_signal_types(), api.collab, delta.updates)
    return {t.get_name(): set(v) for t, v in converted.items()}


def a_centre(ctx) -> None:  # type: ignore[no-untyped-def]
    """A bank belongs to a centre: make one if there is none yet."""
    if not accounts.list_centres(ctx):
        accounts.add_centre(ctx, "서울센터")


def seeded_bank(ctx, name: str = "national") -> list[str]:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    pdqs = [random_pdq(rng) for _ in range(3)]
    a_centre(ctx)
    _a_centre(ctx)  # banks belong to a centre
    matching.create_bank(ctx, name)
    matching.add_entries(ctx, name, [NewEntry("pdq", p, 80) for p in pdqs]
                         + [NewEntry("md5", "ab" * 16), NewEntry("sha256", "cd" * 32),
                            NewEntry("vpdq", VPDQ)])
    return pdqs


def test_export_import_round_trip(runtime, tmp_path: Path) -> None:
    with runtime.context(cli_actor("test")) as ctx:
        pdqs = seeded_bank(ctx)
        lines = "".join(partners.export_bank(ctx, "national", "lines"))
        table = "".join(partners.export_bank(ctx, "national", "csv"))
    (tmp_path / "list.txt").write_text(lines)
    read = tx_read(tmp_path / "list.txt")
    assert read["pdq"] == set(pdqs)
    assert read["video_md5"] == {"ab" * 16} and read["video_sha256"] == {"cd" * 32}
    (vpdq_value,) = read["vpdq"]
    VPDQSignal.validate_signal_str(vpdq_value)  # python-threatexchange parses it
    assert json.loads(vpdq_from_tx(vpdq_value)) == json.loads(VPDQ)
    # the dataset CSV: header and rows as `threatexchange dataset -P --csv` prints them
    rows = list(csv.DictReader(io.StringIO(table)))
    assert list(rows[0]) == ["signal_type", "signal_str", "collab", "category", "tags"]
    assert {r["signal_str"] for r in rows if r["signal_type"] == "pdq"} == set(pdqs)
    assert all(r["collab"] == "national" and r["category"] == "POSITIVE_CLASS" for r in rows)

    # files written by python-threatexchange's own code (`threatexchange dataset -P -S` and
    # `--csv`; its LocalFileSignalExchangeAPI.report_opinion opens the file with mode "wta",
    # which Python refuses, so the CLI's printer is the writer of the lines format)
    printer = DatasetCommand(print_signals=True, print_signals_only=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for pdq in pdqs:
            printer._print_stdout("", PdqSignal, pdq, None)
        printer._print_stdout("", VPDQSignal, vpdq_to_tx(VPDQ), None)
    written = tmp_path / "written.txt"
    written.write_text(out.getvalue())
    buffer = io.StringIO()
    dict_writer = csv.DictWriter(buffer, ["signal_type", "signal_str", "collab", "category",
                                          "tags"])
    dict_writer.writeheader()
    command = DatasetCommand()
    command._print_csv(dict_writer, "hotline", PdqSignal, pdqs[0], FetchedSignalMetadata())
    command._print_csv(dict_writer, "hotline", VideoMD5Signal, "12" * 16,
                       FetchedSignalMetadata())
    with runtime.context(cli_actor("test")) as ctx:
        _a_centre(ctx)  # banks belong to a centre
        matching.create_bank(ctx, "imported")
        assert partners.import_signals(ctx, "imported", written.read_text()) == 4
        assert partners.import_signals(ctx, "imported", buffer.getvalue()) == 1  # md5 is new
        entries = matching.list_entries(ctx, "imported")
        assert {e.value for e in entries if e.signal_type == "pdq"} == set(pdqs)
        assert {e.signal_type for e in entries} == {"pdq", "vpdq", "md5"}
        # bad files: clear errors, nothing added
        for bad in ("pdq nothex", "wizard 1234", "justonetoken", "",
                    "signal_type,signal_str,collab,category,tags\npdq,,x,POSITIVE_CLASS,\n",
                    "vpdq [\"broken\"]"):
            with pytest.raises(InvalidInput):
                partners.import_signals(ctx, "imported", bad)
        assert partners.read_signals(
            "signal_type,signal_str,collab,category,tags\n"
            f"pdq,{pdqs[0]},x,NEGATIVE_CLASS,\n") == []


def test_bank_subscribes_to_local_file_exchange(runtime, tmp_path: Path) -> None:
    rng = random.Random(3)
    pdqs = [random_pdq(rng) for _ in range(4)]
    signals = tmp_path / "hotline.txt"
    signals.write_text("".join(f"pdq {p}\n" for p in pdqs[:3]) + "video_md5 " + "9" * 32 + "\n"
                       + "url https://example.test/x\n")
    with runtime.context(cli_actor("test")) as ctx:
        a_centre(ctx)
        _a_centre(ctx)  # banks belong to a centre
        matching.create_bank(ctx, "hotlines")
        with pytest.raises(InvalidInput):
            partners.subscribe(ctx, "bad", "hotlines", "local_file", {"nope": 1})
        with pytest.raises(InvalidInput):
            partners.subscribe(ctx, "bad", "hotlines", "carrier_pigeon", {})
        partners.subscribe(ctx, "file", "hotlines", "local_file", {"filename": str(signals)})
    first = partners.fetch(runtime, cli_actor("test"), "file")
    assert first.entries == 4 and first.checkpoint == {} and first.last_error == ""
    # the file changes: one hash gone, one new; the next fetch follows
    signals.write_text("".join(f"pdq {p}\n" for p in pdqs[1:]) + "video_md5 " + "9" * 32 + "\n")
    second = partners.fetch(runtime, cli_actor("test"), "file")
    with runtime.context(cli_actor("test")) as ctx:
        active = {e.value for e in matching.list_entries(ctx, "hotlines") if not e.removed}
        # the centre's scans match what the hotline knows
        matcher = matching.Matcher()
        hit = matching.match_queries(ctx, matcher, [matching.Query("pdq", pdqs[3])])
    assert second.entries == 4 and active == set(pdqs[1:]) | {"9" * 32}
    assert hit.matched and hit.matches[0].bank == "hotlines"
    # an unreadable file is reported on the subscription, nothing is lost
    signals.unlink()
    broken = partners.fetch(runtime, cli_actor("test"), "file")
    assert broken.last_error.startswith("AssertionError") and broken.entries == 4


def test_exchanges_without_credentials_report_the_error(runtime, monkeypatch,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.tx_ncmec_keys or the like
    with runtime.context(cli_actor("test")) as ctx:
        a_centre(ctx)
        _a_centre(ctx)  # banks belong to a centre
        matching.create_bank(ctx, "ncmec")
        sub = partners.subscribe(ctx, "ncmec-test", "ncmec", "ncmec",
                                 {"environment": "test_NGO", "only_esp_ids": [1]})
        assert sub.config == {"environment": "test_NGO", "only_esp_ids": [1]}
        with pytest.raises(InvalidInput):
            partners.subscribe(ctx, "x", "ncmec", "ncmec", {"environment": "Mars"})
        with pytest.raises(InvalidInput):
            partners.subscribe(ctx, "y", "ncmec", "stopncii", {},
                               {"fetch_function_key": "k", "no_such_field": 1})
    fetched = partners.fetch(runtime, cli_actor("test"), "ncmec-test")
    assert fetched.last_error and fetched.entries == 0 and fetched.checkpoint is None


def test_two_fetches_of_one_subscription_do_not_both_merge(runtime, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           monkeypatch) -> None:
    """A fetch that finds the subscription moved past the checkpoint it started from (another
    fetch ran meanwhile: a worker's round and an analyst's button) stops with a 409 and
    merges nothing; the other fetch's records are there once."""
    import threading

    from jikimi.errors import Conflict
    from jikimi.partners import exchange

    rng = random.Random(5)
    pdqs = [random_pdq(rng) for _ in range(3)]
    signals = tmp_path / "hotline.txt"
    signals.write_text("".join(f"pdq {p}\n" for p in pdqs))
    with runtime.context(cli_actor("test")) as ctx:
        _a_centre(ctx)
        matching.create_bank(ctx, "hotlines")
        partners.subscribe(ctx, "file", "hotlines", "local_file", {"filename": str(signals)})
    original = exchange._client
    other_ran = threading.Event()

    def client_racing_another_fetch(cls, collab, credentials):  # type: ignore[no-untyped-def]
        if not other_ran.is_set():  # the first fetch's exchange is slow: another one runs
            other_ran.set()
            other = threading.Thread(target=partners.fetch,
                                     args=(runtime, cli_actor("worker"), "file"))
            other.start()
            other.join(60)
        return original(cls, collab, credentials)

    monkeypatch.setattr(exchange, "_client", client_racing_another_fetch)
    with pytest.raises(Conflict) as raised:
        partners.fetch(runtime, cli_actor("test"), "file")
    assert raised.value.code == "fetch_running"
    with runtime.context(cli_actor("test")) as ctx:
        values = [e.value for e in matching.list_entries(ctx, "hotlines") if not e.removed]
    assert sorted(values) == sorted(pdqs)
