from wptserve.pipes import template


def main(request, response):
    response.headers.set(b"Content-Type", b"text/plain")
    response.content = template(request, b"host={{host}} x={{GET[x]}} <{{GET[x]}}>", escape_type="none")
