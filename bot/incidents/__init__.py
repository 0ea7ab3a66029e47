"""The incident record: its row and queries, finding the incident a channel belongs to, its card."""
