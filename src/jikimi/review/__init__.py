"""The review queue: matches ordered by harm and confidence, confirmed or rejected."""

from jikimi.review.models import ReviewDecision
from jikimi.review.schemas import QueueEntry
from jikimi.review.service import (
    QUARANTINE_ITEMS,
    REVIEW_TRANSITIONS,
    ReviewStatus,
    confirm,
    counts,
    on_match_confirmed,
    queue,
    reject,
)

__all__ = [
    "QUARANTINE_ITEMS", "REVIEW_TRANSITIONS", "QueueEntry", "ReviewDecision", "ReviewStatus",
    "confirm", "counts", "on_match_confirmed", "queue", "reject",
]
