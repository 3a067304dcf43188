"""jikimi.hashing."""
