"""Mutation testing of one part of the bot with mutmut: `make mutate SCOPE=escaping`.

mutmut makes small breaks in the scope's code (a `<` turned into `<=`, a condition dropped, a
string changed), one at a time, and runs the scope's tests against each. A break no test notices
"survives": either a test is missing, or the break changes nothing anyone could see (an
equivalent mutant). bench/MUTATION.md keeps the figures of the last runs and what was done about
each survivor. It is a habit, not part of CI: a scope takes from under a minute to ten or more.

Each scope mutates only its own files (or functions) and runs only the test files that cover
them, on SQLite. mutmut reads one `[tool.mutmut]` table from the pyproject.toml of the folder it
runs in, so each scope runs in its own folder, .mutmut/SCOPE/: links to the code and the tests,
and a copy of pyproject.toml with that scope's table added. mutmut's working copy and results
are kept there (`cd .mutmut/SCOPE && ../../.venv/bin/mutmut show NAME` shows a mutant's diff).
Each run starts afresh, but `--again` tests only the previous run's survivors again (after writing
the tests that should kill them; the test files are copied anew, and the scope's table is
written again, so a test file added to the scope is run on those survivors too). mutmut 3.8 was
seen to drop its earlier results when the list of test files changed: the figures of an
`--again` run are the ones it prints.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.cli import bench_parser

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutmut"
# What the tests need beside the code: the packages, the tests, and the files they read.
LINKED = ["bot", "handlers", "storage", "tests", "manifest.yml", "checklists.example.yml"]


@dataclass(frozen=True)
class Scope:
    files: tuple[str, ...]  # the files mutated
    tests: tuple[str, ...]  # the test files that cover them
    functions: tuple[str, ...] = ()  # mutmut names (globs) to keep; none: every function
    # mutmut's timeout: a mutant's tests may take this many times their clean time (mutmut's
    # default 15 waits minutes for each mutant that loops forever).
    timeout_multiplier: float | None = None


SCOPES = {
    # Who may do what, and the account checks it makes (users.info, conversations.members).
    "permissions": Scope(
        files=("bot/slack/permissions.py",),
        tests=("tests/slack/test_guest_refusals.py", "tests/slack/test_permissions.py"),
    ),
    # The conditional claim of a due reminder, its reading, and giving it back.
    "claims": Scope(
        files=("bot/cadence/queries.py",),
        tests=("tests/cadence/test_cadence_claims.py", "tests/cadence/test_cadence.py"),
        functions=(
            "bot.cadence.queries.x_due_prompts*",
            "bot.cadence.queries.x_claim_prompt*",
            "bot.cadence.queries.x_give_back_prompt*",
        ),
    ),
    # Which action items are accepted: due dates, owners, vague wording, factor references.
    "rules": Scope(
        files=("bot/postmortem/rules.py",),
        tests=("tests/followthrough/test_action_item_rules.py",),
    ),
    # Messages into the timeline: new, edited, deleted, duplicated, out of order.
    "capture": Scope(
        files=("bot/timeline/message_capture.py", "bot/timeline/capture_queries.py"),
        tests=(
            "tests/timeline/test_timeline_capture.py",
            "tests/timeline/test_timeline_outage.py",
            "tests/timeline/test_timeline_storage.py",
            "tests/timeline/test_timeline_units.py",
        ),
    ),
    # Alerts in: a webhook read into groups and alerts (control characters, the per-group cap),
    # stored once per group across replicas.
    "alerts": Scope(
        files=("bot/alerts/intake.py", "bot/alerts/transactions.py"),
        tests=(
            "tests/alerts/test_alerts_intake.py",
            "tests/alerts/test_alerts_units.py",
            "tests/app/test_attacker_findings.py",
        ),
    ),
    # Following action items through: done means verified, tickets' states from the trackers.
    "followthrough": Scope(
        files=("bot/followthrough/states.py", "bot/followthrough/flows.py"),
        tests=(
            "tests/followthrough/test_followthrough_http.py",
            "tests/followthrough/test_followthrough_tickets.py",
            "tests/followthrough/test_followthrough_units.py",
            "tests/followthrough/test_ticket_races.py",
            "tests/followthrough/test_action_list_lines.py",
            "tests/followthrough/test_done_texts.py",
            "tests/followthrough/test_ticket_outcomes.py",
        ),
    ),
    # Checklists: the board's checkboxes, ticks by two people at once, what is left.
    "checklists": Scope(
        files=("bot/checklists/board.py", "bot/checklists/queries.py"),
        tests=(
            "tests/checklists/test_checklists.py",
            "tests/checklists/test_checklist_races.py",
            "tests/checklists/test_checklist_board.py",
            "tests/checklists/test_checklist_ticks.py",
            "tests/checklists/test_checklist_words.py",
        ),
    ),
    # Who is on call when: rotations in each person's zone, overrides, daylight-saving changes.
    "oncall": Scope(
        files=("bot/oncall/rules.py",),
        tests=(
            "tests/oncall/test_oncall_rules.py",
            "tests/oncall/test_oncall_rules_cases.py",
            "tests/oncall/test_oncall_shown.py",
        ),
        # Several mutants of the DST search and the handover loop loop forever; the tests
        # take about 15 s, so a survivor has 4 times that (wall clock), not 4 minutes.
        timeout_multiplier=4,
    ),
    # Paging our own on-call: quiet hours and follow-the-sun, the claims that make each
    # escalation step happen once across replicas, acknowledgement.
    "paging": Scope(
        files=("bot/paging/quiet.py", "bot/paging/queries.py"),
        tests=(
            "tests/paging/test_paging_quiet.py",
            "tests/paging/test_paging_quiet_units.py",
            "tests/paging/test_paging_hours.py",
            "tests/paging/test_paging_escalation.py",
            "tests/paging/test_paging_replicas.py",
            "tests/paging/test_paging_claims.py",
        ),
    ),
    # What people typed, shown back in Slack's mrkdwn without acting as markup.
    "escaping": Scope(
        files=("bot/slack/text.py", "bot/slack/mrkdwn.py"),
        tests=(
            "tests/slack/test_mrkdwn_units.py",
            "tests/slack/test_grammar_units.py",
            "tests/postmortem/test_hostile_markdown.py",
            "tests/slack/test_echoed_input.py",
        ),
    ),
}


def mutmut_table(scope: Scope) -> str:
    """The `[tool.mutmut]` table for one scope (JSON arrays of strings are TOML arrays)."""
    settings: dict[str, list[str] | float] = {
        "source_paths": ["bot", "handlers", "storage"],
        "only_mutate": list(scope.files),
        "also_copy": LINKED[4:],
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "pytest_add_cli_args_test_selection": list(scope.tests),
    }
    if scope.timeout_multiplier is not None:
        settings["timeout_multiplier"] = scope.timeout_multiplier
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(v)}" for key, v in settings.items()]
    return "\n".join(lines) + "\n"


def survivors(mutmut: str, folder: Path, env: dict[str, str]) -> list[str]:
    """The mutants that survived the last run in `folder` (from `mutmut results`)."""
    listed = subprocess.run(
        [mutmut, "results"], cwd=folder, env=env, capture_output=True, text=True, check=True
    )
    lines = [line.strip().rsplit(": ", 1) for line in listed.stdout.splitlines()]
    return [parts[0] for parts in lines if len(parts) == 2 and parts[1] == "survived"]


def prepare(name: str, scope: Scope) -> Path:
    """A fresh folder for the scope: links to the code and tests, and its pyproject.toml."""
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for entry in LINKED:
        (folder / entry).symlink_to(ROOT / entry)
    write_pyproject(folder, scope)
    return folder


def write_pyproject(folder: Path, scope: Scope) -> None:
    """The folder's pyproject.toml: the project's, with the scope's `[tool.mutmut]` table (as
    the scope is now: a test file added to it since the last run is run too)."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    (folder / "pyproject.toml").write_text(pyproject + mutmut_table(scope))


def main() -> None:
    parser = bench_parser(__doc__, "bench.mutate")
    parser.add_argument("scope", choices=sorted(SCOPES), help="the part of the bot to mutate")
    parser.add_argument(
        "--max-children", type=int, default=2, help="mutants tested at once (one process each)"
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="test only the survivors of the previous run of this scope again",
    )
    args = parser.parse_args()
    scope = SCOPES[args.scope]
    mutmut = str(Path(sys.executable).parent / "mutmut")
    env = os.environ | {"TEST_DATABASES": "sqlite"}
    folder = WORK / args.scope
    if args.again and (folder / "mutants").is_dir():
        names = survivors(mutmut, folder, env)
        if not names:
            sys.exit(f"no survivors left in {folder}")
        write_pyproject(folder, scope)
    else:
        folder, names = prepare(args.scope, scope), list(scope.functions)
    command = [mutmut, "run", "--max-children", str(args.max_children), *names]
    run = subprocess.run(command, cwd=folder, env=env, check=False)
    print(f"\nSurvivors of {args.scope} (`mutmut show NAME` in {folder} shows one):", flush=True)
    subprocess.run([mutmut, "results"], cwd=folder, env=env, check=False)
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
