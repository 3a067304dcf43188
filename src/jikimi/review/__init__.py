"""The review queue: matches ordered by harm and confidence, confirmed or rejected."""

from jikimi.review.findings import CaseFindings, case_findings
from jikimi.review.models import ReviewDecision
from jikimi.review.preview import Preview, PreviewTarget, make_preview, placeholder, render
from jikimi.review.schemas import BulkOutcome, MatchDetail, QueueEntry
from jikimi.review.service import (
    FACE_LABEL,
    MAX_BULK,
    QUARANTINE_ITEMS,
    REVIEW_TRANSITIONS,
    ReviewStatus,
    assign,
    confirm,
    counts,
    decide_many,
    detail,
    on_match_confirmed,
    preview_target,
    queue,
    reject,
    release,
    reviewers,
)

__all__ = [
    "FACE_LABEL", "MAX_BULK", "QUARANTINE_ITEMS", "REVIEW_TRANSITIONS", "BulkOutcome",
    "CaseFindings", "MatchDetail", "Preview", "PreviewTarget", "QueueEntry", "ReviewDecision",
    "ReviewStatus", "assign", "case_findings", "confirm", "counts", "decide_many", "detail",
    "make_preview",
    "on_match_confirmed", "placeholder", "preview_target", "queue", "reject", "release",
    "render", "reviewers",
]
