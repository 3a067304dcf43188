"""jikimi.faces: consented face search, the pure part (no database, no HTTP).

:func:`detect_faces` finds every face in an image and embeds it with dlib's ResNet model
(128 floats; same person when the Euclidean distance is small). :class:`FaceIndex` searches
enrolled embeddings exactly (faiss), with add and remove by id and snapshots.
:class:`FaceSignal` is the ``face`` signal type for banks, scans and matching (distances in
thousandths). ``STRICT_THRESHOLD`` and ``REVIEW_THRESHOLD`` come from
``benchmarks/bench_faces.py`` (``docs/benchmarks-faces.md``).
"""

from jikimi.faces.embedding import (
    DETECTION_LONG_SIDE,
    MAX_FACES,
    DetectedFace,
    detect_faces,
)
from jikimi.faces.index import EMBEDDING_DIM, FaceIndex, parse_embeddings
from jikimi.faces.signal import (
    FaceIndexAdapter,
    FaceSignal,
    embedding_from_value,
    embedding_value,
    from_signal_distance,
    to_signal_distance,
)
from jikimi.faces.thresholds import REVIEW_THRESHOLD, STRICT_THRESHOLD
from jikimi.matching import register_signal_type

register_signal_type(FaceSignal)

from jikimi.faces.service import (  # noqa: E402  (after the signal type is registered)
    Enrolled,
    FaceMatch,
    FoundFace,
    enroll,
    erase,
    face_bank_name,
    search_image,
)

__all__ = [
    "DETECTION_LONG_SIDE",
    "EMBEDDING_DIM",
    "MAX_FACES",
    "REVIEW_THRESHOLD",
    "STRICT_THRESHOLD",
    "DetectedFace",
    "Enrolled",
    "FaceIndex",
    "FaceIndexAdapter",
    "FaceMatch",
    "FaceSignal",
    "FoundFace",
    "detect_faces",
    "embedding_from_value",
    "embedding_value",
    "enroll",
    "erase",
    "face_bank_name",
    "from_signal_distance",
    "parse_embeddings",
    "search_image",
    "to_signal_distance",
]
