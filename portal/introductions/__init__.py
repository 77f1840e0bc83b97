"""Introductions: double opt-in introductions between two members, requested directly or
brokered by an ecosystem admin, with a private conversation, expiry, weekly limits and a
follow-up that records whether the two met and partnered."""
