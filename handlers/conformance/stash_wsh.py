"""Stash operations over WS(S), for the conformance suite: one JSON command per message.

    {"op": "put", "id": UUID, "path": P (optional), "value": TEXT}
    {"op": "take", "id": UUID, "path": P (optional), "timeout": S (optional)}

Each command is answered with {"ok": true, "value": TEXT or null} or {"ok": false, "error": TEXT}.
Values are stored as UTF-8 bytes, as the HTTP handler stores bodies.
"""

import json

from harness.stash import StashError


def main(ws, request):
    stash = request.server.stash
    for message in ws:
        command = json.loads(message)
        try:
            if command["op"] == "put":
                stash.put(command["id"], command["value"].encode("utf-8"), path=command.get("path"))
                reply = {"ok": True, "value": None}
            else:
                value = stash.take(command["id"], path=command.get("path"), timeout=command.get("timeout"))
                reply = {"ok": True, "value": None if value is None else value.decode("utf-8")}
        except StashError as exc:
            reply = {"ok": False, "error": str(exc)}
        ws.send(json.dumps(reply))
