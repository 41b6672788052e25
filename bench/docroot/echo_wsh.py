"""ws[s]://host:port/echo: send every message back (the harness's handler convention)."""


def main(ws, request):
    for message in ws:
        ws.send(message)
