# Broken on purpose: web_socket_do_extra_handshake is missing.
def web_socket_transfer_data(request):
    pass
