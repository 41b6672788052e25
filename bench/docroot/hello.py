"""GET /hello.py answers "ok": the cost of running a handler file, for both servers."""


def main(request, response):
    return "ok"
