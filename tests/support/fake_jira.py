"""A fake Jira Cloud platform REST API v3 on localhost: `POST /rest/api/3/issue` ("Create
issue", operationId createIssue in Atlassian's published OpenAPI description).

As described there: basic auth with an account email and API token; the body is
IssueUpdateDetails, `{"fields": {...}}` with `project` (key or id), `issuetype` (name or id),
`summary`, and `description` in Atlassian Document Format (`{"type": "doc", "version": 1,
"content": [...]}`), plus `labels`, `duedate` (YYYY-MM-DD) and `assignee` `{"accountId"}`;
success is 201 CreatedIssue `{"id", "key", "self"}`; errors are 400 with ErrorCollection
`{"errorMessages": [...], "errors": {field: message}}`, 401 and 403.
`GET /rest/api/3/search/jql` (the enhanced JQL search) answers the few clauses the bot uses.
It also builds the `jira:issue_updated` webhook deliveries sent when an issue changes status,
as Jira Cloud sends them: each event with its own `timestamp` (milliseconds) and changelog id,
and each delivery with its own `X-Atlassian-Webhook-Identifier` (unchanged when Jira retries
that delivery, so a receiver can recognise one it has handled).
"""

from __future__ import annotations

import base64
import itertools
import re
import time
import uuid
from typing import Any

from aiohttp import web

from tests.support.fake_vendor import FakeVendor

CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


class FakeJira(FakeVendor):
    def __init__(
        self, project: str = "OPS", email: str = "bot@example.com", token: str = "jira-token"
    ) -> None:
        super().__init__()
        self.project = project
        self.email = email
        self.token = token
        self.issue_types = {"Task", "Bug", "Story"}
        self.account_ids = {"5b10ac8d82e05b22cc7d4ef5"}
        self.issues: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(10000)
        self.searches: list[dict[str, str]] = []  # query strings of search/jql calls
        self._last_ms = 0
        self._changelogs = itertools.count(10100)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/rest/api/3/issue", self._create)
        app.router.add_get("/rest/api/3/search/jql", self._search)

    def error_body(self, status: int) -> Any:
        if status == 401:
            return {"errorMessages": ["You are not authenticated."], "errors": {}}
        if status == 404:
            return {"errorMessages": ["Not found."], "errors": {}}
        return {"errorMessages": [], "errors": {"project": "valid project is required"}}

    async def _create(self, request: web.Request) -> web.Response:
        try:
            seen, failure = await self.record(request)
            if failure is not None:
                return failure
            expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                return web.json_response(self.error_body(401), status=401)
            body = seen.body
            if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
                return web.json_response(
                    {"errorMessages": ["Unexpected request body."], "errors": {}}, status=400
                )
            errors = self._validate(body["fields"])
            if errors:
                return web.json_response({"errorMessages": [], "errors": errors}, status=400)
            issue_id = str(next(self._ids))
            key = f"{self.project}-{len(self.issues) + 1}"
            self.issues[key] = {"id": issue_id, "key": key, "fields": body["fields"]}
            return web.json_response(
                {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue_id}"},
                status=201,
            )
        finally:
            self.answered += 1
            await self.notify()

    async def _search(self, request: web.Request) -> web.Response:
        """searchAndReconsileIssuesUsingJql (GET): `jql`, `fields`, `maxResults`. This fake
        understands `project = "KEY"` and `labels = "name"` clauses and returns the newest
        first as SearchAndReconcileResults (`issues`, `nextPageToken`)."""
        self.searches.append(dict(request.query))
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response(self.error_body(401), status=401)
        jql = request.query.get("jql", "")
        project = re.search(r'project\s*=\s*"?([A-Z0-9_]+)"?', jql)
        label = re.search(r'labels\s*=\s*"?([^"\s]+)"?', jql)
        if not jql or project is None:
            return web.json_response(
                {"errorMessages": ["The JQL query is unbounded."], "errors": {}}, status=400
            )
        wanted = [f.strip() for f in request.query.get("fields", "").split(",") if f.strip()]
        found = []
        for issue in reversed(list(self.issues.values())):
            fields = issue["fields"]
            if (fields.get("project") or {}).get("key") != project.group(1):
                continue
            if label and label.group(1) not in (fields.get("labels") or []):
                continue
            shown = {k: v for k, v in fields.items() if not wanted or k in wanted}
            found.append({"id": issue["id"], "key": issue["key"], "fields": shown})
        limit = int(request.query.get("maxResults", "50"))
        return web.json_response({"issues": found[:limit], "nextPageToken": None})

    def _validate(self, fields: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "valid project is required"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify an issue type"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and one line."
        if "description" in fields and not _is_adf(fields["description"]):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)."
            )
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(
            not isinstance(lb, str) or " " in lb for lb in labels
        ):
            errors["labels"] = "Labels cannot contain spaces."
        due = fields.get("duedate")
        if due is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(due)):
            errors["duedate"] = "Error parsing date string: " + str(due)
        assignee = fields.get("assignee")
        if assignee is not None and (assignee or {}).get("accountId") not in self.account_ids:
            errors["assignee"] = (
                "Specified user does not exist or you do not have required permissions"
            )
        return errors

    # ---- webhooks ----------------------------------------------------------------------------
    def issue_updated(self, key: str, category: str) -> dict[str, Any]:
        """The `jira:issue_updated` delivery after the issue moved to a status of `category`
        (new, indeterminate, done)."""
        issue = self.issues[key]
        status = {"self": f"{self.url}/rest/api/3/status/1", "name": CATEGORIES[category]["name"],
                  "id": "1", "statusCategory": CATEGORIES[category]}  # fmt: skip
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)  # two events never share
        return {
            "timestamp": self._last_ms,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ann"},
            "issue": {
                "id": issue["id"],
                "self": f"{self.url}/rest/api/3/issue/{issue['id']}",
                "key": key,
                "fields": {**issue["fields"], "status": status},
            },
            "changelog": {
                "id": str(next(self._changelogs)),
                "items": [{"field": "status", "fieldtype": "jira"}],
            },
        }

    @staticmethod
    def delivery_headers(**extra: str) -> dict[str, str]:
        """The headers of one delivery (a retry of it sends the same identifier again)."""
        return {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Atlassian-Webhook-Flow": "Primary",
            **extra,
        }


def _is_adf(value: Any) -> bool:
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return False
    return isinstance(value.get("content"), list) and all(_is_node(n) for n in value["content"])


def _is_node(node: Any) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text":
        return isinstance(node.get("text"), str) and node["text"] != ""
    return all(_is_node(n) for n in node.get("content") or [])
