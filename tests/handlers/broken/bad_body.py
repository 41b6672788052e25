"""A body that cannot be sent: a list of ints (iterable, but not of str or bytes)."""


def main(request, response):
    return [1, 2, 3]
