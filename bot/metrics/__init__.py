"""The metric beside the incident: the alert's own PromQL expression (its generatorURL's
`g0.expr`, or a `promql` annotation) or one a person adds with `/incident metric`, asked of
PROMETHEUS_URL at declare and at each status-update reminder: whether it still returns series,
their values with labels and a chart of the last hour, in the war room and on the card.
Prometheus away is said in one line and never holds up the declare or the reminder. And
`/incident verify --watch`: the verification recorded once the expression has been quiet for
the window (watch.py). And error budgets: the configuration file's `slos` (slo_config.py),
the burn rate and budget left on the card, the budget spent in the postmortem and the stats,
and the deploy gate closed by a spent budget (budget*.py)."""

from __future__ import annotations

from bot.core.domain import Domain, Hook


def domain() -> Domain:
    """What the process needs of this domain (imported only when asked: `import
    bot.metrics.expr` must not pull in the whole domain)."""
    from bot.alerts.declare import JOINED_HOOKS
    from bot.cadence.sender import PROMPTED_HOOKS
    from bot.checklists.fix_verification import WATCH_HOOKS
    from bot.followthrough.gate_hooks import GATE_HOOKS, WAIVE_HOOKS
    from bot.learning.commands.stats import STATS_HOOKS
    from bot.metrics import budget_hooks as budgets
    from bot.metrics import commands
    from bot.metrics.budget_worker import install_budgets
    from bot.metrics.hooks import alert_declared, alert_joined, metric_card_blocks, reminded
    from bot.metrics.slo_config import SLOS
    from bot.metrics.watch import install_watches, start_watch, watch_chosen, watch_offered
    from bot.metrics.worker import install_metrics
    from bot.postmortem.render.draft import DRAFT_HOOKS, EXPORT_HOOKS
    from bot.response.card import CARD_HOOKS
    from bot.response.declare import DECLARED_HOOKS
    from bot.response.lifecycle import RESOLVED_HOOKS
    from bot.response.resolve_modal import WATCH_OFFERS, WATCH_STARTS

    return Domain(
        "metrics",
        commands=(commands,),
        installers=(install_metrics, install_watches, install_budgets),
        hooks=(
            Hook(DECLARED_HOOKS, alert_declared),  # the alert's expression; the error budget
            Hook(JOINED_HOOKS, alert_joined),  # an alert added to an open incident
            Hook(PROMPTED_HOOKS, reminded),  # asked again at each reminder
            Hook(CARD_HOOKS, metric_card_blocks),  # the last answer, the budget, on the card
            Hook(WATCH_HOOKS, start_watch),  # /incident verify --watch
            Hook(WATCH_OFFERS, watch_offered),  # the resolve form offers the watch
            Hook(WATCH_STARTS, watch_chosen),
            # The error budget's look at declare and at each reminder: from the hooks above.
            Hook(RESOLVED_HOOKS, budgets.budget_resolved),  # the figure at resolve
            Hook(DRAFT_HOOKS, budgets.budget_draft),  # the budget spent by the incident
            Hook(EXPORT_HOOKS, budgets.budget_export),
            Hook(STATS_HOOKS, budgets.budget_stats),  # spent per service over the period
            Hook(GATE_HOOKS, budgets.budget_gate),  # DEPLOY_GATE_ERROR_BUDGET
            Hook(WAIVE_HOOKS, ("budget", budgets.waive_budget)),  # /postmortem waive budget
        ),
        config_section=SLOS,
    )
