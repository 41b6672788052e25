# examples/relay_wsh.py: wss://.../examples/relay?id=UUID relays what a page puts under id
import json


def main(ws, request):
    key = request.GET.first(b"id").decode()
    value = request.server.stash.take(key, timeout=30)  # at this handler's path, /examples/relay
    request.server.stash.table("relay-log").append(key, value)
    ws.send(json.dumps(value))
