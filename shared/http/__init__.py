"""HTTP plumbing for functions: routing, problem+json, push endpoints, OpenAPI."""
