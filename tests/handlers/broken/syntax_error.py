def main(request, response)
    return "missing colon"
