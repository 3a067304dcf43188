"""Durable, resumable scans of sources: enumerate → fetch → fingerprint → match."""

from jikimi.scans.analysis import ItemResult, PendingItem, analyse_batch, analyse_item
from jikimi.scans.models import Item, ItemMatch, ItemVersion, Scan, ScanItem, SourceRecord
from jikimi.scans.schemas import ScanDetail, ScanItemOut, ScanMatchOut, ScanSummary, SourceOut
from jikimi.scans.service import (
    ItemExecutor,
    LocalExecutor,
    ScanProgress,
    add_source,
    due_sources,
    enumerate_scan,
    get_source,
    list_scans,
    list_sources,
    process_scan,
    run_scan,
    show_scan,
    start_scan,
    summary,
    unfinished_scans,
)

__all__ = [
    "Item", "ItemExecutor", "ItemMatch", "ItemResult", "ItemVersion", "LocalExecutor",
    "PendingItem", "Scan", "ScanDetail", "ScanItem", "ScanItemOut", "ScanMatchOut",
    "ScanProgress", "ScanSummary", "SourceOut", "SourceRecord", "add_source", "analyse_batch",
    "analyse_item", "due_sources", "enumerate_scan", "list_scans", "list_sources",
    "get_source", "process_scan", "run_scan", "show_scan", "start_scan", "summary", "unfinished_scans",
]
