"""jikimi.api."""
