"""``.asis`` files: the file is the whole response (status line, headers, body), sent raw.

As in wptserve, nothing is added and the connection closes after it, so the file's own
framing (or none) is what the client gets.
"""

from __future__ import annotations

from ..http.response import Response

__all__ = ["serve_asis"]


def serve_asis(method: str, fs_path: str, response: Response) -> None:
    """Send the bytes of ``fs_path`` as the response (GET and HEAD)."""
    if method not in ("GET", "HEAD"):
        response.set_error(405, f"{method} is not allowed on an .asis file")
        response.headers.set("Allow", "GET, HEAD")
        return
    try:
        with open(fs_path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        response.set_error(404, f"cannot read the file: {exc.strerror}")
        return
    response.writer.write_raw_content(data)
    response.close_connection = True
