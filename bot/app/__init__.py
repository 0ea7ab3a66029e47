"""The process: settings read, the Bolt app assembled, the HTTP server run, start-up and stop."""
