"""GET /examples/stash_take.py?id=UUID[&path=P][&timeout=S]: take the value (404 if none)."""


def main(request, response):
    key = request.GET.first(b"id")
    path = request.GET.first(b"path", None)
    timeout = float(request.GET.first(b"timeout", b"0"))
    value = request.server.stash.take(key, path=path, timeout=timeout or None)
    if value is None:
        return 404, [("Content-Type", "text/plain")], "nothing stashed under this key"
    return [("Content-Type", "application/octet-stream")], value
