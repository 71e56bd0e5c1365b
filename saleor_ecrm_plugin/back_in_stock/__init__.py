"""Back-in-stock alerts: subscriptions, detection of restocked variants, waves.

``service`` holds the flows (subscribe, the detection tick, planning a wave) that
the GraphQL mutation and the Celery beat task call; the program
(``programs/back_in_stock.py``) holds the configuration, the re-check before each
send and the email.
"""
