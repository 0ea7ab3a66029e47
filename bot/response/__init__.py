"""Running the response: declaring, roles, status and severity, resolve and reopen, handoffs,
status updates.
"""
