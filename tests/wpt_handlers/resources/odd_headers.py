def main(request, response):
    response.headers.set(b"Content:Type", b"text/odd")
    response.headers.set(b"X-Empty", b"")
    response.headers.append(b"x-repeat", b"1")
    response.headers.append(b"X-REPEAT", b"2")
    response.headers.set(b"X-Bytes", b"caf\xe9 \xff")
    response.headers.set(b"lower-case-name", b"kept")
    return "odd"
