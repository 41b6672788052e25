"""Report to the stash how the connection ended, as the handler saw it; 'raw' sends a hand-built frame."""

from websockets.exceptions import ConnectionClosed


def main(ws, request):
    key = request.GET.first(b"id")
    try:
        for message in ws:
            if message == "raw":
                ws.send_raw(b"\x81\x05hand!")  # a text frame built by hand
            elif message == "raw-bad-opcode":
                ws.send_raw(b"\x83\x00")  # reserved opcode 3: the client must fail the connection
            elif message == "raw-str":
                try:
                    ws.send_raw("not bytes")
                except TypeError as exc:
                    ws.send(f"TypeError: {exc}")
            else:
                ws.send(message)
    except ConnectionClosed as closed:
        sent = closed.sent.code if closed.sent else None
        rcvd = closed.rcvd.code if closed.rcvd else None
        outcome = f"{type(closed).__name__} sent={sent} rcvd={rcvd} code={ws.close_code}"
    except Exception as exc:  # noqa: BLE001 - exactly what the test must never see
        outcome = f"unexpected {type(exc).__name__}: {exc}"
    else:
        outcome = f"ended cleanly code={ws.close_code}"
    request.server.stash.put(key, outcome, path="/ws-outcome")
