"""Slack plumbing: the Web API client and identity, posting, files, the command grammar, answering
people, text.
"""
