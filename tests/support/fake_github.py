"""A fake GitHub REST API on localhost: `POST /repos/{owner}/{repo}/issues` ("Create an
issue", operationId issues/create in github/rest-api-description, API version 2022-11-28),
and `GET` of the same path (issues/list-for-repo), which the bot reads before filing again.

As described there: the body is JSON with a required `title` (string or integer) and
optional `body`, `labels` (names or objects with a name), `assignees` (logins) and
`milestone`; success is 201 with the Issue (`number`, `html_url`, `state`, `labels`,
`assignees`, ...); a bad token is 401 `{"message": "Bad credentials"}`, an unknown or hidden
repository 404 `{"message": "Not Found"}`, an invalid field 422 `Validation Failed` with
`errors` [{resource, field, code}]; rate limits answer 429 (or 403) with Retry-After.
It also builds the `issues` webhook deliveries GitHub sends when an issue is closed or reopened.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.fake_vendor import FakeVendor

DOCS = "https://docs.github.com/rest/issues/issues#create-an-issue"


class FakeGitHub(FakeVendor):
    def __init__(self, repo: str = "acme/ops", token: str = "ghp_test_token") -> None:
        super().__init__()
        self.repo = repo
        self.token = token
        self.logins = {"octocat", "hubot"}
        self.web_url = "https://github.com"  # where issues' html_url points (GHE: its own)
        self.issues: dict[int, dict[str, Any]] = {}
        self._numbers = itertools.count(1)
        self.lists: list[dict[str, str]] = []  # query strings of issues/list-for-repo calls

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/repos/{owner}/{repo}/issues", self._create)
        app.router.add_get("/repos/{owner}/{repo}/issues", self._list)

    def error_body(self, status: int) -> Any:
        messages = {401: "Bad credentials", 404: "Not Found", 422: "Validation Failed",
                    403: "Forbidden", 429: "API rate limit exceeded"}  # fmt: skip
        message = messages.get(status, "Error")
        body: dict[str, Any] = {
            "message": message,
            "documentation_url": DOCS,
            "status": str(status),
        }
        if status == 422:
            body["errors"] = [{"resource": "Issue", "field": "assignees", "code": "invalid"}]
        return body

    def _error(self, status: int, **extra: Any) -> web.Response:
        return web.json_response({**self.error_body(status), **extra}, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        try:
            seen, failure = await self.record(request)
            if failure is not None:
                return failure
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return self._error(401)
            owner, repo = request.match_info["owner"], request.match_info["repo"]
            if f"{owner}/{repo}".lower() != self.repo.lower():
                return self._error(404)
            body = seen.body
            if not isinstance(body, dict):
                return web.json_response({"message": "Problems parsing JSON"}, status=400)
            problems = self._validate(body)
            if problems:
                return self._error(422, errors=problems)
            number = next(self._numbers)
            labels = [
                lb if isinstance(lb, str) else lb.get("name") for lb in body.get("labels") or []
            ]
            issue = {
                "id": 1000 + number,
                "node_id": f"I_fake{number}",
                "url": f"{self.url}/repos/{self.repo}/issues/{number}",
                "repository_url": f"{self.url}/repos/{self.repo}",
                "html_url": f"{self.web_url}/{self.repo}/issues/{number}",
                "number": number,
                "state": "open",
                "title": str(body["title"]),
                "body": body.get("body"),
                "labels": [{"id": i, "name": n, "default": False} for i, n in enumerate(labels)],
                "assignees": [{"login": a} for a in body.get("assignees") or []],
                "user": {"login": "sisyphus-bot", "id": 1, "type": "Bot"},
                "locked": False,
                "comments": 0,
                "created_at": "2026-11-29T12:00:00Z",
                "updated_at": "2026-11-29T12:00:00Z",
                "closed_at": None,
            }
            self.issues[number] = issue
            return web.json_response(issue, status=201)
        finally:
            self.answered += 1
            await self.notify()

    async def _list(self, request: web.Request) -> web.Response:
        """issues/list-for-repo: `labels` (comma-separated names, all required), `state`
        (open, closed, all; default open), `sort=created`, `direction`, `per_page` (max 100)."""
        self.lists.append(dict(request.query))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401)
        owner, repo = request.match_info["owner"], request.match_info["repo"]
        if f"{owner}/{repo}".lower() != self.repo.lower():
            return self._error(404)
        wanted = {n for n in request.query.get("labels", "").split(",") if n}
        state = request.query.get("state", "open")
        found = [
            issue
            for issue in self.issues.values()
            if wanted <= {lb["name"] for lb in issue["labels"]}
            and (state == "all" or issue["state"] == state)
        ]
        found.sort(key=lambda i: i["number"], reverse=request.query.get("direction") != "asc")
        per_page = min(100, int(request.query.get("per_page", "30")))
        return web.json_response(found[:per_page])

    def _validate(self, body: dict[str, Any]) -> list[dict[str, str]]:
        problems = []
        title = body.get("title")
        if not isinstance(title, (str, int)) or (isinstance(title, str) and not title.strip()):
            problems.append({"resource": "Issue", "field": "title", "code": "missing_field"})
        if "body" in body and not isinstance(body["body"], (str, type(None))):
            problems.append({"resource": "Issue", "field": "body", "code": "invalid"})
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(
            isinstance(lb, str) or (isinstance(lb, dict) and "name" in lb) for lb in labels
        ):
            problems.append({"resource": "Issue", "field": "labels", "code": "invalid"})
        assignees = body.get("assignees", [])
        if not isinstance(assignees, list) or any(a not in self.logins for a in assignees):
            problems.append({"resource": "Issue", "field": "assignees", "code": "invalid"})
        return problems

    # ---- webhooks ----------------------------------------------------------------------------
    def issues_event(self, number: int, action: str) -> dict[str, Any]:
        """The `issues` event delivery for `action` (closed, reopened, edited...)."""
        issue = dict(self.issues[number])
        issue["state"] = "closed" if action == "closed" else "open"
        # As GitHub's: each event's issue carries when it changed, so no two bodies are equal.
        issue["updated_at"] = datetime.now(UTC).isoformat()
        return {
            "action": action,
            "issue": issue,
            "repository": {"id": 1, "name": self.repo.split("/")[1], "full_name": self.repo},
            "sender": {"login": "octocat", "id": 583231, "type": "User"},
        }


def github_signature(secret: str, body: bytes) -> str:
    """X-Hub-Signature-256: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_delivery(
    secret: str, event: str, payload: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),  # a new GUID per delivery, as GitHub's
        "X-Hub-Signature-256": github_signature(secret, body),
        "User-Agent": "GitHub-Hookshot/044aadd",
    }
    return body, headers
