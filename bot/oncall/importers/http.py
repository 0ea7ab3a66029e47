"""The one HTTP call the importers make, a GET of JSON, with one-line answers for what goes
wrong. The token is only ever in a request header: never in a message, a URL or a log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp


class ImportFailed(Exception):
    """One line for the person at the terminal. `fatal`: no other schedule can be read
    either (refused credentials, an unreachable host)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class Vendor:
    name: str  # PagerDuty, Opsgenie
    base_url: str
    credential: str  # the setting that holds the token, for the messages
    headers: dict[str, str] = field(repr=False, default_factory=dict)


async def get_json(
    session: aiohttp.ClientSession,
    vendor: Vendor,
    path: str,
    what: str,
    params: dict[str, str] | None = None,
) -> Any:
    url = vendor.base_url.rstrip("/") + path
    try:
        async with session.get(url, headers=vendor.headers, params=params) as response:
            status = response.status
            if status < 400:
                try:
                    return await response.json(content_type=None)
                except ValueError:
                    raise ImportFailed(
                        f"{vendor.name} answered {what} with something that is not JSON"
                    ) from None
    except TimeoutError:
        raise ImportFailed(
            f"{vendor.name} at {vendor.base_url} did not answer in time", fatal=True
        ) from None
    except aiohttp.ClientError as exc:
        raise ImportFailed(
            f"could not reach {vendor.name} at {vendor.base_url} ({type(exc).__name__})",
            fatal=True,
        ) from None
    raise _refusal(vendor, status, what)


def _refusal(vendor: Vendor, status: int, what: str) -> ImportFailed:
    if status == 401:
        return ImportFailed(
            f"{vendor.name} refused the credentials (401): check {vendor.credential}", fatal=True
        )
    if status == 403:
        return ImportFailed(
            f"{vendor.name} does not let {vendor.credential} read {what} (403)", fatal=True
        )
    if status == 404:
        return ImportFailed(f"{vendor.name} has no {what} (404)")
    if status == 429:
        return ImportFailed(f"{vendor.name} is rate-limiting us (429): try again in a minute")
    return ImportFailed(f"{vendor.name} answered {status} for {what}")


def timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)
