"""Errors that carry a message meant for the person in Slack."""


class UserError(Exception):
    """Bad input or a refused action. Its text is shown to the person, ephemerally, as is."""


class RefusedSetting(Exception):
    """A setting that Slack refused (a wrong or revoked token): a mistake to fix, not an outage
    to wait out. The process stops with exit code 2 and this one line, naming the setting."""
