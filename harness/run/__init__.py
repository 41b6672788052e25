"""Running a harness: processes, readiness, signals, the state file and TLS material.

``supervisor`` binds the listeners (``listeners``), makes the TLS material (``tls``), starts
the stash server and one process per server (``children``), and writes the state file
(``state``). ``launcher`` starts ``harness serve`` from another program (the pytest plugin).
This package sits at the top: it may import every other part of ``harness``; nothing below
imports it.
"""
