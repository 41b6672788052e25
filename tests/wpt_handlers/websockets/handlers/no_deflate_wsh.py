# Turns permessage-deflate off, as wpt's echo handler does, and echoes.
def web_socket_do_extra_handshake(request):
    request.ws_extension_processors = []


def web_socket_transfer_data(request):
    while (message := request.ws_stream.receive_message()) is not None:
        request.ws_stream.send_message(message, binary=isinstance(message, bytes))
