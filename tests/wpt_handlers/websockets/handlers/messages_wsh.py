# Exercises ws_stream: a message in three pieces, a ping, binary, then closes with 3001.
from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    request.ws_stream.send_message("one ", end=False)
    request.ws_stream.send_message("two ", end=False)
    request.ws_stream.send_message("three", end=True)
    msgutil.send_ping(request, "are you there")
    request.ws_stream.send_message(b"\x00\x01", binary=True)
    reply = msgutil.receive_message(request)
    request.ws_stream.send_message(f"you said {reply!r}")
    request.ws_stream.close_connection(3001, "done here")
