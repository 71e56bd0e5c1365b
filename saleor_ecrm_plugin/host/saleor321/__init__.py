"""The host adapter for Saleor 3.21 (chosen by :func:`..port.current` for Saleor 3.x).

Split by concern as ``saleor210/`` is: ``shop``, ``channels``, ``customers``,
``orders``, ``catalogue``, ``checkouts``, ``vouchers``, ``locks`` answer the port
(bound together in ``adapter``); ``plugin`` and ``urls`` are the glue Saleor 3.21
loads or serves; ``settings`` is a settings module for the test suite.

What differs from 2.10: checkouts and orders have UUID primary keys (orders a
sequence ``number`` too), products and variants are sold per channel (visibility and
prices in their channel listings), stock has ``quantity_allocated`` and checkout
``Reservation`` rows, vouchers keep their codes in ``VoucherCode`` and their values
in ``VoucherChannelListing``, and Saleor runs plugin hooks after its transactions
commit.
"""
