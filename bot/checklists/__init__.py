"""Process at 3am: checklists from CHECKLISTS_FILE, runbook links, and how we know it is fixed."""
