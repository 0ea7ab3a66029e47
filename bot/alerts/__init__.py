"""Detection and escalation: Alertmanager and PagerDuty webhooks open or join incidents
(triage cards, exactly once per alert group), and `/incident page` pages through PagerDuty."""
