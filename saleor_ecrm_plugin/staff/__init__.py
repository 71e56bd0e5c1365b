"""The staff page ``/ecrm/staff/``: the merchant's report and the customer timeline.

Staff sign in with their Saleor email and password (:mod:`.signin`); the page
(:mod:`.views`) reads the same services as the GraphQL queries
(:mod:`saleor_ecrm_plugin.reporting`) and draws the report with Chart.js, vendored
in the package's static files (``static/ecrm/vendor/chartjs/``, its version and
licence beside it) and served by the plugin itself: nothing is loaded from a CDN.
"""
