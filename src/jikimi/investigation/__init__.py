"""jikimi.investigation (being built)."""
