"""Tables of jikimi.investigation."""
