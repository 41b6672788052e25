"""Send back, as JSON, what the handshake request carried."""

import json


def main(ws, request):
    ws.send(
        json.dumps(
            {
                "path": request.url_parts.path,
                "query_a": request.GET.first(b"a", b"-").decode(),
                "header": request.headers.get(b"x-test", b"-").decode(),
                "cookie": request.cookies.first(b"c").value.decode() if b"c" in request.cookies else "-",
                "stash_default_path": request.server.stash.default_path,
                "scheme": request.server.scheme,
                "url": request.url,
            }
        )
    )
