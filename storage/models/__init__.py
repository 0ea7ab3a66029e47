"""The tables, one module per domain. Every change here needs a migration in
storage/migrations/versions.

Importing this package registers every table in SQLModel.metadata (what Alembic and the
migration test compare against), and re-exports them all, so `from storage.models import X`
works for any table; code that uses one domain's tables may import its module directly.
"""

from __future__ import annotations

from storage.models.alerts import Alert, AlertGroup, PageEvent
from storage.models.cadence import FatigueNudge, UpdatePrompt
from storage.models.checklists import ChecklistItem, IncidentChecklistMessage, IncidentRunbook
from storage.models.followthrough import ActionTicket, FollowthroughSend
from storage.models.home import HomeView
from storage.models.incidents import OPEN_STATUSES, SEVERITIES, STATUSES, Incident
from storage.models.metrics import (
    BudgetWaiver,
    IncidentBudget,
    IncidentMetric,
    MetricCheck,
    MetricWatch,
)
from storage.models.oncall import OncallNightNudge, OncallOverride, OncallSwapRequest
from storage.models.oncall_handover import OncallHandover
from storage.models.paging import PageDelivery, PageEscalation, PageNotification
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.slack_requests import RateCount, SeenSlackRequest
from storage.models.status_maintenance import StatusMaintenance
from storage.models.status_page import (
    ComponentState,
    PublicIncident,
    PublicUpdate,
    StatusSnapshot,
)
from storage.models.statuspage import StatuspageSync
from storage.models.timeline import EntryKind, TimelineEntry, TimelineMark, TimelineRevision
from storage.models.webhooks import WebhookDelivery

__all__ = [
    "OPEN_STATUSES",
    "SEVERITIES",
    "STATUSES",
    "ActionItem",
    "ActionTicket",
    "Alert",
    "AlertGroup",
    "BudgetWaiver",
    "ChecklistItem",
    "ComponentState",
    "EntryKind",
    "FatigueNudge",
    "FollowthroughSend",
    "HomeView",
    "Incident",
    "IncidentBudget",
    "IncidentChecklistMessage",
    "IncidentMetric",
    "IncidentRunbook",
    "MetricCheck",
    "MetricWatch",
    "OncallHandover",
    "OncallNightNudge",
    "OncallOverride",
    "OncallSwapRequest",
    "PageDelivery",
    "PageEscalation",
    "PageEvent",
    "PageNotification",
    "PostmortemItem",
    "PublicIncident",
    "PublicUpdate",
    "RateCount",
    "SeenSlackRequest",
    "StatusMaintenance",
    "StatusSnapshot",
    "StatuspageSync",
    "TimelineEntry",
    "TimelineMark",
    "TimelineRevision",
    "UpdatePrompt",
    "WebhookDelivery",
]
