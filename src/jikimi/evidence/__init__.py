"""jikimi.evidence (being built)."""
