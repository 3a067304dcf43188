"""jikimi.hashing: bytes in, fingerprints out. No database, no HTTP.

Images: PDQ exactly as Meta's reference computes it (bit for bit on its test vectors), PDQ's 8
dihedral variants, SHA-256 and MD5, and registration variants that make mirrored, rotated,
framed and cropped re-uploads match. Videos: Meta's vPDQ (a PDQ hash per sampled frame),
decoded in a child process under a time limit. Every file is decoded through one safe decoder
with :class:`DecodeLimits`; bad files raise ``jikimi.errors.UnsupportedMedia``,
``MediaTooLarge`` or ``CorruptMedia``.
"""

from jikimi.hashing.decode import DecodeLimits, MediaFormat, MediaKind, sniff_format
from jikimi.hashing.fingerprints import (
    DEFAULT_LIMITS,
    Fingerprints,
    ImageFingerprints,
    VideoFingerprints,
    fingerprint_bytes,
    fingerprint_file,
    query_variants,
    registration_variants,
)
from jikimi.hashing.pdq import (
    DIHEDRAL_NAMES,
    LOW_QUALITY_THRESHOLD,
    MATCH_THRESHOLD,
    PdqHash,
    hamming_distance,
)
from jikimi.hashing.variants import PdqVariant
from jikimi.hashing.video import VideoFrameHash, VpdqMatch, compare_vpdq

__all__ = [
    "DEFAULT_LIMITS",
    "DIHEDRAL_NAMES",
    "LOW_QUALITY_THRESHOLD",
    "MATCH_THRESHOLD",
    "DecodeLimits",
    "Fingerprints",
    "ImageFingerprints",
    "MediaFormat",
    "MediaKind",
    "PdqHash",
    "PdqVariant",
    "VideoFingerprints",
    "VideoFrameHash",
    "VpdqMatch",
    "compare_vpdq",
    "fingerprint_bytes",
    "fingerprint_file",
    "hamming_distance",
    "query_variants",
    "registration_variants",
    "sniff_format",
]
