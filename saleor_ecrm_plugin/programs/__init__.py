"""The e-CRM programs: one package each (``programs/<name>/``).

Importing this package imports no program: the registry (:mod:`.registry`) loads
the packages listed in the ``ECRM_PROGRAMS`` setting on first use.
"""
