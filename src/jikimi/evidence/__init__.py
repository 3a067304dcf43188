"""Evidence: encrypted captures (WARC), chain of custody, signed packages, Korean reports.

Other capabilities use this interface::

    from jikimi import evidence
    items = evidence.list_evidence(ctx, "DSC-2026-000001")      # list[EvidenceSummary]
    detail = evidence.capture_url(ctx, "DSC-2026-000001", "https://example.org/p/1",
                                  reason="reported by the victim")
    detail = evidence.capture_from_match(ctx, match_id)          # a confirmed match's item

Every call that touches an item records a custody event on it (pass ``via=`` and ``reason=``
to say how and why).
"""

from jikimi.evidence.capture import CaptureOptions
from jikimi.evidence.models import CustodyEvent, EvidenceItem
from jikimi.evidence.schemas import (
    CapturedResource,
    CustodyEntry,
    EvidenceDetail,
    EvidenceSummary,
    TlsCertificate,
)
from jikimi.evidence.service import (
    Custody,
    capture_from_match,
    capture_url,
    custody_log,
    destroy,
    get_evidence,
    list_evidence,
    open_content,
    preview,
)

__all__ = [
    "CaptureOptions",
    "CapturedResource",
    "Custody",
    "CustodyEntry",
    "CustodyEvent",
    "EvidenceDetail",
    "EvidenceItem",
    "EvidenceSummary",
    "TlsCertificate",
    "capture_from_match",
    "capture_url",
    "custody_log",
    "destroy",
    "get_evidence",
    "list_evidence",
    "open_content",
    "preview",
]
