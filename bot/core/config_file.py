"""CONFIG_FILE (`sisyphus.yml`): the structured configuration, one section per domain.

    services:
      - name: checkout
        team: payments
    checklists:
      - name: Every SEV1
        when: {severity: sev1}
        items: [Name a communicator]

Each domain declares its section (`ConfigSection`: a name and a pydantic type, see
bot/core/config_types.py); the list of sections comes from the top (handlers/), since this
package knows no domain. The file is read once, at start-up and by `python -m bot check`, and
every problem is reported at once, each with its line. The JSON Schema of the file
(sisyphus.schema.json) is generated from the same sections (`json_schema`).

A section may also be read from a file of its own named by an older setting (CHECKLISTS_FILE
holds `checklists:`); setting it there and in CONFIG_FILE is an error naming both.
Environment variables stay for secrets and deployment settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import ConfigDict, Field, ValidationError, create_model

from bot.core.config_problems import describe, plain_loc
from bot.core.config_yaml import (
    Document,
    LineProblem,
    Loc,
    YamlSyntaxError,
    duplicate_keys,
    line_of,
    read_document,
)

T = TypeVar("T")
# A check across sections, run once every section is valid: the whole file's values (by section
# name) -> (where, what is wrong) for each problem, e.g. a service naming no schedule.
CrossCheck = Callable[[Mapping[str, Any]], list[tuple[Loc, str]]]
# The same with the settings the file was loaded with (a section needing a setting, e.g. SMS
# pages needing TWILIO_*): run only when the loader is given full settings.
SettingsCheck = Callable[[Mapping[str, Any], Any], list[tuple[Loc, str]]]
DEFAULT_CONFIG_FILE = "sisyphus.yml"
SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class ConfigSection(Generic[T]):
    """One top-level key of the file, owned by a domain."""

    name: str  # the key, e.g. "services"
    type: Any  # what pydantic validates it as, e.g. tuple[Service, ...]
    empty: Callable[[], T]  # its value when the file does not have it
    description: str  # shown by editors, from the schema
    noun: str = ""  # what one entry is ("service"), for "this service has no `name`"
    file_setting: str = ""  # a Settings field naming a file with this section alone
    checks: tuple[CrossCheck, ...] = ()  # what it checks of the other sections
    setting_checks: tuple[SettingsCheck, ...] = ()  # what it checks of the settings
    counter: Callable[[Any], str] | None = None  # what `count` says, for a mapping section

    def count(self, value: Any) -> str:
        """`3 services`, for `python -m bot check`."""
        if self.counter is not None:
            return self.counter(value)
        if isinstance(value, tuple | list) and self.noun:
            return f"{len(value)} {self.noun}{'' if len(value) == 1 else 's'}"
        return f"{len(value)} {self.name}" if isinstance(value, tuple | list) else self.name


@dataclass(frozen=True)
class Config:
    """The loaded configuration: each section's value, typed by its section."""

    values: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # what was read, e.g. ("CONFIG_FILE sisyphus.yml",)

    def get(self, section: ConfigSection[T]) -> T:
        if section.name in self.values:
            return cast(T, self.values[section.name])
        return section.empty()


class ConfigFileError(Exception):
    """Every problem found, one line each (`CONFIG_FILE sisyphus.yml, line 7: ...`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ConfigPaths(Protocol):
    """What the loader reads of the settings: the file's path (and, by getattr, each
    section's `file_setting`)."""

    @property
    def config_file(self) -> str | None: ...


def config_path(settings: ConfigPaths) -> tuple[Path, bool]:
    """The file to read, and whether it was named explicitly (then it must exist)."""
    if settings.config_file:
        return Path(settings.config_file), True
    return Path(DEFAULT_CONFIG_FILE), False


def load_config(settings: ConfigPaths, sections: Sequence[ConfigSection[Any]]) -> Config:
    """Read CONFIG_FILE and the older per-section files; ConfigFileError with every problem."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    sources: list[str] = []
    path, explicit = config_path(settings)
    given: set[str] = set()
    if path.exists() or explicit:
        label = f"CONFIG_FILE {path}"
        text = _read(path, label, problems)
        if text is not None:
            sources.append(label)
            found, given, file_problems = parse(text, sections, settings=settings)
            problems += [_line(label, p) for p in file_problems]
            values |= found
    for section in sections:
        if not section.file_setting:
            continue
        other = getattr(settings, section.file_setting)
        if not other:
            continue
        setting = section.file_setting.upper()
        if section.name in given:
            problems.append(
                f"{setting} ({other}) and the `{section.name}` section of CONFIG_FILE ({path}) "
                f"both set the {section.name}: keep one of them"
            )
            continue
        if not Path(other).exists():  # as before CONFIG_FILE: a missing file means none
            continue
        label = f"{setting} {other}"
        text = _read(Path(other), label, problems)
        if text is None:
            continue
        sources.append(label)
        found, _, file_problems = parse(text, [section], only=section)
        problems += [_line(label, p) for p in file_problems]
        values |= found
    if problems:
        raise ConfigFileError(problems)
    return Config(values, tuple(sources))


def parse(
    text: str,
    sections: Sequence[ConfigSection[Any]],
    only: ConfigSection[Any] | None = None,
    settings: Any = None,
) -> tuple[dict[str, Any], set[str], list[LineProblem]]:
    """The sections' values in `text`, the keys it sets, and every problem with its line.

    `only`: the text is a file holding that one section (CHECKLISTS_FILE). `settings`: those
    the file is loaded with, for the sections' `setting_checks` (none run without them).
    """
    try:
        doc = read_document(text)
    except YamlSyntaxError as exc:
        return {}, set(), [exc.problem]
    problems = duplicate_keys(doc.root)
    if doc.data is None:
        return {}, set(), problems
    names = ", ".join(s.name for s in sections)
    if not isinstance(doc.data, dict):
        whole = f"`{only.name}`, holding {_what(only)}" if only else f"sections: {names}"
        problems.append(
            LineProblem(line_of(doc.root, ()), f"the file must be a mapping of {whole}")
        )
        return {}, set(), problems
    given = {str(k) for k in doc.data}

    def unknown_top(key: str) -> str:
        if only is not None:
            return f"the file must have one key, `{only.name}`, holding {_what(only)}"
        return f"unknown section `{key}` (the sections are {names})"

    model = root_model(sections)
    try:
        loaded = model.model_validate(doc.data)
    except ValidationError as exc:
        schema = json_schema(sections)
        problems += [_problem(doc, e, schema, sections, unknown_top) for e in exc.errors()]
        return {}, given, sorted(problems, key=lambda p: p.line)
    values = {s.name: getattr(loaded, s.name) for s in sections}
    across = [
        LineProblem(line_of(doc.root, loc), why)
        for section in sections
        for check in section.checks
        for loc, why in check(values)
    ]
    if settings is not None:
        across += [
            LineProblem(line_of(doc.root, loc), why)
            for section in sections
            for setting_check in section.setting_checks
            for loc, why in setting_check(values, settings)
        ]
    if across:
        return {}, given, sorted(problems + across, key=lambda p: p.line)
    return values, given, problems


def root_model(sections: Sequence[ConfigSection[Any]]) -> Any:
    fields: dict[str, Any] = {
        s.name: (s.type, Field(default_factory=s.empty, description=s.description))
        for s in sections
    }
    return create_model(
        "SisyphusConfig",
        __config__=ConfigDict(extra="forbid", title="Sisyphus configuration"),
        __doc__="The configuration file of Sisyphus (CONFIG_FILE, by default sisyphus.yml).",
        **fields,
    )


def json_schema(sections: Sequence[ConfigSection[Any]]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a file with these sections."""
    generated = root_model(sections).model_json_schema()
    return {"$schema": SCHEMA_DRAFT, **generated}


def _problem(
    doc: Document,
    error: Any,
    schema: dict[str, Any],
    sections: Sequence[ConfigSection[Any]],
    unknown_top: Callable[[str], str],
) -> LineProblem:
    by_name = {s.name: s for s in sections}

    def noun_of(loc: Loc) -> str | None:
        # An entry of a list section: `("services", 2)` is a service.
        if len(loc) == 2 and isinstance(loc[1], int) and str(loc[0]) in by_name:
            return by_name[str(loc[0])].noun or None
        return None

    return LineProblem(
        line_of(doc.root, plain_loc(error["loc"])), describe(error, schema, noun_of, unknown_top)
    )


def _what(section: ConfigSection[Any]) -> str:
    return "a list" if isinstance(section.empty(), tuple | list) else "a mapping"


def _read(path: Path, label: str, problems: list[str]) -> str | None:
    if not path.exists():
        problems.append(f"{label} does not exist (unset CONFIG_FILE to run without one)")
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label} cannot be read ({exc.__class__.__name__})")
        return None


def _line(label: str, problem: LineProblem) -> str:
    where = f"{label}, line {problem.line}" if problem.line else label
    return f"{where}: {problem.problem}"
