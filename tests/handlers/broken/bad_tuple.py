def main(request, response):
    return (200, [], "body", "extra")
