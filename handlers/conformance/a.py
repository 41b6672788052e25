"""Default path scoping: put or take under this handler's own path (/conformance/a.py).

GET /conformance/a.py?op=put&id=UUID&value=V  |  ?op=take&id=UUID
"""


def main(request, response):
    key = request.GET.first(b"id")
    if request.GET.first(b"op") == b"put":
        request.server.stash.put(key, request.GET.first(b"value"))
        return "stored"
    value = request.server.stash.take(key)
    return (404, [], "absent") if value is None else value
