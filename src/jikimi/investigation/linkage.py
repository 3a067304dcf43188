"""Linkage: which places (channels, sites, archives) and posters share the same content.

Pure logic: sightings in, a :class:`Linkage` out. No database, no HTTP.

The rules, as an investigator would state them in a report:

* **Same content.** Two sightings are the same content when they have the same SHA-256, when
  they matched the same registered content (a bank entry's content id), or when the PDQ of
  one (or one of its eight rotations and mirror images) is within ``pdq_threshold`` bits of
  the PDQ of the other (default 31, the threshold the matching uses). PDQ hashes of quality
  below 50 are near-flat and never link anything on their own. Content groups are the
  transitive closure of these links (single linkage): if A is like B and B is like C, all
  three are one content.
* **Places.** A Telegram chat is one place, however many exports of it were scanned (by its
  chat id); a web page is the site it is on (its host, from the page the media was shown on);
  anything else (a seized folder or ZIP) is its source.
* **Co-sharing graph and clusters.** Places are nodes; two places are joined by an edge whose
  weight is the number of distinct contents both hold. A cluster is a connected component of
  the graph once edges lighter than ``min_shared`` are dropped: places that repost each other's
  material, directly or through a chain. A place that shares nothing is in no cluster.
* **Time.** A sighting's time is when it was posted (the Telegram message date, a feed entry's
  date) when the source says so, else when a scan first found it; ``at_kind`` tells which.
  The first sighting of a content is its earliest; its spread is the first time it appeared
  in each place, in order.

Everything returned is sorted deterministically, so the same data gives the same ids
(``C1``, ``K1``...), the same exports and the same drawing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jikimi.errors import InvalidInput
from jikimi.hashing import MATCH_THRESHOLD
from jikimi.matching import PdqIndex

MAX_PDQ_THRESHOLD = 31

DEFAULT_PDQ_THRESHOLD = MATCH_THRESHOLD
"""Bits within which two PDQ hashes are the same content (the matching threshold, 31)."""


@dataclass(frozen=True, slots=True, order=True)
class Place:
    """Where content appeared: ``telegram:<chat id>``, ``site:<host>`` or ``source:<id>``."""

    key: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True, order=True)
class Poster:
    """Who posted it, where the source says: a Telegram sender, a feed entry's author."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Sighting:
    """One content at one place (a scanned item's version), with what the source told."""

    ref: str
    """A unique reference, e.g. ``v17`` for item version 17."""
    sha256: str
    place: Place
    at: dt.datetime
    at_kind: str
    """``posted`` (the source's date) or ``found`` (the scan's)."""
    locator: str
    item_id: int = 0
    pdq: str | None = None
    """The PDQ hash when reliable (quality ≥ 50), else None."""
    pdq_variants: tuple[str, ...] = ()
    """Rotations and mirror images of ``pdq`` (the dihedral hashes), if known."""
    poster: Poster | None = None
    message_id: int | None = None
    forwarded_from: str | None = None
    forwarded_from_key: str | None = None
    """The place key of the forward's origin (``telegram:<id>``), when the export names it."""
    content_ids: frozenset[str] = frozenset()
    case_codes: frozenset[str] = frozenset()

    @property
    def sort_key(self) -> tuple[dt.datetime, str, str]:
        return (self.at, self.place.key, self.ref)


@dataclass(frozen=True, slots=True)
class Content:
    """One content (a group of sightings) and where and when it spread."""

    id: str
    sha256s: tuple[str, ...]
    sightings: tuple[Sighting, ...]
    """In time order."""
    case_codes: tuple[str, ...]

    @property
    def first(self) -> Sighting:
        return self.sightings[0]

    @property
    def spread(self) -> tuple[Sighting, ...]:
        """The first sighting in each place, in time order."""
        seen: set[str] = set()
        out: list[Sighting] = []
        for s in self.sightings:
            if s.place.key not in seen:
                seen.add(s.place.key)
                out.append(s)
        return tuple(out)

    @property
    def place_keys(self) -> tuple[str, ...]:
        return tuple(s.place.key for s in self.spread)


@dataclass(frozen=True, slots=True)
class PlaceStats:
    place: Place
    sightings: int
    contents: tuple[str, ...]
    first_at: dt.datetime
    last_at: dt.datetime
    posters: int
    cluster: str | None
    first_to_post: int
    """How many contents appeared here before anywhere else (ties count for every place)."""


@dataclass(frozen=True, slots=True)
class Edge:
    """Two places that hold the same contents (``a`` < ``b``)."""

    a: str
    b: str
    contents: tuple[str, ...]

    @property
    def weight(self) -> int:
        return len(self.contents)


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    places: tuple[str, ...]
    contents: tuple[str, ...]
    """Contents held by at least two of its places."""


@dataclass(frozen=True, slots=True)
class PosterStats:
    poster: Poster
    sightings: int
    contents: tuple[str, ...]
    places: tuple[str, ...]
    first_at: dt.datetime
    last_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Forward:
    """Messages in ``place`` forwarded from ``origin`` (a place key when known)."""

    place: str
    origin_label: str
    origin_key: str | None
    count: int


@dataclass(frozen=True, slots=True)
class SpreadEvent:
    """A content's first appearance in a place: one row of the spread timeline."""

    at: dt.datetime
    at_kind: str
    content: str
    place: str
    poster: str | None
    first: bool
    """True for the content's first appearance anywhere."""
    locator: str


@dataclass(frozen=True)
class Linkage:
    contents: tuple[Content, ...]
    places: tuple[PlaceStats, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    posters: tuple[PosterStats, ...]
    forwards: tuple[Forward, ...]
    pdq_threshold: int
    min_shared: int
    _place_index: dict[str, PlaceStats] = field(default_factory=dict, repr=False)
    _content_of: dict[str, str] = field(default_factory=dict, repr=False)

    def place(self, key: str) -> PlaceStats:
        return self._place_index[key]

    def content_of(self, sighting_ref: str) -> str:
        """The content id of a sighting."""
        return self._content_of[sighting_ref]

    @property
    def sightings(self) -> tuple[Sighting, ...]:
        """Every sighting, in time order."""
        return tuple(sorted((s for c in self.contents for s in c.sightings),
                            key=lambda s: s.sort_key))

    def spread_timeline(self) -> list[SpreadEvent]:
        """Each content's first appearance in each place, in time order."""
        events = [
            SpreadEvent(at=s.at, at_kind=s.at_kind, content=c.id, place=s.place.key,
                        poster=s.poster.key if s.poster else None, first=n == 0,
                        locator=s.locator)
            for c in self.contents for n, s in enumerate(c.spread)]
        events.sort(key=lambda e: (e.at, e.content, e.place))
        return events

    def clusters_as_sets(self) -> list[frozenset[str]]:
        return [frozenset(c.places) for c in self.clusters]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _group(sightings: Sequence[Sighting], pdq_threshold: int) -> list[list[int]]:
    """Indices of sightings grouped into contents (see the module docstring)."""
    uf = _UnionFind(len(sightings))
    by_key: dict[tuple[str, str], int] = {}
    for i, s in enumerate(sightings):
        for key in (("sha256", s.sha256), *(("content", c) for c in s.content_ids)):
            j = by_key.setdefault(key, i)
            if j != i:
                uf.union(i, j)
    with_pdq = [i for i, s in enumerate(sightings) if s.pdq]
    if len(with_pdq) > 1:
        # Small tail: beyond a few thousand hashes a multi-index segment beats brute force.
        index = PdqIndex(tail_capacity=2048)
        index.add(with_pdq, [sightings[i].pdq or "" for i in with_pdq])
        queries: list[str] = []
        owners: list[int] = []
        for i in with_pdq:
            for h in dict.fromkeys((sightings[i].pdq or "", *sightings[i].pdq_variants)):
                queries.append(h)
                owners.append(i)
        qi, ids, _dist = index.search_arrays(queries, pdq_threshold)
        for q, j in zip(qi.tolist(), ids.tolist(), strict=True):
            uf.union(owners[q], int(j))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(sightings)):
        groups[uf.find(i)].append(i)
    return list(groups.values())


def link(sightings: Iterable[Sighting], *, pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
         min_shared: int = 1) -> Linkage:
    """Group sightings into contents and derive places, edges, clusters, posters, forwards.

    ``min_shared``: the fewest shared contents for two places to count as reposting each other
    (edges lighter than that are kept in ``edges`` but do not join clusters).
    """
    if isinstance(min_shared, bool) or not 1 <= min_shared <= 1_000_000:
        raise InvalidInput("min_shared (the fewest shared contents that join two places) "
                           "is 1 or more", code="bad_min_shared")
    if isinstance(pdq_threshold, bool) or not 0 <= pdq_threshold <= MAX_PDQ_THRESHOLD:
        raise InvalidInput(f"the PDQ threshold is 0 to {MAX_PDQ_THRESHOLD} bits",
                           code="bad_threshold")
    unique: dict[str, Sighting] = {}
    for s in sightings:
        unique.setdefault(s.ref, s)
    items = sorted(unique.values(), key=lambda s: s.sort_key)
    groups = [sorted(g) for g in _group(items, pdq_threshold)]
    groups.sort(key=lambda g: (items[g[0]].sort_key, min(items[i].sha256 for i in g)))

    contents: list[Content] = []
    content_of: dict[str, str] = {}
    for n, group in enumerate(groups, start=1):
        members = tuple(items[i] for i in group)
        cid = f"C{n}"
        for s in members:
            content_of[s.ref] = cid
        contents.append(Content(
            id=cid, sha256s=tuple(sorted({s.sha256 for s in members})), sightings=members,
            case_codes=tuple(sorted({c for s in members for c in s.case_codes}))))

    places_of: dict[str, Place] = {s.place.key: s.place for s in items}
    contents_in: dict[str, set[str]] = defaultdict(set)
    for c in contents:
        for key in c.place_keys:
            contents_in[key].add(c.id)

    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in contents:
        keys = sorted(set(c.place_keys))
        for x in range(len(keys)):
            for y in range(x + 1, len(keys)):
                pairs[(keys[x], keys[y])].append(c.id)
    edges = tuple(Edge(a, b, tuple(sorted(ids, key=_content_number)))
                  for (a, b), ids in sorted(pairs.items()))

    cluster_of, clusters = _clusters(sorted(places_of), edges, min_shared)

    first_places: Counter[str] = Counter()
    for c in contents:
        first_at = c.first.at
        for key in {s.place.key for s in c.sightings if s.at == first_at}:
            first_places[key] += 1
    by_place: dict[str, list[Sighting]] = defaultdict(list)
    for s in items:
        by_place[s.place.key].append(s)
    place_stats = []
    for key in sorted(places_of):
        mine = by_place[key]
        place_stats.append(PlaceStats(
            place=places_of[key], sightings=len(mine),
            contents=tuple(sorted(contents_in[key], key=_content_number)),
            first_at=min(s.at for s in mine), last_at=max(s.at for s in mine),
            posters=len({s.poster.key for s in mine if s.poster}),
            cluster=cluster_of.get(key), first_to_post=first_places[key]))

    return Linkage(
        contents=tuple(contents), places=tuple(place_stats), edges=edges,
        clusters=clusters, posters=_posters(items, content_of),
        forwards=_forwards(items), pdq_threshold=pdq_threshold, min_shared=min_shared,
        _place_index={p.place.key: p for p in place_stats}, _content_of=content_of)


def _content_number(cid: str) -> int:
    return int(cid[1:])


def _clusters(keys: Sequence[str], edges: Sequence[Edge], min_shared: int
              ) -> tuple[dict[str, str], tuple[Cluster, ...]]:
    position = {k: i for i, k in enumerate(keys)}
    uf = _UnionFind(len(keys))
    strong = [e for e in edges if e.weight >= min_shared]
    for e in strong:
        uf.union(position[e.a], position[e.b])
    members: dict[int, list[str]] = defaultdict(list)
    for e in strong:
        for k in (e.a, e.b):
            root = uf.find(position[k])
            if k not in members[root]:
                members[root].append(k)
    ordered = sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))
    cluster_of: dict[str, str] = {}
    clusters: list[Cluster] = []
    for n, places in enumerate(ordered, start=1):
        cid = f"K{n}"
        inside = set(places)
        shared = {c for e in strong if e.a in inside for c in e.contents}
        for k in places:
            cluster_of[k] = cid
        clusters.append(Cluster(cid, tuple(places), tuple(sorted(shared, key=_content_number))))
    return cluster_of, tuple(clusters)


def _posters(items: Sequence[Sighting], content_of: Mapping[str, str]
             ) -> tuple[PosterStats, ...]:
    by_poster: dict[str, list[Sighting]] = defaultdict(list)
    labels: dict[str, Poster] = {}
    for s in items:
        if s.poster is not None:
            by_poster[s.poster.key].append(s)
            labels.setdefault(s.poster.key, s.poster)
    out = [PosterStats(
        poster=labels[key], sightings=len(mine),
        contents=tuple(sorted({content_of[s.ref] for s in mine}, key=_content_number)),
        places=tuple(sorted({s.place.key for s in mine})),
        first_at=min(s.at for s in mine), last_at=max(s.at for s in mine))
        for key, mine in by_poster.items()]
    out.sort(key=lambda p: (-p.sightings, -len(p.contents), p.poster.key))
    return tuple(out)


def _forwards(items: Sequence[Sighting]) -> tuple[Forward, ...]:
    counts: Counter[tuple[str, str, str | None]] = Counter()
    for s in items:
        if s.forwarded_from or s.forwarded_from_key:
            label = s.forwarded_from or s.forwarded_from_key or ""
            counts[(s.place.key, label, s.forwarded_from_key)] += 1
    return tuple(Forward(place, label, key, n) for (place, label, key), n in
                 sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])))


def restrict(linkage: Linkage, content_ids: Iterable[str]) -> Linkage:
    """The linkage of only some contents (e.g. those matched to one case), recomputed."""
    wanted = set(content_ids)
    return link([s for c in linkage.contents if c.id in wanted for s in c.sightings],
                pdq_threshold=linkage.pdq_threshold, min_shared=linkage.min_shared)
