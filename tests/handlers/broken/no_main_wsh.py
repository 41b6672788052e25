def handler(ws, request):
    pass
