"""Tries to put CR/LF into a header value: must fail with a clear error, not split the response."""


def main(request, response):
    response.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1")
    return "unreachable"
