"""Creators domain."""
