def main(request, response):
    return [(b"Content-Type", b"text/plain")], b"0123456789"
