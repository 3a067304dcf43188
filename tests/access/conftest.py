"""The access tests reuse the scan fixtures (a benign site and generated media)."""

from tests.scans.conftest import media, site  # noqa: F401
