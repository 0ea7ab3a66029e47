"""Sections 3, 4, 5 and 7: contributing factors with the five whys, what went well, what
went poorly, lessons learned."""

from __future__ import annotations

from bot.postmortem.args import FACTOR_KINDS
from bot.postmortem.markdown import block, slack_to_plain
from bot.postmortem.render.common import Draft, placeholder
from bot.postmortem.rules import split_factor_refs

UNADDRESSED = "⚠️ **No action item addresses this factor.**"
EVERY_FACTOR_RULE = "Every contributing factor needs at least one action item."


def addressed_by(d: Draft) -> dict[int, list[int]]:
    """Factor number -> numbers of the action items whose text starts with `F<n>:`."""
    links: dict[int, list[int]] = {}
    for action in d.record.actions:
        for ref in split_factor_refs(action.text)[0]:
            links.setdefault(ref, []).append(action.number)
    return links


def render_factors(d: Draft) -> list[str]:
    out = ["## 3. Contributing factors", ""]
    factors = d.items("factor")
    if not factors:
        out.append(
            placeholder("/postmortem factor <technical|process|human|organizational> <text>")
        )
        out.append("Incidents rarely have one root cause; record each factor that lined up.")
    links = addressed_by(d)
    unaddressed: list[int] = []
    numbered = list(enumerate(factors, start=1))
    for kind in FACTOR_KINDS:
        group = [(n, f) for n, f in numbered if (f.category or "technical") == kind]
        if not group:
            continue
        out += [f"### {kind.capitalize()}", ""]
        for number, factor in group:
            text = block(slack_to_plain(factor.text, d.names), "  ")
            actions = links.get(number)
            if actions:
                shown = ", ".join(f"#{a}" for a in actions)
                out.append(f"- **F{number}**: {text}  \n  _Addressed by action item {shown}._")
            else:
                unaddressed.append(number)
                out.append(
                    f"- **F{number}**: {text}  \n  {UNADDRESSED} {EVERY_FACTOR_RULE} "
                    "Add one with `/postmortem action <P0-P3> @owner YYYY-MM-DD "
                    f"F{number}: <text>`."
                )
        out.append("")
    if unaddressed:
        listed = ", ".join(f"F{n}" for n in unaddressed)
        out.append(f"> ⚠️ {EVERY_FACTOR_RULE} Still without one: {listed}.")
        out.append("")
    out += ["### Five whys", ""]
    whys = d.items("why")
    if whys:
        for number, why in enumerate(whys, start=1):
            out.append(f"{number}. **Why?** {block(slack_to_plain(why.text, d.names), '   ')}")
        if len(whys) < 5:
            out += ["", f"_{len(whys)} of five whys so far; keep asking with `/postmortem why`._"]
    else:
        out.append(placeholder("/postmortem why <text>"))
    if d.seen_before is not None:
        out += ["", "### Seen before", ""]
        out += list(d.seen_before) or [
            "_No earlier incident shares a tag or a contributing factor's words._"
        ]
    return out


def render_list(d: Draft, kind: str, heading: str, command: str) -> list[str]:
    out = [heading, ""]
    items = d.items(kind)
    if not items:
        return [*out, placeholder(command)]
    return out + [f"- {block(slack_to_plain(i.text, d.names), '  ')}" for i in items]
