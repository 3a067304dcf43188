"""Face distance thresholds, calibrated by ``benchmarks/bench_faces.py`` on
``../shared/data/faces`` (see ``docs/benchmarks-faces.md`` for the table and its limits).

Euclidean distance between dlib ResNet embeddings (5-point alignment, HOG detector, as
computed by :func:`jikimi.faces.detect_faces`).
"""

STRICT_THRESHOLD = 0.55
"""No different-person pair of the calibration set is this close (closest: see the benchmark);
a match here is strong evidence, still confirmed by a human."""

REVIEW_THRESHOLD = 0.60
"""Wider net for the review queue: catches nearly every same-person pair of the calibration
set, at the cost of some different-person candidates for a human to reject."""
