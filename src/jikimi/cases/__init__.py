"""jikimi.cases."""
