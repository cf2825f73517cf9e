"""Media domain: fetching creators' images safely, renditions, and re-hosting them on R2."""
