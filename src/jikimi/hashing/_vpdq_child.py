"""Child process that runs Meta's vPDQ on one video file and prints the frames as JSON.

Run as a script (not as a module of the package) so that it imports nothing but ``vpdq``:
``python _vpdq_child.py PATH SECONDS_PER_HASH``. The parent enforces the time limit.
Output: a JSON list of ``[frame_number, timestamp, quality, pdq_hex]``; exit status 3 and a
message on stderr when vpdq cannot decode the file.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    """Hash the video named in ``argv`` and write the frames to stdout."""
    import vpdq

    path, seconds_per_hash = argv[1], float(argv[2])
    try:
        features = vpdq.computeHash(path, seconds_per_hash=seconds_per_hash)
    except Exception as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 3
    frames = [[f.frame_number, round(float(f.timestamp), 3), f.quality, f.hex] for f in features]
    sys.stdout.write(json.dumps(frames))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
