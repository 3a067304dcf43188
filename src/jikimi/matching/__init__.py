"""Banks of fingerprints and matching against them, for every signal type the same way."""

from jikimi.matching.lookup import file_lookups, lookups_for, media_lookups
from jikimi.matching.matcher import Hit, Matcher, Query, image_queries
from jikimi.matching.models import Bank, BankChange, BankEntry
from jikimi.matching.pdq_index import PdqIndex, brute_force_search
from jikimi.matching.schemas import AddedEntries, BankOut, EntryOut, MatchOut, MatchResult
from jikimi.matching.service import (
    NewEntry,
    add_entries,
    best_per_content,
    content_key,
    create_bank,
    entries_for_fingerprints,
    get_bank,
    list_banks,
    list_entries,
    match_queries,
    parse_hash_lines,
    queries_for_fingerprints,
    remove_case_entries,
    remove_entry,
)
from jikimi.matching.signal_types import (
    SIGNAL_TYPES,
    SignalIndex,
    SignalType,
    register_signal_type,
    signal_type,
)

__all__ = [
    "SIGNAL_TYPES", "AddedEntries", "Bank", "BankChange", "BankEntry", "BankOut", "EntryOut",
    "Hit", "MatchOut", "MatchResult", "Matcher", "NewEntry", "PdqIndex", "Query",
    "SignalIndex", "SignalType", "add_entries", "best_per_content", "brute_force_search",
    "content_key", "create_bank", "file_lookups", "lookups_for", "media_lookups",
    "entries_for_fingerprints", "get_bank", "image_queries", "list_banks", "list_entries",
    "match_queries", "parse_hash_lines", "queries_for_fingerprints", "register_signal_type",
    "remove_case_entries", "remove_entry",
    "signal_type",
]
