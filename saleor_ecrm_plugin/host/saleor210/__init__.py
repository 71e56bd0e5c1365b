"""The host adapter for Saleor 2.10 (chosen by :func:`..port.current`).

Split by concern: ``shop``, ``customers``, ``orders``, ``catalogue``, ``checkouts``,
``vouchers``, ``locks`` answer the port (bound together in ``adapter``); ``plugin``,
``urls``, ``graphql`` and ``schema`` are the glue Saleor 2.10 loads or serves;
``compat`` holds the runtime shims that let Saleor 2.10.1 run on Python 3.11.

Importing this package imports nothing: the start-up ``.pth`` imports ``compat``
through it before anything else is set up.
"""
