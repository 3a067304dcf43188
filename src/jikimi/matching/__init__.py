"""jikimi.matching."""
