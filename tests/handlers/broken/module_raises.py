raise RuntimeError("the module body broke on purpose")
