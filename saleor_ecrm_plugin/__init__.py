"""e-CRM programs for Saleor: cross-sell, abandoned checkouts, reviews, back in stock.

Importing this package must stay cheap and import neither Django nor celery: the
``.pth`` start-up hook imports :mod:`saleor_ecrm_plugin.host.compat` through it.
"""

__version__ = "0.1.0"
