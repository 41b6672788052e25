def main(request, response):
    response.headers.set(b"Content-Type", b"text/plain")
    response.content = b"abcdefghij"
