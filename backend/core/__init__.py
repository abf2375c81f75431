"""Overt's domain: Redis layout, consent, pauses, intake, datasets. No Flask, no RQ runtime.

The web app (`backend/`), the CLI and the RQ workers (`workers/`) all call into this package;
it imports none of them (checked by tests/unit/test_layers.py).
"""
