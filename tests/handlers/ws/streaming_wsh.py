"""Echo each message as recv_streaming gives it: text pieces joined, binary pieces joined."""


def main(ws, request):
    while True:
        pieces = list(ws.recv_streaming())
        if pieces and isinstance(pieces[0], str):
            ws.send("".join(pieces))
        else:
            ws.send(b"".join(pieces))
