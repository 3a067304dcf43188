"""Tables of jikimi.partners."""
