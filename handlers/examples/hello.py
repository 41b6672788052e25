"""The smallest handler: GET /examples/hello.py answers "ok"."""


def main(request, response):
    return "ok"
