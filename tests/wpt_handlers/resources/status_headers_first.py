def main(request, response):
    response.status = (202, b"Accepted Later")
    response.headers.set(b"Content-Type", b"text/plain")
    response.headers.set(b"X-Early", b"1")
    response.write_status_headers()
    response.writer.write_content(b"part one;")
    response.writer.write(b"part two")
