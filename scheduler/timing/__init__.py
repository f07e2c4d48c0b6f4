"""When to call: the contact model, the policies that plan attempts, and their explanation.

Timing never uses the dialler (``tests/test_floors.py`` keeps it so): it is
pure decisions over requests, rules and past outcomes, so the simulator and
the pilot can run it without a PBX.
"""
