"""The public status page: public incidents, their updates, component states, kept renderings

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "public_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", _text(16), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("impact", _text(16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("monitoring_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_table(
        "public_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", _text(16), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("affected", sa.Text(), nullable=False),
        sa.Column("created_by", _text(32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["public_incident_id"], ["public_incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_index(
        op.f("ix_public_update_public_incident_id"),
        "public_update",
        ["public_incident_id"],
        unique=False,
    )
    op.create_table(
        "component_state",
        sa.Column("name", _text(80), nullable=False),
        sa.Column("status", _text(32), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "status_snapshot",
        sa.Column("path", _text(200), nullable=False),
        sa.Column("content_type", _text(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("etag", _text(80), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("rendered_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade() -> None:
    op.drop_table("status_snapshot")
    op.drop_table("component_state")
    op.drop_index(op.f("ix_public_update_public_incident_id"), table_name="public_update")
    op.drop_table("public_update")
    op.drop_table("public_incident")
