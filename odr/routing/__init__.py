"""Routing: which enterprise negotiates a complaint and which regulator office is competent."""
