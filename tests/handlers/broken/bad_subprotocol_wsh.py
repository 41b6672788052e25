def select_subprotocol(request, offered):
    raise RuntimeError("cannot choose")


def main(ws, request):
    ws.send("unreachable")
