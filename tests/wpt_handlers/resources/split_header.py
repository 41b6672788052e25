def main(request, response):
    response.headers.set(b"X-Split", b"a\r\nInjected: yes")
    return "never sent"
