"""A counter under the stash's global lock: take, add one, put back. Answers the new count.

GET /conformance/counter.py?id=UUID&path=P
"""


def main(request, response):
    key = request.GET.first(b"id")
    path = request.GET.first(b"path")
    stash = request.server.stash
    with stash.lock:
        count = (stash.take(key, path=path) or 0) + 1
        stash.put(key, count, path=path)
    return str(count)
