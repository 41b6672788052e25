import datetime


def main(request, response):
    response.set_cookie(b"flavour", b"oat", expires=datetime.datetime(2031, 3, 4, 5, 6, 7))
    response.delete_cookie(b"old")
    return "cookies"
