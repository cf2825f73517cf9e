"""Post analytics by URL: one post or reel through the same scrape, CDN and models; a team's posts by campaign."""
