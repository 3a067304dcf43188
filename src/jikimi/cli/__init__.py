"""jikimi.cli."""
