"""The merchant's report and the customer timeline, read from the plugin's tables.

:mod:`.report` counts, per program, step and A/B variant, what happened to the emails
planned in a period; :mod:`.timeline` lists everything that happened with one
address. Both are plain SQL over the ledger, the engagement events, the credited
orders and the consent log; neither imports Saleor. The staff GraphQL queries
(:mod:`saleor_ecrm_plugin.graphql.reporting`) and the staff page
(:mod:`saleor_ecrm_plugin.staff`) both call them.
"""
