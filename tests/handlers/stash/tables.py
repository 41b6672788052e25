"""Table operations over HTTP(S). GET ?op=race&table=T&key=K&item=I: one atomic update
(count + 1) and one append of I; answers {"count", "length"}. ?op=get: the value as JSON."""

import json


def main(request, response):
    table = request.server.stash.table(request.GET.first(b"table").decode())
    key = request.GET.first(b"key").decode()
    op = request.GET.first(b"op")
    if op == b"race":
        count = table.update(key + ":count", lambda n: n + 1, default=0)
        length = table.append(key + ":items", request.GET.first(b"item").decode())
        return json.dumps({"count": count, "length": length})
    return json.dumps(table.get(key))
