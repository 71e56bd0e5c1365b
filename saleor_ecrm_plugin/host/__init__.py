"""Everything that touches Saleor lives in this package.

``compat`` makes Saleor 2.10.1 run on Python 3.11; ``saleor210`` is the adapter the
programs ask questions through. A Saleor 3.x adapter would sit beside it.
"""
