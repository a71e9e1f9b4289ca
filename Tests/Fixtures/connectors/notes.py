#!/usr/bin/env python3
"""A Max connector in Python: the test fixture of docs/connector-protocol.md.

It serves generated notes and users. Its api_key arrives only as the answer to its own
credentials/get request; the `inspect` operation reports whether that secret is in its argv or
environment. The `fault` config field makes it misbehave, for Max's isolation tests:
crash (exit in the middle of a page), hang (never answer a page), garbage (answer a page with a
line that is not JSON), huge (answer a page with a 20 MB line), memory (allocate 1 GB),
stubborn:PATH (write its pid to PATH, then ignore SIGTERM, SIGINT and the end of its input and
never answer a page or a health check). And it tries to leave its sandbox: egress:URL (a request
through Max to URL), connect:HOST:PORT (a connection of its own), resolve:NAME (a name lookup of
its own), read:PATH (list a folder). Each says on its log what it tried and what happened, and
fails the page; a message starting "escaped" means the attempt succeeded.
"""
import json
import os
import signal
import socket
import sys
import time

SCHEMA = {
    "namespace": "notes",
    "roots": ["NotesRoot"],
    "entities": [
        {"name": "NotesRoot", "fields": [
            {"name": "name", "type": "string"},
            {"name": "notes", "type": "collection<Note>"},
            {"name": "users", "type": "collection<NotesUser>"},
        ]},
        {"name": "Note", "summary": "A note", "fields": [
            {"name": "title", "type": "string", "indexed": True},
            {"name": "body", "type": "string"},
            {"name": "tags", "type": "json"},
            {"name": "author", "type": "ref<NotesUser>"},
            {"name": "created", "type": "date"},
            {"name": "words", "type": "int"},
        ]},
        {"name": "NotesUser", "fields": [
            {"name": "name", "type": "string"},
            {"name": "email", "type": "string"},
        ]},
    ],
}

DESCRIPTION = {
    "protocol": 1,
    "name": "notes",
    "displayName": "Notes",
    "description": "Generated notes, from a connector written in Python",
    "version": "1.0.0",
    "schema": SCHEMA,
    "onboarding": [
        {"kind": "input", "label": "Notes", "fields": [
            {"name": "count", "label": "How many notes", "type": "number", "required": False, "default": 25},
            {"name": "fault", "label": "Misbehave", "type": "string", "required": False, "default": ""},
        ], "credentials": [{"name": "api_key", "label": "API key"}]},
        {"kind": "validation", "label": "Checking the key"},
    ],
    "resolvers": [
        {"entityType": "NotesRoot", "fields": {}, "collections": [
            {"field": "notes", "target": "Note", "loader": "rootNotes", "pageSize": 10},
            {"field": "users", "target": "NotesUser", "loader": "rootUsers", "pageSize": 10},
        ]},
    ],
    "loaders": [],
    "changeFeed": False,
    "operations": [
        {"id": "addNote", "displayName": "Add a note", "description": "Adds a note.", "mutating": True,
         "inputSchema": {"type": "object", "required": ["title"], "additionalProperties": False,
                         "properties": {"title": {"type": "string", "minLength": 1}, "body": {"type": "string"}}},
         "outputSchema": {"type": "object", "required": ["id"]}, "writeThrough": "Note"},
        {"id": "inspect", "displayName": "Inspect", "description": "Where the secret is.", "mutating": False,
         "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}},
        {"id": "fetch", "displayName": "Fetch", "description": "GETs a URL through Max.", "mutating": False,
         "inputSchema": {"type": "object", "required": ["url"],
                         "properties": {"url": {"type": "string"}, "token": {"type": "string"}}},
         "outputSchema": {"type": "object"}},
    ],
}


class Peer:
    """JSON-RPC over stdin and stdout, one message per line; requests from Max that arrive while
    the connector waits for its own answer are queued."""

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
        request_id = "c%d" % self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    error = message["error"]
                    data = error.get("data") or {}
                    raise Failure(data.get("code", "connector.failed"), error["message"], data.get("category", "permanent"))
                return message["result"]
            self.queue.append(message)

    def next_request(self):
        return self.queue.pop(0) if self.queue else self.read()


class Failure(Exception):
    def __init__(self, code, message, category="permanent"):
        super().__init__(message)
        self.code, self.message, self.category = code, message, category


peer = Peer()
state = {"config": None, "secret": None, "added": []}


def notes():
    count = int(state["config"].get("count", 25))
    generated = [{"type": "Note", "id": "n%03d" % i, "fields": {
        "title": "Note %d" % i, "body": "Body of note %d" % i, "tags": ["t%d" % (i % 3)],
        "author": "u%d" % (i % 3), "created": "2026-01-%02dT10:00:00Z" % (i % 28 + 1), "words": i * 10}}
        for i in range(count)]
    return generated + state["added"]


def users():
    return [{"type": "NotesUser", "id": "u%d" % i, "fields": {"name": "User %d" % i, "email": "u%d@notes.test" % i}}
            for i in range(3)]


def secret():
    answer = peer.call("credentials/get", {"name": "api_key"})
    value = answer.get("value")
    if not value:
        raise Failure("credentials.missing", "the api_key is not stored")
    return value


def page(items, params):
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or 10)
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    return {"items": chunk, "hasMore": more, "cursor": str(start + limit) if more else None}


def stubborn():
    fault = (state["config"] or {}).get("fault", "")
    if fault.startswith("stubborn:"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with open(fault[len("stubborn:"):], "w") as file:
            file.write(str(os.getpid()))
        while True:
            time.sleep(3600)


def misbehave():
    stubborn()
    fault = (state["config"] or {}).get("fault", "")
    if fault == "crash":
        sys.stderr.write("notes: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    if fault == "hang":
        time.sleep(3600)
    if fault == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
    if fault == "huge":
        sys.stdout.write("x" * (20 << 20) + "\n")
        sys.stdout.flush()
    escape()
    if fault == "memory":
        hoard = bytearray(1 << 30)  # over a 256 MB limit: MemoryError, and the process dies of it
        return len(hoard)


def escape():
    fault = (state["config"] or {}).get("fault", "")
    kind, _, target = fault.partition(":")
    if kind not in ("egress", "connect", "resolve", "read"):
        return
    try:
        if kind == "egress":
            answer = peer.call("http/request", {"method": "GET", "url": target})
            outcome = "escaped: %s answered %s" % (target, answer.get("status"))
        elif kind == "connect":
            host, _, port = target.rpartition(":")
            socket.create_connection((host, int(port)), timeout=5).close()
            outcome = "escaped: connected to " + target
        elif kind == "resolve":
            outcome = "escaped: %s is %s" % (target, socket.getaddrinfo(target, 443)[0][4][0])
        else:
            outcome = "escaped: %s holds %s" % (target, os.listdir(target))
    except Failure as failure:
        outcome = "refused by Max: [%s] %s" % (failure.code, failure.message)
    except OSError as error:
        outcome = "failed: %s" % error
    sys.stderr.write("notes: tried %s %s: %s\n" % (kind, target, outcome))
    sys.stderr.flush()
    raise Failure("connector.sandbox_probe", "tried %s %s: %s" % (kind, target, outcome))


def handle(method, params):
    if method == "describe":
        return DESCRIPTION
    if method == "onboarding/validate":
        if not secret().startswith("nk_"):
            raise Failure("onboarding.validation_failed", "the api_key must start with nk_")
        return {}
    if method == "initialise":
        state["config"] = params.get("config") or {}
        state["secret"] = secret()
        return {}
    if method == "shutdown":
        return {}
    if state["config"] is None:
        raise Failure("connector.not_started", "initialise first", "internal")
    if method == "health":
        stubborn()
        return {"status": "healthy"}
    if method == "sync/seed":
        root = {"type": "NotesRoot", "id": "root"}
        return {"entities": [dict(root, fields={"name": "Notes"})],
                "plan": [{"forRoot": root, "loadCollection": "users"}, {"forRoot": root, "loadCollection": "notes"}]}
    if method == "load/collection":
        if params["field"] == "notes":
            if int(params.get("cursor") or 0) > 0:
                misbehave()
            return page(notes(), params)
        return page(users(), params)
    if method == "operation/execute":
        if params["operation"] == "fetch":
            given = params["input"]
            headers = {"Authorization": "Bearer " + given["token"]} if "token" in given else {}
            answer = peer.call("http/request", {"method": "GET", "url": given["url"], "headers": headers})
            return {"data": {"status": answer["status"], "body": json.loads(answer["body"] or "null")}}
        if params["operation"] == "inspect":
            value = state["secret"]
            return {"data": {
                "secretReceived": bool(value),
                "argvHasSecret": any(value in argument for argument in sys.argv),
                "environHasSecret": any(value in text for text in os.environ.values()),
                "pid": os.getpid()}}
        given = params["input"]
        note = {"type": "Note", "id": "n-added-%d" % (len(state["added"]) + 1),
                "fields": {"title": given["title"], "body": given.get("body", ""), "tags": [], "words": 0}}
        state["added"].append(note)
        return {"data": {"id": note["id"], "title": given["title"]}, "writes": [note]}
    raise Failure("connector.unknown_method", "no method " + method)


def main():
    while True:
        message = peer.next_request()
        if "method" not in message:
            continue
        try:
            result = handle(message["method"], message.get("params") or {})
            reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
        except Failure as failure:
            reply = {"jsonrpc": "2.0", "id": message["id"], "error": {
                "code": -32000, "message": failure.message,
                "data": {"code": failure.code, "category": failure.category}}}
        if "id" in message:
            peer.send(reply)


if __name__ == "__main__":
    main()
