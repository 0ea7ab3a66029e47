"""Twilio's REST API for pages by SMS and voice call, and the signature of its callbacks.

- SMS: `POST {TWILIO_API_URL}/2010-04-01/Accounts/{Sid}/Messages.json`, form `To`, `From`,
  `Body`; HTTP basic auth with the Account SID and Auth Token. 201 with the message's `sid`.
- Call: `POST .../Calls.json`, form `To`, `From`, `Twiml`: the call says the incident's title
  and severity and `<Gather>`s one key; pressing 1 acknowledges (the keypress comes back to
  `{WEB_BASE_URL}/paging/twilio/gather?d=<opaque token>`, bot/paging/gather.py).
- A refusal is Twilio's JSON error (`code`, `message`, `status`); it is kept without any phone
  number in it. 429, 5xx and an unreachable Twilio are `retryable` (with 429's `Retry-After`);
  any other 4xx is final.
- Twilio signs each callback: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the Auth
  Token, of the full URL Twilio requested followed by each POST parameter's name and value,
  sorted by name (https://www.twilio.com/docs/usage/security#validating-requests).

A phone number is never logged or stored whole: `mask` shows `+1555****0100`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import aiohttp

from bot.core.settings import Settings
from storage.models.incidents import Incident

API_VERSION = "2010-04-01"
GATHER_PATH = "/paging/twilio/gather"
TIMEOUT = aiohttp.ClientTimeout(total=15)
_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")
MAX_ERROR = 300


def mask(number: str) -> str:
    """`+15555550100` as `+1555****0100`: enough to tell numbers apart, never the whole."""
    digits = number.strip()
    if len(digits) < 9:
        return "****"
    return f"{digits[:5]}****{digits[-4:]}"


def without_numbers(text: str) -> str:
    """Any phone number in a vendor's text masked (Twilio's errors may quote the `To`)."""
    return _NUMBER.sub(lambda m: mask(re.sub(r"[^\d+]", "", m.group(0))), text)


def _plain(text: str, limit: int = 200) -> str:
    """A title for a text message or speech: one line, cut short."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def sms_body(incident: Incident, service: str, with_call: bool) -> str:
    how = "press 1 on the call, or " if with_call else ""
    return (
        f"Sisyphus page: incident #{incident.id} {incident.severity.upper()} "
        f"({_plain(service, 40)}): {_plain(incident.title)}. To acknowledge, {how}press "
        "Acknowledge in your Slack DM."
    )


def gather_url(settings: Settings, token: str) -> str:
    return f"{settings.web_base_url}{GATHER_PATH}?d={quote(token)}"


def call_twiml(incident: Incident, service: str, action: str) -> str:
    severity = " ".join(incident.severity.upper())  # "S E V 2": read letter by letter
    said = xml_escape(
        f"This is Sisyphus. You are paged for incident {incident.id}, severity {severity}, "
        f"service {_plain(service, 40)}: {_plain(incident.title)}."
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" action={quoteattr(action)} method="POST" timeout="10">'
        f"<Say>{said}</Say><Say>Press 1 to acknowledge.</Say></Gather>"
        "<Say>No key was pressed. The page goes on. Goodbye.</Say></Response>"
    )


def twiml_say(text: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{xml_escape(text)}</Say></Response>'
    )


@dataclass(frozen=True)
class Sent:
    """Twilio's answer: the SID it gave, or why not (no phone number in it)."""

    sid: str | None = None
    error: str | None = None
    retryable: bool = False  # 429, 5xx, unreachable: worth another try
    retry_after: float | None = None  # seconds, from 429's Retry-After


def _error(status: int, text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("code") or body.get("message")):
        said = f"Twilio answered {status} (error {body.get('code')}: {body.get('message')})"
    else:
        said = f"Twilio answered {status}"
    return without_numbers(said)[:MAX_ERROR]


async def post(
    http: aiohttp.ClientSession, settings: Settings, resource: str, form: dict[str, str]
) -> Sent:
    """POST `form` to `Messages` or `Calls` of the account."""
    assert settings.twilio_account_sid and settings.twilio_auth_token
    url = (
        f"{settings.twilio_api_url.rstrip('/')}/{API_VERSION}/Accounts/"
        f"{settings.twilio_account_sid}/{resource}.json"
    )
    pair = f"{settings.twilio_account_sid}:{settings.twilio_auth_token.get_secret_value()}"
    auth = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    try:
        async with http.post(url, data=form, headers=auth, timeout=TIMEOUT) as resp:
            text = await resp.text()
            if resp.status in (200, 201):
                try:
                    sid = str(json.loads(text).get("sid") or "") or None
                except (ValueError, AttributeError):
                    sid = None
                return Sent(sid=sid or "unknown")
            again = resp.status == 429 or resp.status >= 500
            return Sent(
                error=_error(resp.status, text),
                retryable=again,
                retry_after=_seconds(resp.headers.get("Retry-After")) if again else None,
            )
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Sent(error=f"Twilio could not be reached ({type(exc).__name__})", retryable=True)


def _seconds(header: str | None) -> float | None:
    """Retry-After in seconds (the delta form; an HTTP date is ignored)."""
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """What Twilio puts in X-Twilio-Signature for a POST of `params` to `url`."""
    data = url + "".join(f"{k}{v}" for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed(auth_token: str, url: str, params: list[tuple[str, str]], given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, params).encode(), given.encode())
