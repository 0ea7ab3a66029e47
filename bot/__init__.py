"""Sisyphus: an incident-response bot for Slack."""
