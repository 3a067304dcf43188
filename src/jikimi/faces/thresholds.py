"""Face distance thresholds, calibrated by ``benchmarks/bench_faces.py`` on
``../shared/data/faces`` (see ``docs/benchmarks-faces.md`` for the table and its limits).

Euclidean distance between dlib ResNet embeddings (5-point alignment, HOG detector, as
computed by :func:`jikimi.faces.detect_faces`).
"""

STRICT_THRESHOLD = 0.55
"""The closest different-person pair of the calibration set (0.662) minus a 0.10 margin:
0/335 false accepts (FAR <= 1.1 % at 95 %, all this small set can show), 42/43 true accepts.
A match here is strong evidence, still confirmed by a human."""

REVIEW_THRESHOLD = 0.60
"""dlib's classic same-person threshold (its author's LFW calibration); 0/335 false accepts
and 42/43 true accepts on the calibration set. The wider net for the review queue, and
``FaceSignal.default_threshold``."""
