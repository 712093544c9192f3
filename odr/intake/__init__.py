"""Intake: the web form's and the JSON API's way into submit()."""
