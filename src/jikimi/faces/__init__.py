"""jikimi.faces: consented face search, the pure part (no database, no HTTP).

:func:`detect_faces` finds every face in an image and embeds it with dlib's ResNet model
(128 floats; same person when the Euclidean distance is small). :class:`FaceIndex` searches
enrolled embeddings exactly (faiss), with add and remove by id and snapshots.
:class:`FaceSignal` is the ``face`` signal type for banks, scans and matching (distances in
thousandths). :func:`detect_media_faces` also reads videos (sampled frames,
:mod:`jikimi.faces.video`). :mod:`jikimi.faces.synthetic` runs an optional synthetic-media
model that the centre configures. ``STRICT_THRESHOLD`` and ``REVIEW_THRESHOLD`` come from
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
from jikimi.faces.synthetic import (
    DetectorStatus,
    Evaluation,
    SyntheticMediaModel,
    SyntheticScore,
    detector_status,
    load_model,
)
from jikimi.faces.thresholds import REVIEW_THRESHOLD, STRICT_THRESHOLD
from jikimi.faces.video import (
    FaceInMedia,
    MediaFaces,
    VideoSampling,
    detect_media_faces,
    detect_video_faces,
    frame_time,
    frame_variant,
)
from jikimi.matching import register_signal_type

register_signal_type(FaceSignal)

from jikimi.faces.service import (  # noqa: E402  (after the signal type is registered)
    Enrolled,
    FaceMatch,
    FoundFace,
    MediaSearch,
    enroll,
    erase,
    face_bank_name,
    search_media,
)

__all__ = [
    "DETECTION_LONG_SIDE",
    "EMBEDDING_DIM",
    "MAX_FACES",
    "REVIEW_THRESHOLD",
    "STRICT_THRESHOLD",
    "DetectedFace",
    "DetectorStatus",
    "Enrolled",
    "Evaluation",
    "FaceInMedia",
    "FaceIndex",
    "FaceIndexAdapter",
    "FaceMatch",
    "FaceSignal",
    "FoundFace",
    "MediaFaces",
    "MediaSearch",
    "SyntheticMediaModel",
    "SyntheticScore",
    "VideoSampling",
    "detect_faces",
    "detect_media_faces",
    "detect_video_faces",
    "detector_status",
    "embedding_from_value",
    "embedding_value",
    "enroll",
    "erase",
    "face_bank_name",
    "frame_time",
    "frame_variant",
    "from_signal_distance",
    "load_model",
    "parse_embeddings",
    "search_media",
    "to_signal_distance",
]
