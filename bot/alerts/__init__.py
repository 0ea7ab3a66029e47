"""Detection and escalation: Alertmanager and PagerDuty webhooks open or join incidents
(triage cards, exactly once per alert group), and `/incident page` pages through PagerDuty."""

from __future__ import annotations

from bot.core.domain import Domain


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.alerts.queries` must not pull in the whole domain)."""
    from bot.alerts import commands, listeners
    from bot.alerts.install import install_alerts
    from bot.alerts.routes import add_alert_routes

    return Domain(
        "alerts",
        register=listeners.register,
        commands=(commands,),
        installers=(install_alerts,),
        routes=(add_alert_routes,),  # /alerts/alertmanager, /alerts/pagerduty
    )
