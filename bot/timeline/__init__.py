"""The timeline: every message in a war room captured exactly once, backfill, key events, time
parsing, rendering.
"""
