"""POST /examples/stash_put.py?id=UUID[&path=P]: stash the request body under id.

Answers 201 when stored, 409 when the key already holds a value.
"""

from harness.stash import StashError


def main(request, response):
    key = request.GET.first(b"id")
    path = request.GET.first(b"path", None)
    try:
        request.server.stash.put(key, request.body, path=path)
    except StashError as exc:
        return 409, [("Content-Type", "text/plain")], str(exc)
    return 201, [("Content-Type", "text/plain")], "stored"
