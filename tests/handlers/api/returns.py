"""Each wptserve return convention, chosen by ?kind=."""


def chunks():
    yield "one,"
    yield b"two,"
    yield "three"


def main(request, response):
    kind = request.GET.first(b"kind").decode()
    if kind == "str":
        return "a string"
    if kind == "bytes":
        return b"\x00\x01bytes"
    if kind == "pair":
        return [("X-Kind", "pair")], "headers and body"
    if kind == "triple":
        return 201, [("X-Kind", "triple")], "status, headers and body"
    if kind == "triple_message":
        return (418, "I'm a teapot"), [], "short and stout"
    if kind == "none":
        response.status = 202
        response.content = "set on response"
        return None
    if kind == "generator":
        return chunks()
    if kind == "list":
        return ["a", "b", "c"]
    raise ValueError(kind)
