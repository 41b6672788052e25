def main(ws, request):
    for message in ws:
        ws.send(message)
