"""?op=put&id=K&ttl=S stores the body for S seconds at this path; ?op=take&id=K takes it."""


def main(request, response):
    key = request.GET.first(b"id")
    if request.GET.first(b"op") == b"put":
        request.server.stash.put(key, request.body, ttl=float(request.GET.first(b"ttl")))
        return "stored"
    value = request.server.stash.take(key)
    return (404, [], "gone") if value is None else value
