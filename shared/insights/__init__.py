"""Profile-level insights: engagement, audience quality, fraud, behaviour, trends, audience, content."""
