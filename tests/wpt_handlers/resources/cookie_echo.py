import json

from wptserve.utils import isomorphic_decode


def main(request, response):
    cookies = {}
    for name in request.cookies:
        cookie = request.cookies[name]
        cookies[isomorphic_decode(name)] = [isomorphic_decode(cookie.value), str(cookie)]
    return [(b"Content-Type", b"application/json")], json.dumps(cookies, sort_keys=True)
