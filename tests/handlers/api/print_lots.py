"""Print a lot to stdout (handlers do): the server must not block on it."""


def main(request, response):
    for _ in range(100):
        print("x" * 2000)
    return "printed"
