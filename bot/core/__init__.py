"""Core: settings and the process-wide pieces every domain uses (issue 9 moves the rest here)."""
