"""Local Apify stand-in: serves the bundled sample dataset through Apify's HTTP API."""
