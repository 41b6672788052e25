# Reads until the client closes, then answers its close frame with a code and reason of its own.
from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    while msgutil.receive_message(request) is not None:
        pass


def web_socket_passive_closing_handshake(request):
    return 4321, f"got {request.ws_close_code}/{request.ws_close_reason}"
