"""Section 9: the blameless-language check. Advice only; it never stops the draft."""

from __future__ import annotations

from bot.postmortem.blameless import Finding, find_blame, texts_worth_checking
from bot.postmortem.markdown import inline
from bot.postmortem.render.common import Draft, when

MAX_LISTED = 100
_ITEM_LABELS = {
    "summary": "summary",
    "impact": "impact",
    "why": "five whys",
    "well": "what went well",
    "poorly": "what went poorly",
    "lesson": "lesson",
}


def blame_findings(d: Draft) -> list[Finding]:
    found: list[Finding] = []
    incident = d.record.incident
    for label, text in (
        ("title", incident.title),
        ("first report", incident.description),
        ("resolution", incident.resolution_summary),
    ):
        if text:
            found += find_blame(text, label)
    entries = [e for e in d.record.entries if e.text and e.deleted_at is None]
    for index in texts_worth_checking([e.text for e in entries]):
        entry = entries[index]
        found += find_blame(entry.text, f"timeline, {when(entry.occurred_at)}")
    factor_number = 0
    for item in d.record.items:
        if item.kind == "factor":
            factor_number += 1
            label = f"factor F{factor_number}"
        else:
            label = _ITEM_LABELS.get(item.kind, item.kind)
        found += find_blame(item.text, label)
    for action in d.record.actions:
        found += find_blame(action.text, f"action item #{action.number}")
    return found


def render_blame_check(d: Draft) -> list[str]:
    out = ["## 9. Blameless-language check", ""]
    findings = blame_findings(d)
    if not findings:
        out.append("No blaming language found. 👍")
        return out
    out.append(
        "This check advises; it blocks nothing. These phrases pin the incident on a person. "
        "For each, ask why the system allowed it: what made the action possible, likely or "
        "hard to notice, and what would have caught it?"
    )
    out.append("")
    for f in findings[:MAX_LISTED]:
        out.append(
            f"- {inline(f.where)}: “**{inline(f.phrase)}**” {f.why}. In context: "
            f"“{inline(f.excerpt)}”"
        )
    if len(findings) > MAX_LISTED:
        out.append(f"- …and {len(findings) - MAX_LISTED} more.")
    return out
