"""jikimi.web."""
