"""Helpers for the plugin's tests, demo and benchmarks (never imported at run time).

Everything here needs the ``test``, ``demo`` or ``bench`` extra (aiosmtpd).
"""
