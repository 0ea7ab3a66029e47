"""Errors that carry a message meant for the person in Slack."""


class UserError(Exception):
    """Bad input or a refused action. Its text is shown to the person, ephemerally, as is."""
