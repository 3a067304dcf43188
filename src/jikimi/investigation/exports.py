"""A linkage as JSON-ready models, CSV tables and GraphML, for investigators' own tools.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return, other than a plain number) are prefixed with ``'``: channel names
and captions come from offenders. GraphML is written with ``xml.etree`` and stripped of the
characters XML 1.0 cannot hold, so Gephi, yEd, Cytoscape and networkx read it.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Literal

from jikimi.errors import InvalidInput
from jikimi.investigation.linkage import Linkage
from jikimi.investigation.schemas import (
    ClusterOut,
    ContentOut,
    EdgeOut,
    ForwardOut,
    LinkageOut,
    PlaceOut,
    PosterOut,
    SightingOut,
    SpreadOut,
)

RULE = ("Same content: equal SHA-256, the same registered content, or PDQ within "
        "{threshold} bits (any rotation or mirror image; quality >= 50), grouped transitively. "
        "Places sharing content are joined by an edge weighted by the number of contents both "
        "hold; clusters are the connected components over edges of weight >= {min_shared}.")

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$")


class CsvTable(enum.StrEnum):
    """The tables a linkage exports as CSV (one file each)."""

    sightings = "sightings"
    places = "places"
    edges = "edges"
    clusters = "clusters"
    posters = "posters"
    timeline = "timeline"


class ExportFormat(enum.StrEnum):
    json = "json"
    csv = "csv"
    graphml = "graphml"


def to_out(linkage: Linkage, *, scope: Literal["case", "centre"], case_code: str | None,
           centre_id: int | None, generated_at: dt.datetime) -> LinkageOut:
    """The linkage as the API, CLI and pages show it."""
    return LinkageOut(
        scope=scope, case_code=case_code, centre_id=centre_id, generated_at=generated_at,
        pdq_threshold=linkage.pdq_threshold, min_shared=linkage.min_shared,
        rule=RULE.format(threshold=linkage.pdq_threshold, min_shared=linkage.min_shared),
        places=[PlaceOut(key=p.place.key, kind=p.place.kind, label=p.place.label,
                         sightings=p.sightings, contents=list(p.contents), first_at=p.first_at,
                         last_at=p.last_at, posters=p.posters, cluster=p.cluster,
                         first_to_post=p.first_to_post) for p in linkage.places],
        contents=[ContentOut(id=c.id, sha256s=list(c.sha256s), first_at=c.first.at,
                             first_at_kind=c.first.at_kind, first_place=c.first.place.key,
                             places=list(c.place_keys), sightings=len(c.sightings),
                             case_codes=list(c.case_codes)) for c in linkage.contents],
        edges=[EdgeOut(a=e.a, b=e.b, weight=e.weight, contents=list(e.contents))
               for e in linkage.edges],
        clusters=[ClusterOut(id=k.id, places=list(k.places), contents=list(k.contents))
                  for k in linkage.clusters],
        posters=[PosterOut(key=p.poster.key, label=p.poster.label, sightings=p.sightings,
                           contents=list(p.contents), places=list(p.places),
                           first_at=p.first_at, last_at=p.last_at) for p in linkage.posters],
        forwards=[ForwardOut(place=f.place, origin_label=f.origin_label,
                             origin_key=f.origin_key, count=f.count) for f in linkage.forwards],
        timeline=[SpreadOut(at=e.at, at_kind=e.at_kind, content=e.content, place=e.place,
                            poster=e.poster, first=e.first, locator=e.locator)
                  for e in linkage.spread_timeline()],
        sightings=[SightingOut(
            ref=s.ref, content=linkage.content_of(s.ref), place=s.place.key,
            poster=s.poster.key if s.poster else None,
            poster_label=s.poster.label if s.poster else None, at=s.at, at_kind=s.at_kind,
            locator=s.locator, sha256=s.sha256, pdq=s.pdq, message_id=s.message_id,
            forwarded_from=s.forwarded_from, case_codes=sorted(s.case_codes))
            for s in linkage.sightings],
    )


# --- CSV -------------------------------------------------------------------------------------
def safe_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def _rows(out: LinkageOut, table: CsvTable) -> tuple[Sequence[str], Iterable[Sequence[object]]]:
    labels = {p.key: p.label for p in out.places}
    if table is CsvTable.sightings:
        cluster = {p.key: p.cluster for p in out.places}
        return (("content", "cluster", "place", "place_label", "at", "at_kind", "poster",
                 "poster_label", "message_id", "forwarded_from", "locator", "sha256", "pdq",
                 "case_codes", "ref"),
                ((s.content, cluster.get(s.place), s.place, labels.get(s.place), s.at,
                  s.at_kind, s.poster, s.poster_label, s.message_id, s.forwarded_from,
                  s.locator, s.sha256, s.pdq, s.case_codes, s.ref) for s in out.sightings))
    if table is CsvTable.places:
        return (("place", "kind", "label", "cluster", "sightings", "contents", "posters",
                 "first_to_post", "first_at", "last_at", "content_ids"),
                ((p.key, p.kind, p.label, p.cluster, p.sightings, len(p.contents), p.posters,
                  p.first_to_post, p.first_at, p.last_at, p.contents) for p in out.places))
    if table is CsvTable.edges:
        return (("place_a", "label_a", "place_b", "label_b", "weight", "content_ids"),
                ((e.a, labels.get(e.a), e.b, labels.get(e.b), e.weight, e.contents)
                 for e in out.edges))
    if table is CsvTable.clusters:
        return (("cluster", "places", "place_labels", "shared_contents"),
                ((k.id, k.places, " | ".join(labels.get(p, p) for p in k.places), k.contents)
                 for k in out.clusters))
    if table is CsvTable.posters:
        return (("poster", "label", "sightings", "contents", "places", "first_at", "last_at",
                 "content_ids", "place_keys"),
                ((p.key, p.label, p.sightings, len(p.contents), len(p.places), p.first_at,
                  p.last_at, p.contents, p.places) for p in out.posters))
    return (("at", "at_kind", "content", "place", "place_label", "poster", "first_anywhere",
             "locator"),
            ((e.at, e.at_kind, e.content, e.place, labels.get(e.place), e.poster, e.first,
              e.locator) for e in out.timeline))


def to_csv(out: LinkageOut, table: CsvTable | str = CsvTable.sightings) -> str:
    """One table of the linkage as CSV (UTF-8 text; spreadsheet-formula safe)."""
    try:
        which = CsvTable(table)
    except ValueError:
        raise InvalidInput(f"unknown table {table!r}; use one of "
                           f"{', '.join(t.value for t in CsvTable)}", code="bad_table") from None
    header, rows = _rows(out, which)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


# --- GraphML ---------------------------------------------------------------------------------
def xml_text(value: object) -> str:
    """Text XML 1.0 can hold (control characters and lone surrogates removed)."""
    return _XML_BAD.sub("", "" if value is None else str(value))


_NODE_KEYS = (("kind", "string"), ("label", "string"), ("cluster", "string"),
              ("sightings", "int"), ("contents", "int"), ("first_at", "string"),
              ("sha256", "string"))
_EDGE_KEYS = (("relation", "string"), ("weight", "int"), ("contents", "string"),
              ("first_at", "string"))


def to_graphml(out: LinkageOut) -> bytes:
    """The linkage as one GraphML graph: places, contents and posters as nodes (``kind``),
    edges by ``relation``: ``co_shares`` (place–place, ``weight`` = contents both hold),
    ``appeared_in`` (content–place), ``posted_in`` (poster–place) and ``forwarded_from``
    (place → the origin its messages were forwarded from)."""
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    for domain, keys in (("node", _NODE_KEYS), ("edge", _EDGE_KEYS)):
        for name, kind in keys:
            ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {
                "id": f"{domain[0]}_{name}", "for": domain, "attr.name": name,
                "attr.type": kind})
    graph = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", {
        "id": xml_text(out.case_code or f"centre-{out.centre_id or 'all'}"),
        "edgedefault": "undirected"})

    def data(parent: ET.Element, key: str, value: object) -> None:
        if value is None:
            return
        element = ET.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": key})
        element.text = xml_text(value.isoformat() if isinstance(value, dt.datetime) else value)

    nodes: set[str] = set()

    def node(node_id: str, **attrs: object) -> None:
        nodes.add(node_id)
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": xml_text(node_id)})
        for name, value in attrs.items():
            data(element, f"n_{name}", value)

    counter = 0

    def edge(a: str, b: str, **attrs: object) -> None:
        nonlocal counter
        counter += 1
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}edge", {
            "id": f"e{counter}", "source": xml_text(a), "target": xml_text(b)})
        for name, value in attrs.items():
            data(element, f"e_{name}", value)

    for p in out.places:
        node(f"place:{p.key}", kind=f"place/{p.kind}", label=p.label, cluster=p.cluster,
             sightings=p.sightings, contents=len(p.contents), first_at=p.first_at)
    for c in out.contents:
        node(f"content:{c.id}", kind="content", label=c.id, sightings=c.sightings,
             first_at=c.first_at, sha256=" ".join(c.sha256s))
    for u in out.posters:
        node(f"poster:{u.key}", kind="poster", label=u.label, sightings=u.sightings,
             contents=len(u.contents), first_at=u.first_at)
    for f in out.forwards:
        origin = f"place:{f.origin_key or 'forward:' + f.origin_label}"
        if origin not in nodes:
            node(origin, kind="place/origin", label=f.origin_label)
    for e in out.edges:
        edge(f"place:{e.a}", f"place:{e.b}", relation="co_shares", weight=e.weight,
             contents=" ".join(e.contents))
    first_in: dict[tuple[str, str], dt.datetime] = {}
    for t in out.timeline:
        first_in.setdefault((t.content, t.place), t.at)
    for (content, place), at in sorted(first_in.items()):
        edge(f"content:{content}", f"place:{place}", relation="appeared_in", first_at=at)
    posted: dict[tuple[str, str], int] = {}
    for s in out.sightings:
        if s.poster:
            posted[(s.poster, s.place)] = posted.get((s.poster, s.place), 0) + 1
    for (poster, place), n in sorted(posted.items()):
        edge(f"poster:{poster}", f"place:{place}", relation="posted_in", weight=n)
    for f in out.forwards:
        edge(f"place:{f.place}", f"place:{f.origin_key or 'forward:' + f.origin_label}",
             relation="forwarded_from", weight=f.count)
    ET.indent(root)
    encoded: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return encoded
