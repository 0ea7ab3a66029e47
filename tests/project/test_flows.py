"""The declare, alert-to-incident, action-item-to-ticket and reminder flows, followed file by
file on a running bot (bench/flows.py): each within its ratchet of domain files, none bouncing
back into a file it left by a call, and docs/architecture.md listing them as traced.

The trace runs once, on SQLite: the database is plumbing (storage/ is not counted), so which
domain files a flow enters does not depend on it.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.flows import FLOWS, Trace, Tracer, docs_markdown, documented, trace_all

# Domain files each flow enters today. Lower a number when a flow gets shorter; never raise
# one to let a longer flow in without saying why in its commit.
RATCHET = {"declare": 14, "alert": 21, "ticket": 18, "reminder": 9}


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {t.name: t for t in asyncio.run(trace_all())}


def test_every_flow_is_traced_and_has_a_ratchet(traces: dict[str, Trace]) -> None:
    assert set(traces) == set(FLOWS) == set(RATCHET)
    for trace in traces.values():
        assert trace.files, f"{trace.name}: no domain file entered (the tracer saw nothing)"


@pytest.mark.parametrize("name", sorted(RATCHET))
def test_no_flow_bounces(traces: dict[str, Trace], name: str) -> None:
    trace = traces[name]
    assert not trace.bounces, trace.report()


@pytest.mark.parametrize("name", sorted(RATCHET))
def test_no_flow_is_longer_than_its_ratchet(traces: dict[str, Trace], name: str) -> None:
    trace = traces[name]
    assert len(trace.files) <= RATCHET[name], trace.report()


def _listed(markdown: str) -> list[tuple[str, frozenset[str]]]:
    """Each documented flow's title line and its set of files: the war room's steps run
    concurrently, so the order in which two of them first enter a file may vary by a turn."""
    flows: list[tuple[str, set[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("**"):
            flows.append((line, set()))
        elif line.strip() and flows:
            flows[-1][1].add(line.split(". ", 1)[1])
    return [(title, frozenset(files)) for title, files in flows]


def test_the_architecture_page_lists_the_flows_as_traced(traces: dict[str, Trace]) -> None:
    assert _listed(documented()) == _listed(docs_markdown(list(traces.values()))), (
        "docs/architecture.md's flows differ from the trace: "
        "run `.venv/bin/python -m bench.flows --write-docs`"
    )


def test_a_call_back_into_a_file_below_on_the_stack_is_a_bounce() -> None:
    tracer = Tracer("unit")
    stack = [("bot/alerts/declare.py", "declare"), ("bot/response/declare.py", "record")]
    tracer._entered(stack, ("bot/alerts/declare.py", "link"))
    assert [str(b) for b in tracer.trace.bounces] == [
        "bot/response/declare.py:record -> bot/alerts/declare.py:link"
    ]
    assert tracer.trace.files == ["bot/alerts/declare.py"]


def test_going_back_by_returning_is_no_bounce() -> None:
    tracer = Tracer("unit")
    stack = [("bot/alerts/declare.py", "declare")]
    tracer._entered(stack, ("bot/response/declare.py", "record"))  # returns: not pushed here
    tracer._entered(stack, ("bot/alerts/queries.py", "link_incident"))
    tracer._entered(stack, ("bot/response/declare.py", "open_war_room"))
    assert tracer.trace.bounces == []
    assert tracer.trace.files == ["bot/response/declare.py", "bot/alerts/queries.py"]
