"""Notifications: notification.requested -> the team's owners (or one address) -> mail."""
