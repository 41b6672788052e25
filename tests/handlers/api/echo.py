"""Report what the handler saw, as JSON, so tests can check the Request surface."""

import json


def text(value):
    return value.decode("latin-1") if isinstance(value, bytes) else value


def main(request, response):
    post = {}
    for name, values in request.POST.items():
        post[text(name)] = [
            {"filename": v.filename, "value": text(v.value), "type": v.type} if hasattr(v, "filename") else text(v)
            for v in values
        ]
    info = {
        "method": request.method,
        "url": request.url,
        "path": request.url_parts.path,
        "query": request.url_parts.query,
        "GET": {text(name): [text(v) for v in values] for name, values in request.GET.items()},
        "GET_first_str": text(request.GET.first("a", b"-")),
        "GET_first_bytes": text(request.GET.first(b"a", b"-")),
        "a_in_GET": "a" in request.GET and b"a" in request.GET,
        "POST": post,
        "body": text(request.body),
        "headers": {text(name): text(value) for name, value in request.headers.iteritems()},
        "header_x_test": text(request.headers.get("X-TEST", b"-")),
        "header_x_test_list": [text(v) for v in request.headers.get_list(b"x-test", [])],
        "cookies": {text(name): text(request.cookies[name].value) for name in request.cookies},
        "auth": [text(request.auth.username), text(request.auth.password)],
        "client_address": list(request.client_address),
        "scheme": request.server.scheme,
        "stash_default_path": request.server.stash.default_path,
        "config_host": request.server.config.host,
        "wss_url": request.server.url("wss", "/x"),
    }
    return [("Content-Type", "application/json")], json.dumps(info)
