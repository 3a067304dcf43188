"""Tables of jikimi.takedown."""
