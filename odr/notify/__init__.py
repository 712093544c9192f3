"""Notifications: the outbox rows (written with each case event by odr/cases/outbox.py), the
dispatcher that delivers them, channels and templates. It never imports odr.cases."""
