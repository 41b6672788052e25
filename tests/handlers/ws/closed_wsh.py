"""Echo until the connection ends, then record in the stash how it ended (for leak tests)."""

from websockets.exceptions import ConnectionClosed


def main(ws, request):
    key = request.GET.first(b"id")
    how = "closed cleanly"
    try:
        for message in ws:
            ws.send(message)
    except ConnectionClosed as exc:
        how = f"connection lost ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
    request.server.stash.put(key, how, path="/ws-ended")
