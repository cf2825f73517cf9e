"""Teams domain."""
