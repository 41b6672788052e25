from wptserve.utils import isomorphic_decode, isomorphic_encode


def main(request, response):
    key = request.GET.first(b"key")
    if request.method == "POST":
        request.server.stash.put(key, isomorphic_decode(request.body))
        return "stored"
    value = request.server.stash.take(key)
    if value is None:
        return 404, [(b"Content-Type", b"text/plain")], b"missing"
    return [(b"Content-Type", b"text/plain")], isomorphic_encode(value)
