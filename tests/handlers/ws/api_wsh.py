"""Exercise the ws object on command: each text message names what to do."""

import json

from websockets.exceptions import ConnectionClosedOK

SUBPROTOCOLS = ["chat.v2", "chat.v1"]


def main(ws, request):
    ws.send(
        json.dumps(
            {"subprotocol": ws.subprotocol, "path": ws.request.path, "agent": ws.request.headers.get("User-Agent")}
        )
    )
    try:
        for message in ws:
            if message == "fragments":
                ws.send(["one", "two", "three"])
            elif message == "binary-fragments":
                ws.send([b"\x01", b"\x02"])
            elif message == "timeout":
                try:
                    ws.recv(timeout=0.2)
                    ws.send("no timeout?")
                except TimeoutError:
                    ws.send("timed out")
            elif message == "decode-false":
                ws.send(repr(ws.recv(decode=False)))
            elif message == "close-4000":
                ws.close(4000, "custom reason")
                ws.send("unreachable")
            elif message == "ping":
                pong = ws.ping(b"server ping")
                ws.send("pinged")
                reply = ws.recv()  # the client's pong is processed while this waits
                ws.send(f"{reply}, pong received: {pong.is_set()}")
            elif isinstance(message, bytes):
                ws.send(message)
            else:
                ws.send(f"echo: {message}")
    except ConnectionClosedOK:
        return  # the handler closed it itself (close-4000)
    # Iteration ends quietly when the client closes cleanly, as in websockets.
    request.server.stash.put(request.GET.first(b"id"), f"closed ok {ws.close_code}", path="/ws-api")
