"""jikimi.accounts."""
