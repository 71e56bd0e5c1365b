"""Product reviews collected by the review-request emails (Saleor 2.10 has none).

* :mod:`.models`: the :class:`~.models.Review` rows (one per order line at most);
* :mod:`.tokens`: the signed tokens of the star links, bound to one order line;
* :mod:`.service`: the flows shared by the HTML page and the GraphQL API
  (submit, comment, moderate, read the approved reviews of a product);
* :mod:`.views`: the page a star link opens.
"""
