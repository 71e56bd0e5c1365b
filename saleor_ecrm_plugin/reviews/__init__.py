"""The signed tokens of the review links (:mod:`.tokens`).

The reviews themselves (models, flows, the page a star link opens) belong to the
review-request program: :mod:`saleor_ecrm_plugin.programs.review_request`.
"""
