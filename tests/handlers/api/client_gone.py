"""Writes a large body in pieces and records in the stash whether a write failed (client gone)."""

from harness.http import ClientDisconnected


def main(request, response):
    key = request.GET.first(b"id")
    writer = response.writer
    writer.write_status(200)
    writer.write_header("Content-Length", 64 * 1024 * 1024)
    writer.end_headers()
    try:
        for _ in range(1024):
            writer.write_content(b"x" * 65536)
    except ClientDisconnected as exc:
        request.server.stash.put(key, f"told: {type(exc).__name__}", path="/client_gone")
        raise
    request.server.stash.put(key, "never told", path="/client_gone")
