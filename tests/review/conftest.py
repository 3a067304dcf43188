"""Review tests reuse the scan fixtures (a site, media, an installation with a bank)."""

from tests.scans.conftest import install, media, site  # noqa: F401
