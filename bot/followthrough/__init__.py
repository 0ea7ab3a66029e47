"""Follow-through (issue 12): action items become tickets, done means verified, owners are
nudged, and an open P0 blocks the next deploy."""
