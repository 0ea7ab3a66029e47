"""The full-text index over incidents, as DDL for each backend (used by migration 0007).

What is searched: an incident's title, description, resolution summary and tags; every
postmortem item (summary, impact, factors, whys, what went well or poorly, lessons); action
items; and the timeline's notes and status updates (not every chat message).

PostgreSQL: a generated `search_vector` column (`to_tsvector('english', ...)`) on each source
table, with a GIN index, so the database keeps both itself.

SQLite: one FTS5 table, `search_fts`, filled by triggers on the four source tables. Each row's
rowid packs the incident, the source and the source row's id (ROWID_INCIDENT_SHIFT), so a
change replaces its one row, and a search reads which incidents match from the index alone,
without touching the stored text.
`ensure_sqlite_search` re-creates missing triggers and rebuilds the table: a later migration
that rebuilds a source table in batch mode (SQLite's ALTER) drops that table's triggers.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

SEARCHED_KINDS = ("note", "status_update")
_KINDS_SQL = ", ".join(f"'{k}'" for k in SEARCHED_KINDS)

INCIDENT_TEXT = (
    "coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(resolution_summary, '') || ' ' || coalesce(tags, '')"
)
# (table, text expression, incident id column, partial-index condition) per source number.
_INCIDENT_COLS = "title, description, resolution_summary, tags"
SOURCES: dict[int, tuple[str, str, str, str | None]] = {
    0: ("incident", INCIDENT_TEXT, "id", None),
    1: ("postmortem_item", "text", "incident_id", None),
    2: ("action_item", "text", "incident_id", None),
    3: ("timeline_entry", "text", "incident_id", f"kind IN ({_KINDS_SQL})"),
}
# PostgreSQL keeps each source's tsvector in a generated column (ranking reads it instead of
# parsing the text again for every match), NULL where the row is not searched.
VECTOR_COLUMN = "search_vector"
SEARCH_VECTORS = {n: VECTOR_COLUMN for n in SOURCES}


def postgres_index_ddl() -> list[str]:
    out = []
    for table, expr, _, where in SOURCES.values():
        vector = f"to_tsvector('english', {expr})"
        if where:
            vector = f"CASE WHEN {where} THEN {vector} END"
        out.append(
            f"ALTER TABLE {table} ADD COLUMN {VECTOR_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        ddl = f"CREATE INDEX ix_{table}_search ON {table} USING gin ({VECTOR_COLUMN})"
        out.append(ddl + (f" WHERE {where}" if where else ""))
    return out


def postgres_drop_ddl() -> list[str]:
    out = []
    for table, _, _, _ in SOURCES.values():
        out.append(f"DROP INDEX IF EXISTS ix_{table}_search")
        out.append(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}")
    return out


FTS_NAME = "search_fts"
FTS_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_NAME} USING fts5("
    "body, incident_id UNINDEXED, source UNINDEXED, tokenize = 'porter unicode61')"
)


# rowid = incident_id << 34 | source << 32 | source row id (row ids up to 2^32, incidents 2^29)
ROWID_INCIDENT_SHIFT = 34
ROWID_SOURCE_SHIFT = 32


def _sqlite_row(n: int, prefix: str) -> tuple[str, str]:
    """(rowid, body) expressions for source n, over `prefix` (new./old. or a table alias)."""
    _, expr, id_col, _ = SOURCES[n]
    body = expr
    for column in ("title", "description", "resolution_summary", "tags", "text"):
        body = body.replace(f"({column},", f"({prefix}{column},")
    if body == "text":
        body = f"{prefix}text"
    rowid = (
        f"({prefix}{id_col} * {1 << ROWID_INCIDENT_SHIFT} + {n << ROWID_SOURCE_SHIFT} + {prefix}id)"
    )
    return rowid, body


def sqlite_trigger_ddl() -> dict[str, str]:
    """Trigger name -> CREATE TRIGGER IF NOT EXISTS statement."""
    out: dict[str, str] = {}
    for n, (table, _, id_col, where) in SOURCES.items():
        new_rowid, new_body = _sqlite_row(n, "new.")
        old_rowid, _ = _sqlite_row(n, "old.")
        condition = f" WHERE {where.replace('kind', 'new.kind')}" if where else ""
        insert = (
            f"INSERT INTO search_fts(rowid, body, incident_id, source) "
            f"SELECT {new_rowid}, {new_body}, new.{id_col}, {n}{condition};"
        )
        delete = f"DELETE FROM search_fts WHERE rowid = {old_rowid};"
        columns = "text, kind" if where else ("text" if table != "incident" else _INCIDENT_COLS)
        name = f"search_{table}"
        out[f"{name}_ai"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {table} BEGIN {insert} END"
        )
        out[f"{name}_au"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {delete} {insert} END"
        )
        out[f"{name}_ad"] = (
            f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {table} BEGIN {delete} END"
        )
    return out


def sqlite_fill_sql() -> list[str]:
    """Statements that (re)fill search_fts from the source tables."""
    out = ["DELETE FROM search_fts"]
    for n, (table, _, id_col, where) in SOURCES.items():
        rowid, body = _sqlite_row(n, "")
        out.append(
            f"INSERT INTO search_fts(rowid, body, incident_id, source) "
            f"SELECT {rowid}, {body}, {id_col}, {n} FROM {table}"
            + (f" WHERE {where}" if where else "")
        )
    return out


def ensure_sqlite_search(connection: Connection) -> bool:
    """Re-create missing triggers (and refill the index then). True if anything was missing."""
    present = {
        row[0]
        for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
    }
    has_table = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE name = 'search_fts'")
    ).first()
    wanted = sqlite_trigger_ddl()
    if has_table and wanted.keys() <= present:
        return False
    connection.execute(text(FTS_TABLE))
    for ddl in partial_index_ddl():
        connection.execute(text(ddl))
    for ddl in wanted.values():
        connection.execute(text(ddl))
    for sql in sqlite_fill_sql():
        connection.execute(text(sql))
    return True


# Partial indexes for /incident stats: status updates and integrations' messages (alerts)
# of an incident, without indexing every message by kind. Queries must say `kind = '...'`.
# The conditions are the queries' own words (SQLite uses a partial index only then), and
# they cover those queries: no table reads among millions of messages.
PARTIAL_INDEXES = {
    "ix_timeline_entry_status_updates": "kind = 'status_update' AND deleted_at IS NULL",
    "ix_timeline_entry_bot_messages": "kind = 'bot_message'",
}


def partial_index_ddl() -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON timeline_entry (incident_id, occurred_at) "
        f"WHERE {condition}"
        for name, condition in PARTIAL_INDEXES.items()
    ]


def is_search_object(name: str | None, type_: str) -> bool:
    """The FTS5 table (and its shadow tables), the GIN indexes and the partial indexes:
    raw DDL, not models."""
    name = str(name or "")
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "table":
        return name == "search_fts" or name.startswith("search_fts_")
    if type_ == "index":
        gin = {f"ix_{table}_search" for table, _, _, _ in SOURCES.values()}
        return name in gin or name in PARTIAL_INDEXES
    return False
