"""The inference engine: per-task pre/core/post, a token-budget dynamic batcher, profile loading."""
