"""Slack plumbing: the Web API client, identity, posting, credentials."""
