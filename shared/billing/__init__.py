"""Billing domain."""
