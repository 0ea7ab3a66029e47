"""Metrics: an incident's PromQL expressions, its checks and watches, the alert's `promql`

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "incident_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(32), nullable=False),
        sa.Column("expr", sa.Text(), nullable=False),
        sa.Column("source", _text(16), nullable=False),
        sa.Column("added_by", _text(32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "name", name="uq_incident_metric_name"),
    )
    op.create_index(
        op.f("ix_incident_metric_incident_id"), "incident_metric", ["incident_id"], unique=False
    )
    op.create_table(
        "metric_check",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("why", _text(16), nullable=False),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index(op.f("ix_metric_check_due_at"), "metric_check", ["due_at"], unique=False)
    op.create_table(
        "metric_watch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(32), nullable=False),
        sa.Column("expr", sa.Text(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("requested_by", _text(32), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("quiet_since", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("fired_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_metric_watch_status_due", "metric_watch", ["status", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_metric_watch_incident_id"), "metric_watch", ["incident_id"], unique=False
    )
    with op.batch_alter_table("alert_group") as batch:
        batch.add_column(sa.Column("promql", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_group") as batch:
        batch.drop_column("promql")
    op.drop_index(op.f("ix_metric_watch_incident_id"), table_name="metric_watch")
    op.drop_index("ix_metric_watch_status_due", table_name="metric_watch")
    op.drop_table("metric_watch")
    op.drop_index(op.f("ix_metric_check_due_at"), table_name="metric_check")
    op.drop_table("metric_check")
    op.drop_index(op.f("ix_incident_metric_incident_id"), table_name="incident_metric")
    op.drop_table("incident_metric")
