#!/usr/bin/env python3
"""A Max connector in Python that reads Acme's tasks through Max (http/request), with a defect
kept on purpose for the certification tests: a page the source refuses (a 429 that outlasts Max's
retries) is taken for the end of the list, so the sync reports success with tasks missing.
`max connector certify tasks` must fail it with a report that says so.
"""
import json
import sys

DESCRIPTION = {
    "protocol": 1,
    "name": "tasks",
    "displayName": "Acme tasks (Python)",
    "description": "Acme's tasks, read page by page through Max",
    "version": "0.9.0",
    "schema": {
        "namespace": "tasks",
        "roots": ["TasksRoot"],
        "entities": [
            {"name": "TasksRoot", "fields": [
                {"name": "name", "type": "string"},
                {"name": "tasks", "type": "collection<Task>"},
            ]},
            {"name": "Task", "summary": "An Acme task", "fields": [
                {"name": "title", "type": "string", "indexed": True},
                {"name": "status", "type": "string"},
                {"name": "projectId", "type": "string"},
            ]},
        ],
    },
    "onboarding": [
        {"kind": "input", "label": "Acme", "fields": [
            {"name": "baseURL", "label": "Acme's URL", "type": "string", "required": True},
        ], "credentials": [{"name": "api_token", "label": "API token"}]},
    ],
    "resolvers": [
        {"entityType": "TasksRoot", "fields": {}, "collections": [
            {"field": "tasks", "target": "Task", "loader": "rootTasks", "pageSize": 5},
        ]},
    ],
    "loaders": [],
    "changeFeed": False,
    "operations": [],
}


class Failure(Exception):
    def __init__(self, code, message, category="permanent"):
        super().__init__(message)
        self.code, self.message, self.category = code, message, category


class Peer:
    """JSON-RPC over stdin and stdout, one message per line."""

    def __init__(self):
        self.queue = []
        self.next_id = 1

    def send(self, message):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def read(self):
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)
        return json.loads(line)

    def call(self, method, params):
        request_id = "t%d" % self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    data = message["error"].get("data") or {}
                    raise Failure(data.get("code", "connector.failed"), message["error"]["message"],
                                  data.get("category", "permanent"))
                return message["result"]
            self.queue.append(message)

    def next_request(self):
        return self.queue.pop(0) if self.queue else self.read()


peer = Peer()
state = {"config": None}


def tasks_page(params):
    limit = int(params.get("limit") or 5)
    url = "%s/api/tasks?limit=%d" % (state["config"]["baseURL"].rstrip("/"), limit)
    if params.get("cursor"):
        url += "&after=" + params["cursor"]
    token = peer.call("credentials/get", {"name": "api_token"}).get("value") or ""
    answer = peer.call("http/request", {"method": "GET", "url": url,
                                        "headers": {"Authorization": "Bearer " + token}})
    if answer["status"] != 200:
        # The defect: a refused page ends the list instead of failing the load.
        return {"items": [], "hasMore": False, "cursor": None}
    try:
        rows = json.loads(answer["body"] or "")
    except ValueError:
        raise Failure("connector.invalid_response", "Acme answered a page that is not JSON", "transient")
    if not isinstance(rows, list):
        raise Failure("connector.invalid_response", "Acme answered a page that is not a list", "transient")
    items = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise Failure("connector.invalid_response", "a task without an id", "transient")
        fields = {name: row.get(name) for name in ("title", "status", "projectId")}
        items.append({"type": "Task", "id": row["id"],
                      "fields": {k: (v if isinstance(v, str) else None) for k, v in fields.items()}})
    more = len(rows) == limit
    return {"items": items, "hasMore": more, "cursor": rows[-1]["id"] if more else None}


def handle(method, params):
    if method == "describe":
        return DESCRIPTION
    if method == "initialise":
        state["config"] = params.get("config") or {}
        return {}
    if method == "shutdown":
        return {}
    if method == "health":
        return {"status": "healthy"}
    if method == "sync/seed":
        root = {"type": "TasksRoot", "id": "root"}
        return {"entities": [dict(root, fields={"name": "Acme tasks"})],
                "plan": [{"forRoot": root, "loadCollection": "tasks"}]}
    if method == "load/collection":
        return tasks_page(params)
    raise Failure("connector.unknown_method", "no method " + method)


def main():
    while True:
        message = peer.next_request()
        if "method" not in message:
            continue
        try:
            reply = {"jsonrpc": "2.0", "id": message.get("id"), "result": handle(message["method"], message.get("params") or {})}
        except Failure as failure:
            reply = {"jsonrpc": "2.0", "id": message.get("id"), "error": {
                "code": -32000, "message": failure.message, "data": {"code": failure.code, "category": failure.category}}}
        if "id" in message:
            peer.send(reply)


if __name__ == "__main__":
    main()
