"""The brand's catalogue: search over the creators we hold, and lookalikes on their content vectors."""
