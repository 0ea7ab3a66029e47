"""The `status_page` section of the configuration file: each problem named with its line, a
service's `components` checked against the section's components."""

from __future__ import annotations

from bot.core.config_file import parse
from handlers.config_sections import SECTIONS


def problems(text: str) -> list[str]:
    _, _, found = parse(text, SECTIONS)
    return [f"line {p.line}: {p.problem}" for p in found]


def loaded(text: str) -> dict:
    values, _, found = parse(text, SECTIONS)
    assert found == []
    return values


def test_a_valid_section_loads_and_none_means_off() -> None:
    values = loaded(
        "status_page:\n  title: Example status\n  components:\n    - {name: API, group: Core}\n"
    )
    page = values["status_page"]
    assert page.title == "Example status"
    assert [(c.name, c.group) for c in page.components] == [("API", "Core")]
    assert page.component("api") is not None
    assert loaded("services: []\n")["status_page"] is None


def test_problems_are_named_with_their_lines() -> None:
    text = """\
status_page:
  logo_url: ftp://example.com/logo.svg
  components:
    - name: API
    - name: api
    - description: no name
"""
    assert problems(text.replace("name: api", "name: API")) == [
        "line 1: `status_page` has no `title`",
        "line 2: `ftp://example.com/logo.svg` is not an http(s) link",
        "line 5: a second component named `API` (each needs its own name)",
        "line 6: `status_page.components[2]` has no `name`",
    ]
    fixed = "status_page:\n  title: T\n  components:\n    - name: API\n    - name: api\n"
    assert problems(fixed) == [
        "line 5: component `api` is `API` again (names are compared in any case)"
    ]


def test_a_service_must_name_components_of_the_page() -> None:
    text = """\
services:
  - name: payments
    components: [API, Billing]
status_page:
  title: Example status
  components:
    - name: API
"""
    assert problems(text) == [
        "line 3: service `payments`: no status-page component `Billing` (the components: API)"
    ]
    assert problems(text.replace("Billing", "api")) == []
    assert problems("services:\n  - name: x\n    components: [API]\n") == [
        "line 3: service `x`: no status-page component `API` (the components: no status_page)"
    ]
