"""ws[s]://host:port/examples/echo: send back every message, text or binary."""


def main(ws, request):
    for message in ws:
        ws.send(message)
