"""Enterprises: respondents, ODR enrolment, USCC."""
