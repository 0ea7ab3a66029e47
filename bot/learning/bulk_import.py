"""Every incident back in: `python -m bot import`.

Import reads a file of `python -m bot export` (or a single `/postmortem export json` document),
checks every record before writing anything (each value as the bot would have stored it, see
bot.learning.import_rules; every child row its own record's), then writes them all in one
transaction: a file with any problem changes nothing, and each problem is named with its
record and field. Ids are kept, so an export imported into an empty database exports again as
the same document, and PostgreSQL's sequences are moved past them. An incident already there
(same id, same declaration) gets only the rows it lacks (bot.learning.import_merge); a
different incident under the same id is refused.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.learning.import_merge import add_missing_rows, advance_sequences
from bot.learning.import_rules import row_problems
from bot.postmortem.export import FORMAT, VERSION, ParsedRecord
from storage import Database
from storage.models.cadence import UpdatePrompt
from storage.models.incidents import Incident
from storage.models.postmortem import ActionItem, PostmortemItem
from storage.models.timeline import TimelineEntry, TimelineRevision
from storage.tables import table_of

MAX_SHOWN_PROBLEMS = 50


class ImportProblem(Exception):
    """A file that cannot be imported: one line per problem, each naming the record (its line)
    and the field."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def read_documents(stream: TextIO) -> Iterator[tuple[str, str]]:
    """(where, JSON text) of each record: one document, or JSON Lines of them."""
    first = stream.read(1)
    rest = stream.read()
    content = first + rest
    stripped = content.strip()
    if not stripped:
        raise ImportProblem("the file is empty: nothing to import")
    # One pretty-printed document spans lines; JSON Lines has one document per line.
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):  # JSON Lines, or no JSON (each line says why)
        pass
    else:
        yield "record 1", stripped
        return
    for number, line in enumerate(io.StringIO(content), start=1):
        if line.strip():
            yield f"line {number}", line


_LISTS = {
    "timeline": TimelineEntry,
    "revisions": TimelineRevision,
    "update_prompts": UpdatePrompt,
    "postmortem_items": PostmortemItem,
    "action_items": ActionItem,
}
_CHILDREN = ("timeline", "update_prompts", "postmortem_items", "action_items")


def _label(where: str, document: Any) -> str:
    incident = document.get("incident") if isinstance(document, dict) else None
    if isinstance(incident, dict) and "id" in incident:
        shown = incident.get("id")
        return f"{where} (incident #{shown if type(shown) is int else '?'})"
    return where


def check_record(where: str, raw: str) -> tuple[ParsedRecord | None, list[str]]:
    """One record read and checked: (the record, []) or (None, every problem found in it),
    each naming where it is and which field is wrong."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [f"{where}: not JSON ({exc.msg} at column {exc.colno})"]
    except RecursionError:
        return None, [f"{where}: JSON nested too deeply"]
    if not isinstance(document, dict):
        return None, [f"{where}: not a Sisyphus incident record (not a JSON object)"]
    label = _label(where, document)
    if document.get("format") != FORMAT:
        return None, [f"{label}: not a Sisyphus incident record (field `format`)"]
    if document.get("version") != VERSION:
        version = document.get("version")
        return None, [f"{label}: field `version` is {version!r:.40}; I read version {VERSION}"]
    problems = []
    for key in ("incident", *_LISTS):
        expected = dict if key == "incident" else list
        if not isinstance(document.get(key), expected):
            problems.append(f"{label}: field `{key}` is missing or not a JSON {expected.__name__}")
    if problems:
        return None, problems

    def problem(at: str, reason: str) -> None:
        problems.append(f"{label}: field `{at}` {reason}")

    for name, reason in row_problems(Incident, document["incident"]):
        problem(f"incident.{name}".rstrip("."), reason)
    for key, model in _LISTS.items():
        for n, row in enumerate(document[key]):
            for name, reason in row_problems(model, row):
                problem(f"{key}[{n}].{name}".rstrip("."), reason)
    if problems:
        return None, problems
    _check_belonging(document, problem)
    if problems:
        return None, problems
    return _parsed(document), []


def _check_belonging(document: dict[str, Any], problem: Callable[[str, str], None]) -> None:
    """Every child row is this record's own: its incident, its entries, no row twice."""
    own = document["incident"]["id"]
    for key in _CHILDREN:
        for n, row in enumerate(document[key]):
            if row["incident_id"] != own:
                problem(
                    f"{key}[{n}].incident_id",
                    f"is {row['incident_id']}, not this record's incident #{own}: a record "
                    "holds only its own rows",
                )
    entries = {row["id"] for row in document["timeline"]}
    for n, row in enumerate(document["revisions"]):
        if row["entry_id"] not in entries:
            problem(
                f"revisions[{n}].entry_id",
                f"is {row['entry_id']}, not an entry of this record's timeline",
            )
    unique = {
        "timeline": ("id", ("channel_id", "ts")),
        "revisions": ("id",),
        "update_prompts": ("id", "due_at"),
        "postmortem_items": ("id",),
        "action_items": ("id", "number"),
    }
    for key, keys in unique.items():
        for names in keys:
            columns = names if isinstance(names, tuple) else (names,)
            seen: set[tuple[Any, ...]] = set()
            for n, row in enumerate(document[key]):
                value = tuple(row.get(c) for c in columns)
                if None in value:
                    continue
                if value in seen:
                    problem(f"{key}[{n}].{columns[-1]}", f"repeats {'/'.join(columns)} {value}")
                seen.add(value)


def _parsed(document: dict[str, Any]) -> ParsedRecord:
    return ParsedRecord(
        incident=Incident.model_validate(document["incident"]),
        timeline=[TimelineEntry.model_validate(e) for e in document["timeline"]],
        revisions=[TimelineRevision.model_validate(r) for r in document["revisions"]],
        update_prompts=[UpdatePrompt.model_validate(p) for p in document["update_prompts"]],
        postmortem_items=[PostmortemItem.model_validate(i) for i in document["postmortem_items"]],
        action_items=[ActionItem.model_validate(a) for a in document["action_items"]],
    )


def parse_record(where: str, raw: str) -> ParsedRecord:
    """One record, checked, or an ImportProblem naming every field that is wrong."""
    record, problems = check_record(where, raw)
    if record is None:
        raise ImportProblem(problems)
    return record


def check_file(documents: Iterable[tuple[str, str]]) -> list[tuple[str, ParsedRecord]]:
    """Every record of a file, each checked, and checked against the others (no incident or
    row twice); an ImportProblem with every problem found (the first MAX_SHOWN_PROBLEMS)."""
    records: list[tuple[str, ParsedRecord]] = []
    problems: list[str] = []
    owners: dict[tuple[str, Any], str] = {}
    for where, raw in documents:
        record, found = check_record(where, raw)
        problems.extend(found)
        if record is None:
            continue
        label = f"{where} (incident #{record.incident.id})"
        keys: list[tuple[str, Any]] = [("incident", record.incident.id)]
        keys += [(key, row.id) for key in _LISTS for row in getattr(record, key)]
        messages = [e for e in record.timeline if e.ts and e.channel_id]
        keys += [("message", (e.channel_id, e.ts)) for e in messages]
        for key in keys:
            if key in owners:
                what = "this incident" if key[0] == "incident" else f"{key[0]} {key[1]}"
                problems.append(f"{label}: {what} is also in {owners[key]}")
            else:
                owners[key] = where
        records.append((where, record))
    if problems:
        shown = problems[:MAX_SHOWN_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more problems")
        raise ImportProblem(shown)
    return records


@dataclass
class ImportResult:
    imported: int
    skipped: int
    added: dict[str, int] = field(default_factory=dict)  # rows added to incidents already there


def _rows(models: Iterable[Any]) -> list[dict[str, Any]]:
    return [m.model_dump() for m in models]


async def import_records(
    db: Database, records: list[tuple[str, ParsedRecord]], progress: Callable[[int], None]
) -> ImportResult:
    """Write the records in one transaction. An incident already there (same number, same
    declaration) gets the rows it lacks, by their natural keys (bot.learning.import_merge);
    a different incident under the same number is refused."""
    result = ImportResult(0, 0)
    wrote = False
    written: set[int] = set()  # incidents of this file (a channel reused among them is theirs)
    async with db.session() as session:
        conn = await session.connection()
        for where, record in records:
            incident = record.incident
            label = f"{where} (incident #{incident.id})"
            existing = await session.get(Incident, incident.id)
            try:
                # No savepoint: on SQLite one opened outside BEGIN commits when released. The
                # first conflict ends the whole import anyway.
                if existing is None:
                    await _refuse_taking_a_war_room(session, label, incident, written)
                    await _insert_record(conn, record)
                    written.add(int(incident.id or 0))
                    result.imported += 1
                    wrote = True
                else:
                    if (existing.declared_at, existing.title) != (
                        incident.declared_at,
                        incident.title,
                    ):
                        raise ImportProblem(
                            f"{label}: the database already has a different incident "
                            f"#{incident.id} (`incident.id`)"
                        )
                    added = await add_missing_rows(conn, record)
                    for key, n in added.items():
                        result.added[key] = result.added.get(key, 0) + n
                        wrote = True
                    result.skipped += 1
            except IntegrityError as exc:
                raise ImportProblem(
                    f"{label}: a row conflicts with one already in the database "
                    f"({_constraint(exc)})"
                ) from None
            progress(1)
        if wrote and conn.dialect.name == "postgresql":
            await advance_sequences(conn)
    return result


async def _refuse_taking_a_war_room(
    session: Any, label: str, incident: Incident, written: set[int]
) -> None:
    """A channel belongs to the newest incident naming it (bot.incidents.queries): an imported
    incident naming the war room of one already here would take it over, and with it what
    is said there (a private incident's channel captured into a public record)."""
    if incident.channel_id is None:
        return
    stmt = select(col(Incident.id)).where(
        col(Incident.channel_id) == incident.channel_id, col(Incident.id) != incident.id
    )
    others = [int(i) for i in (await session.execute(stmt)).scalars() if int(i) not in written]
    if others:
        raise ImportProblem(
            f"{label}: field `incident.channel_id` is the war room of incident #{others[0]} "
            "here; an import does not take over a war room"
        )


async def _insert_record(conn: Any, record: ParsedRecord) -> None:
    await conn.execute(insert(table_of(Incident)), [record.incident.model_dump()])
    for model, rows in (
        (TimelineEntry, record.timeline),
        (TimelineRevision, record.revisions),
        (UpdatePrompt, record.update_prompts),
        (PostmortemItem, record.postmortem_items),
        (ActionItem, record.action_items),
    ):
        if rows:
            await conn.execute(insert(table_of(model)), _rows(rows))


def _constraint(exc: IntegrityError) -> str:
    """Which rule the row broke, in the driver's words, without the row's values."""
    message = str(exc.orig).splitlines()[0] if exc.orig is not None else "integrity error"
    return message.split("DETAIL")[0].strip()[:200]
