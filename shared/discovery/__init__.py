"""Scheduled system scrapes: discovery grows the catalogue; refresh re-scrapes creators teams care about."""
