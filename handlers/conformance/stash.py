"""Stash operations over HTTP(S), for the conformance suite.

GET|POST /conformance/stash.py?op=put&id=UUID[&path=P][&value=V]   (POST: the body is the value)
GET      /conformance/stash.py?op=take&id=UUID[&path=P][&timeout=S]

put answers 201, or 409 with the StashError when the key already holds a value; take
answers 200 with the value, or 404 when nothing came. Without path= the handler's own URL
path is used. CORS is open so that pages on the other servers can call it.
"""

from harness.stash import StashError


def main(request, response):
    response.headers.set("Access-Control-Allow-Origin", "*")
    response.headers.set("Content-Type", "text/plain; charset=utf-8")
    op = request.GET.first(b"op")
    key = request.GET.first(b"id")
    path = request.GET.first(b"path", None)
    stash = request.server.stash
    if op == b"put":
        value = request.body if request.method == "POST" else request.GET.first(b"value", b"")
        try:
            stash.put(key, value, path=path)
        except StashError as exc:
            return 409, [], f"put refused: {exc}"
        return 201, [], "stored"
    if op == b"take":
        timeout = float(request.GET.first(b"timeout", b"0")) or None
        value = stash.take(key, path=path, timeout=timeout)
        if value is None:
            return 404, [], "absent"
        return 200, [], value
    return 400, [], "op must be put or take"
