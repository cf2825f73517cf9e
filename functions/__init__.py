"""Cloud Functions entry points: thin, one module per deployed function."""
