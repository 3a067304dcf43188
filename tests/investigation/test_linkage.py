"""Linkage as pure logic: grouping, clusters and exports against brute-force oracles."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import xml.etree.ElementTree as ET
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikimi.errors import InvalidInput
from jikimi.hashing import hamming_distance
from jikimi.investigation import Place, Poster, Sighting, link, restrict, to_csv, to_graphml
from jikimi.investigation.drawing import graph_svg, timeline_svg
from jikimi.investigation.exports import CsvTable, safe_cell, to_out

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def channel(n: int, label: str | None = None) -> Place:
    return Place(f"telegram:{1000 + n}", "telegram", label or f"channel {n}")


def flip(hex_hash: str, bits: list[int]) -> str:
    value = int(hex_hash, 16)
    for b in bits:
        value ^= 1 << b
    return f"{value:064x}"


BASE = [f"{random.Random(s).getrandbits(256):064x}" for s in range(6)]


def sighting(ref: str, place: Place, sha: str, minutes: int = 0, *, pdq: str | None = None,
             poster: Poster | None = None, content_ids: frozenset[str] = frozenset(),
             variants: tuple[str, ...] = ()) -> Sighting:
    return Sighting(ref=ref, sha256=sha, place=place, at=T0 + dt.timedelta(minutes=minutes),
                    at_kind="posted", locator=f"{place.key}/{ref}", pdq=pdq,
                    pdq_variants=variants, poster=poster, content_ids=content_ids)


def out_of(sightings: list[Sighting], **kw: int):  # type: ignore[no-untyped-def]
    return to_out(link(sightings, **kw), scope="centre", case_code=None, centre_id=1,
                  generated_at=T0)


# --- examples --------------------------------------------------------------------------------
def test_three_channels_two_contents_chain_into_one_cluster() -> None:
    a, b, c, d = channel(1), channel(2), channel(3), channel(4)
    alice = Poster("telegram:user1", "Alice")
    s = [
        sighting("1", a, "x" * 64, 0, pdq=BASE[0], poster=alice),
        sighting("2", b, "y" * 64, 30, pdq=flip(BASE[0], [1, 5, 9])),   # re-encoded X
        sighting("3", b, "z" * 64, 60, pdq=BASE[1], poster=alice),
        sighting("4", c, "z" * 64, 90, pdq=BASE[1]),                    # identical Y
        sighting("5", d, "w" * 64, 10, pdq=BASE[2]),                    # unrelated
    ]
    result = link(s)
    assert [c.id for c in result.contents] == ["C1", "C2", "C3"]
    assert result.contents[0].place_keys == (a.key, b.key)  # X: first in a, then b
    assert result.contents[2].place_keys == (b.key, c.key)
    assert result.clusters_as_sets() == [frozenset({a.key, b.key, c.key})]
    assert {(e.a, e.b, e.weight) for e in result.edges} == {(a.key, b.key, 1),
                                                             (b.key, c.key, 1)}
    assert result.place(d.key).cluster is None
    assert result.place(a.key).first_to_post == 1
    assert result.posters[0].poster == alice and result.posters[0].sightings == 2
    assert result.posters[0].places == (a.key, b.key)
    # min_shared=2: no pair shares two contents, so no cluster
    assert link(s, min_shared=2).clusters == ()


def test_two_shared_contents_make_a_heavy_edge_and_min_shared_splits() -> None:
    a, b, c = channel(1), channel(2), channel(3)
    s = [sighting("1", a, "x" * 64, 0), sighting("2", b, "x" * 64, 5),
         sighting("3", a, "y" * 64, 10), sighting("4", b, "y" * 64, 15),
         sighting("5", c, "y" * 64, 20)]
    heavy = link(s, min_shared=2)
    assert heavy.clusters_as_sets() == [frozenset({a.key, b.key})]
    assert heavy.place(c.key).cluster is None
    assert link(s).clusters_as_sets() == [frozenset({a.key, b.key, c.key})]
    timeline = link(s).spread_timeline()
    assert [(e.content, e.place, e.first) for e in timeline] == [
        ("C1", a.key, True), ("C1", b.key, False), ("C2", a.key, True),
        ("C2", b.key, False), ("C2", c.key, False)]


def test_mirrored_copy_links_through_dihedral_variants_but_flat_pdq_does_not() -> None:
    a, b = channel(1), channel(2)
    mirrored = flip(BASE[3], list(range(0, 200, 2)))  # far from BASE[3] as a plain hash
    s = [sighting("1", a, "a" * 64, pdq=BASE[3], variants=(BASE[3], mirrored)),
         sighting("2", b, "b" * 64, pdq=flip(mirrored, [3]))]
    assert len(link(s).contents) == 1
    assert len(link([sighting("1", a, "a" * 64, pdq=BASE[3]),
                     sighting("2", b, "b" * 64, pdq=flip(mirrored, [3]))]).contents) == 2
    # threshold 0: a 3-bit difference no longer links
    assert len(link(s, pdq_threshold=0).contents) == 2


def test_same_registered_content_links_different_files() -> None:
    a, b = channel(1), channel(2)
    s = [sighting("1", a, "a" * 64, content_ids=frozenset({"reg1"})),
         sighting("2", b, "b" * 64, content_ids=frozenset({"reg1"}))]
    assert link(s).clusters_as_sets() == [frozenset({a.key, b.key})]


def test_restrict_keeps_whole_groups() -> None:
    a, b = channel(1), channel(2)
    full = link([sighting("1", a, "x" * 64), sighting("2", b, "x" * 64),
                 sighting("3", b, "y" * 64)])
    part = restrict(full, ["C1"])
    assert len(part.contents) == 1 and len(part.sightings) == 2


def test_bad_parameters() -> None:
    with pytest.raises(InvalidInput):
        link([], min_shared=0)
    with pytest.raises(InvalidInput):
        link([], pdq_threshold=32)
    empty = link([])
    assert empty.contents == () and empty.clusters == ()
    assert to_csv(out_of([])).startswith("content,")
    ET.fromstring(to_graphml(out_of([])))


# --- exports ---------------------------------------------------------------------------------
def test_csv_cells_never_run_as_formulas() -> None:
    evil = channel(1, "=HYPERLINK(\"http://x\")")
    text = to_csv(out_of([sighting("1", evil, "x" * 64), sighting("2", channel(2), "x" * 64)]),
                  CsvTable.places)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "place"
    labels = {r[2] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in labels
    assert safe_cell("-1") == "-1" and safe_cell("-1+2") == "'-1+2"
    assert safe_cell("@x") == "'@x" and safe_cell(None) == ""
    with pytest.raises(InvalidInput):
        to_csv(out_of([]), "nonsense")


def test_graphml_with_hostile_labels_parses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hostile = channel(1, "<b>\x00\x07 &amp; \"quoted\" \ud800 채널]]>")
    s = [sighting("1", hostile, "x" * 64, poster=Poster("telegram:user9", "\x1b[31m 악성")),
         sighting("2", channel(2), "x" * 64)]
    data = to_graphml(out_of(s))
    root = ET.fromstring(data)
    nodes = root.findall(f"{GRAPHML}graph/{GRAPHML}node")
    assert {n.get("id") for n in nodes} >= {"place:telegram:1001", "content:C1",
                                            "poster:telegram:user9"}
    nx = pytest.importorskip("networkx")
    path = tmp_path / "g.graphml"
    path.write_bytes(data)
    graph = nx.read_graphml(path)
    assert graph.nodes["place:telegram:1001"]["label"].startswith("<b>")
    relations = {d["relation"] for _u, _v, d in graph.edges(data=True)}
    assert relations == {"co_shares", "appeared_in", "posted_in"}


# --- properties ------------------------------------------------------------------------------
@st.composite
def sighting_sets(draw: st.DrawFn) -> list[Sighting]:
    n = draw(st.integers(0, 14))
    out = []
    for i in range(n):
        place = channel(draw(st.integers(0, 4)))
        sha = draw(st.sampled_from("abcdefgh")) * 64
        pdq = None
        if draw(st.booleans()):
            base = BASE[draw(st.integers(0, 2))]
            bits = draw(st.lists(st.integers(0, 255), max_size=40, unique=True))
            pdq = flip(base, bits)
        ids = frozenset(draw(st.lists(st.sampled_from(["r1", "r2"]), max_size=1)))
        out.append(sighting(str(i), place, sha, draw(st.integers(0, 50)), pdq=pdq,
                            content_ids=ids))
    return out


def _oracle_groups(s: list[Sighting], threshold: int) -> set[frozenset[str]]:
    parent = {x.ref: x.ref for x in s}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in combinations(s, 2):
        same = x.sha256 == y.sha256 or bool(x.content_ids & y.content_ids) or (
            x.pdq is not None and y.pdq is not None
            and hamming_distance(x.pdq, y.pdq) <= threshold)
        if same:
            parent[find(x.ref)] = find(y.ref)
    groups: dict[str, set[str]] = {}
    for x in s:
        groups.setdefault(find(x.ref), set()).add(x.ref)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=150, deadline=None)
@given(sighting_sets(), st.sampled_from([0, 10, 31]), st.integers(1, 3))
def test_linkage_matches_brute_force(s: list[Sighting], threshold: int, min_shared: int
                                     ) -> None:
    result = link(s, pdq_threshold=threshold, min_shared=min_shared)
    groups = {frozenset(x.ref for x in c.sightings) for c in result.contents}
    assert groups == _oracle_groups(s, threshold)
    holds = {p.place.key: set(p.contents) for p in result.places}
    # edges: every pair of places with the contents both hold
    expected_edges = {(a, b): holds[a] & holds[b] for a, b in combinations(sorted(holds), 2)
                      if holds[a] & holds[b]}
    assert {(e.a, e.b): set(e.contents) for e in result.edges} == expected_edges
    # clusters: connected components over edges of weight >= min_shared
    parent = {k: k for k in holds}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    joined = set()
    for (a, b), shared in expected_edges.items():
        if len(shared) >= min_shared:
            parent[find(a)] = find(b)
            joined |= {a, b}
    comps: dict[str, set[str]] = {}
    for k in joined:
        comps.setdefault(find(k), set()).add(k)
    assert set(result.clusters_as_sets()) == {frozenset(c) for c in comps.values()}
    # the first sighting of a content is its earliest
    for c in result.contents:
        assert c.first.at == min(x.at for x in c.sightings)


@settings(max_examples=60, deadline=None)
@given(sighting_sets(), st.randoms(use_true_random=False))
def test_linkage_does_not_depend_on_input_order(s: list[Sighting], rnd: random.Random) -> None:
    shuffled = list(s)
    rnd.shuffle(shuffled)
    first, second = out_of(s), out_of(shuffled)
    assert first.model_dump() == second.model_dump()
    assert to_graphml(first) == to_graphml(second)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_label_exports_cleanly(place_label: str, poster_label: str) -> None:
    s = [sighting("1", channel(1, place_label), "x" * 64,
                  poster=Poster(f"telegram:{poster_label}", poster_label)),
         sighting("2", channel(2), "x" * 64)]
    out = out_of(s)
    ET.fromstring(to_graphml(out))
    for svg in (graph_svg(out), timeline_svg(out)):
        root = ET.fromstring(svg)  # well-formed: every label escaped
        assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    for table in CsvTable:
        rows = list(csv.reader(io.StringIO(to_csv(out, table))))
        assert all(not cell.startswith(("=", "+", "-", "@")) or cell.lstrip("-").isdigit()
                   for row in rows for cell in row)


def test_drawings_leave_out_what_does_not_fit() -> None:
    s = [sighting(str(i), channel(i % 70), "x" * 64 if i % 2 else f"{i:064x}", i)
         for i in range(200)]
    out = out_of(s)
    graph = ET.fromstring(graph_svg(out))
    places = graph.findall(".//{http://www.w3.org/2000/svg}g")
    assert len(places) == 60 and "10" in graph_svg(out).rsplit("<text", 1)[1]
    assert "more contents not drawn" in timeline_svg(out)
    assert graph_svg(out) == graph_svg(out_of(list(reversed(s))))  # deterministic
