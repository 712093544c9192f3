"""Notifications: the outbox written with each case event, and the dispatcher that delivers it."""
