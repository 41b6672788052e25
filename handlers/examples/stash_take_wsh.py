"""ws[s]://.../examples/stash_take?id=UUID[&path=P][&timeout=S]: wait for a value and send it."""


def main(ws, request):
    key = request.GET.first(b"id")
    path = request.GET.first(b"path", None)
    timeout = float(request.GET.first(b"timeout", b"10"))
    value = request.server.stash.take(key, path=path, timeout=timeout)
    ws.send(b"" if value is None else value)
