"""PromQL as the bot meets it, pure (no Prometheus, no database): the expression an
Alertmanager alert's `generatorURL` carries (`g0.expr`), a threshold where the expression ends
in a comparison with a number, the names of an incident's expressions, and the arguments of
`/incident metric [name=]<promql>`.

The `generatorURL` is only read, never fetched: the bot asks PROMETHEUS_URL, whatever host
the alert names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.core.errors import UserError

MAX_EXPR = 2000  # characters of one expression
MAX_METRICS = 5  # expressions per incident
NAME = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,31})=(?![=~])(.*)$", re.DOTALL)
COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SET_OPERATORS = re.compile(r"\b(and|or|unless)\b", re.IGNORECASE)


def expr_from_generator_url(url: object) -> str | None:
    """The expression of a Prometheus (or Thanos) graph link, `.../graph?g0.expr=...`,
    URL-decoded; None for any other link, and for anything but http(s)."""
    if not isinstance(url, str) or len(url) > 8000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    found = parse_qs(parts.query, keep_blank_values=False).get("g0.expr")
    if not found:
        return None
    expr = found[0].strip()
    return expr if expr and len(expr) <= MAX_EXPR else None


@dataclass(frozen=True)
class Threshold:
    """`rate(errors[5m]) > 0.05`: what to chart (`left`) and the line to draw at `value`."""

    left: str
    op: str
    value: float


def threshold_of(expr: str) -> Threshold | None:
    """The comparison with a number the expression ends in, at its top level (not inside
    brackets, braces, parentheses or strings), if it has exactly one and no `and`/`or`/
    `unless` beside it; `bool` after the operator is allowed."""
    found: list[tuple[int, str]] = []
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            op = next((o for o in COMPARISONS if expr.startswith(o, i)), None)
            if op is not None:
                found.append((i, op))
                i += len(op)
                continue
        i += 1
    if len(found) != 1:
        return None
    at, op = found[0]
    left, right = expr[:at].strip(), expr[at + len(op) :].strip()
    if right.lower().startswith("bool "):
        right = right[5:].strip()
    if not left or not _NUMBER.match(right) or _SET_OPERATORS.search(_outside_brackets(left)):
        return None
    return Threshold(left, op, float(right))


def _outside_brackets(expr: str) -> str:
    """The text at depth 0 (what a set operator would have to be in)."""
    out, depth = [], 0
    for ch in expr:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def next_name(taken: set[str]) -> str:
    """m1, m2, ...: the first not taken."""
    n = 1
    while f"m{n}" in taken:
        n += 1
    return f"m{n}"


def parse_metric_args(text: str) -> tuple[str | None, str]:
    """`[name=]<promql>` (Slack's text already unescaped): the name given, or None, and the
    expression. UserError for an empty or too long expression."""
    text = text.strip()
    name: str | None = None
    match = NAME.match(text)
    if match:
        name, text = match.group(1).lower(), match.group(2).strip()
    if not text:
        raise UserError("Which expression? `/incident metric [name=]<promql>`")
    if len(text) > MAX_EXPR:
        raise UserError(f"That expression is {len(text)} characters; keep it to {MAX_EXPR}.")
    return name, text
