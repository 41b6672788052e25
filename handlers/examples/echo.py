"""Echo what the request carried, as JSON: method, path, query, headers, body."""

import json


def main(request, response):
    info = {
        "method": request.method,
        "url": request.url,
        "path": request.url_parts.path,
        "query": {
            name.decode("latin-1"): [v.decode("latin-1") for v in values] for name, values in request.GET.items()
        },
        "headers": {name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers.items()},
        "body": request.body.decode("utf-8", "replace"),
        "scheme": request.server.scheme,
    }
    return [("Content-Type", "application/json")], json.dumps(info)
