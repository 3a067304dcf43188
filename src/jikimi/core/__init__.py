"""jikimi.core."""
