"""The status-update cadence: the reminder clock (only this package writes it), claiming and
posting reminders, snoozing.
"""
