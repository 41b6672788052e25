def main(request, response):
    return 42
