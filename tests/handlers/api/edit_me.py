def main(request, response):
    return "version 1"
