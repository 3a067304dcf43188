"""jikimi.portal: the victim portal (public pages; fingerprints computed in the browser)."""
