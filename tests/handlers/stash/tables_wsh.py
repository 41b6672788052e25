"""Table operations over WS(S): each message {"table", "key", "item"} does what tables.py's
op=race does and answers {"count", "length"}."""

import json


def main(ws, request):
    for message in ws:
        call = json.loads(message)
        table = request.server.stash.table(call["table"])
        count = table.update(call["key"] + ":count", lambda n: n + 1, default=0)
        length = table.append(call["key"] + ":items", call["item"])
        ws.send(json.dumps({"count": count, "length": length}))
