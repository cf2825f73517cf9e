"""Analysis domain."""
