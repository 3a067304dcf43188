"""jikimi.partners (being built)."""
