"""Users, roles, sessions and guards."""
