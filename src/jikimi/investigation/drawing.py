"""Inline SVG drawings of a linkage: the co-sharing graph and the spread timeline.

Server-rendered, no JavaScript, deterministic: places sit on a circle in cluster order
(clusters one after another, places by key within a cluster), so the same data always gives
the same picture. Node area grows with the contents a place holds; edge width with the
contents two places share. Every mark has a ``<title>`` (the browser's tooltip) with the full
label and counts. All text is escaped here: labels come from offenders' channel names.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from zoneinfo import ZoneInfo

from jikimi.investigation.exports import xml_text
from jikimi.investigation.schemas import LinkageOut, PlaceOut

KST = ZoneInfo("Asia/Seoul")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#bcbd22", "#393b79")
UNCLUSTERED = "#9e9e9e"
MAX_PLACES = 60
MAX_ROWS = 40


def _esc(value: str) -> str:
    """Text for the SVG: escaped, and without the characters XML cannot hold."""
    return escape(xml_text(value))


def _colour(cluster: str | None, order: dict[str, int]) -> str:
    if cluster is None:
        return UNCLUSTERED
    return PALETTE[order[cluster] % len(PALETTE)]


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _left_out(message: str, count: int, height: int) -> str:
    """A note of what the drawing leaves out (when anything), and the closing tag."""
    if count <= 0:
        return "</svg>"
    return (f'<text x="8" y="{height - 7}" font-size="12" fill="#555">'
            f'{_esc(message.replace("{n}", str(count)))}</text></svg>')


def _chosen_places(out: LinkageOut, limit: int) -> list[PlaceOut]:
    """The places to draw: clustered first, then by contents held; at most ``limit``."""
    ranked = sorted(out.places, key=lambda p: (p.cluster is None, -len(p.contents), p.key))
    chosen = ranked[:limit]
    cluster_rank = {c.id: n for n, c in enumerate(out.clusters)}
    chosen.sort(key=lambda p: (cluster_rank.get(p.cluster or "", len(cluster_rank)), p.key))
    return chosen


def graph_svg(out: LinkageOut, *, labels: dict[str, str] | None = None,
              max_places: int = MAX_PLACES) -> str:
    """The places and the contents they share, as an ``<svg>`` element."""
    text = labels or {}
    places = _chosen_places(out, max_places)
    width, height = 900, 620 if places else 120
    cx, cy, radius = width / 2, height / 2, 210.0
    order = {c.id: n for n, c in enumerate(out.clusters)}
    position: dict[str, tuple[float, float]] = {}
    n = len(places)
    for i, p in enumerate(places):
        if n == 1:
            position[p.key] = (cx, cy)
            continue
        angle = -math.pi / 2 + 2 * math.pi * i / n
        position[p.key] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    title = text.get("graph_title", "Places that share content")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_esc(title)}" class="chart linkage-graph">',
             f"<title>{_esc(title)}</title>",
             f'<rect width="{width}" height="{height}" fill="#fff"/>']
    if not places:
        parts.append(f'<text x="{cx}" y="{cy}" text-anchor="middle" font-size="16" '
                     f'fill="#555">{_esc(text.get("empty", "No content found yet."))}</text>')
        parts.append("</svg>")
        return "".join(parts)
    heaviest = max((e.weight for e in out.edges), default=1)
    for e in out.edges:
        if e.a not in position or e.b not in position:
            continue
        (x1, y1), (x2, y2) = position[e.a], position[e.b]
        strong = e.weight >= out.min_shared
        stroke = 1.0 + 7.0 * math.log1p(e.weight) / math.log1p(heaviest)
        dash = "" if strong else ' stroke-dasharray="4 3"'
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{"#444" if strong else "#bbb"}" stroke-width="{stroke:.1f}" '
            f'stroke-opacity="0.7"{dash}>'
            f"<title>{_esc(e.a)} — {_esc(e.b)}: {e.weight} "
            f"({_esc(' '.join(e.contents[:20]))})</title></line>")
    most = max(len(p.contents) for p in places) or 1
    for p in places:
        x, y = position[p.key]
        r = 7.0 + 17.0 * math.sqrt(len(p.contents) / most)
        colour = _colour(p.cluster, order)
        parts.append(
            f'<g class="place"><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
            f'fill-opacity="0.85" stroke="#222" stroke-width="1">'
            f"<title>{_esc(p.label)} ({_esc(p.key)}) · "
            f"{_esc(text.get('contents', 'contents'))} {len(p.contents)} · "
            f"{_esc(text.get('cluster', 'cluster'))} {_esc(p.cluster or '-')}</title>"
            f"</circle>")
        if n == 1:
            lx, ly, anchor = x, y + r + 16, "middle"
        else:
            dx, dy = x - cx, y - cy
            norm = math.hypot(dx, dy) or 1.0
            lx, ly = x + dx / norm * (r + 6), y + dy / norm * (r + 6) + 4
            anchor = "start" if dx > 1 else "end" if dx < -1 else "middle"
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="15" '
                     f'fill="#222">{_esc(_short(p.label))}</text></g>')
    parts.append(_left_out(text.get("more", "{n} more places not drawn"),
                           len(out.places) - len(places), height))
    return "".join(parts)


def _tick_label(moment: dt.datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


def timeline_svg(out: LinkageOut, *, labels: dict[str, str] | None = None,
                 max_rows: int = MAX_ROWS) -> str:
    """One row per content: a mark where and when it reached each place (KST axis)."""
    text = labels or {}
    contents = out.contents[:max_rows]
    cluster_of = {p.key: p.cluster for p in out.places}
    label_of = {p.key: p.label for p in out.places}
    order = {c.id: n for n, c in enumerate(out.clusters)}
    left, right, top, row_h = 70, 40, 34, 30
    width = 820
    height = top + row_h * max(len(contents), 1) + 40
    title = text.get("timeline_title", "How each content spread")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_esc(title)}" class="chart linkage-timeline">',
             f"<title>{_esc(title)}</title>",
             f'<rect width="{width}" height="{height}" fill="#fff"/>']
    events = [e for e in out.timeline if e.content in {c.id for c in contents}]
    if not events:
        parts.append(f'<text x="{width / 2}" y="{top + 10}" text-anchor="middle" '
                     f'font-size="14" fill="#555">'
                     f'{_esc(text.get("empty", "No content found yet."))}</text></svg>')
        return "".join(parts)
    start = min(e.at for e in events)
    end = max(e.at for e in events)
    span = (end - start).total_seconds() or 1.0
    plot = width - left - right

    def x_of(moment: dt.datetime) -> float:
        return left + plot * (moment - start).total_seconds() / span

    axis_y = top + row_h * len(contents) + 4
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" '
                 f'stroke="#888"/>')
    for k in range(5):
        moment = start + dt.timedelta(seconds=span * k / 4)
        x = left + plot * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{axis_y}" '
                     f'stroke="#eee"/><text x="{x:.1f}" y="{axis_y + 18}" font-size="13" '
                     f'text-anchor="{anchor}" fill="#444">{_tick_label(moment)}</text>')
    rows = {c.id: n for n, c in enumerate(contents)}
    for c in contents:
        y = top + row_h * rows[c.id] + row_h / 2
        parts.append(f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end" font-size="14" '
                     f'fill="#222">{_esc(c.id)}</text>'
                     f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="#f2f2f2"/>')
    for e in events:
        y = top + row_h * rows[e.content] + row_h / 2
        colour = _colour(cluster_of.get(e.place), order)
        r = 9 if e.first else 7
        kind = text.get(e.at_kind, e.at_kind)
        parts.append(
            f'<circle cx="{x_of(e.at):.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" '
            f'stroke="{"#000" if e.first else "#fff"}" stroke-width="1.5">'
            f"<title>{_esc(e.content)} · {_esc(label_of.get(e.place, e.place))} · "
            f"{_tick_label(e.at)} KST ({_esc(kind)})</title></circle>")
    parts.append(_left_out(text.get("more_rows", "{n} more contents not drawn"),
                           len(out.contents) - len(contents), height))
    return "".join(parts)
