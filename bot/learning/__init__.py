"""Learning across incidents: search, similar incidents, tags, "Seen before", stats with charts,
the timeline picture, publishing, bulk export and import, drills."""
