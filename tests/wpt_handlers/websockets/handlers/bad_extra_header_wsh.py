# Broken on purpose: a 101 header that would split the response.
def web_socket_do_extra_handshake(request):
    request.extra_headers.append(("X-Split", "a\r\nInjected: yes"))


def web_socket_transfer_data(request):
    pass
