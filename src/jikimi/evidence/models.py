"""Tables of jikimi.evidence."""
