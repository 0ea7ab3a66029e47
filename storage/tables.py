"""Typed access to the tables through SQLAlchemy Core, where sqlmodel's typing stops.

sqlmodel declares neither a table model's `__table__` nor an `exec()` for SQLAlchemy's own
select() (of table columns, or of a model when its where() takes column expressions); these
two helpers give both a type, so callers need no `# type: ignore`.
"""

from __future__ import annotations

from typing import TypeVarTuple, cast

from sqlalchemy import Select, Table, inspect
from sqlalchemy.engine import Result
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

_Ts = TypeVarTuple("_Ts")


def table_of(model: type[SQLModel]) -> Table:
    """The Table behind a table model (what `model.__table__` is at run time)."""
    return cast(Table, inspect(model).local_table)


async def run_select(session: AsyncSession, statement: Select[*_Ts]) -> Result[*_Ts]:
    """Run a SQLAlchemy select() in the session: the same call as `session.exec(statement)`."""
    return await session.exec(statement)  # type: ignore[call-overload]  # sqlmodel's exec() is typed for its own select(), not SQLAlchemy's
