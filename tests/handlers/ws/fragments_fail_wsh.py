"""Send a fragmented message whose generator fails part-way."""


def fragments():
    yield "part one"
    raise ValueError("the generator failed")


def main(ws, request):
    ws.recv()
    ws.send(fragments())
