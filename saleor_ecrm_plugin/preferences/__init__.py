"""Customers' email preferences, consent records, suppression and sending policy.

``service`` holds the flows (read, update, unsubscribe, newsletter double opt-in,
suppress) that both the HTML pages (``views``) and the GraphQL API call; ``policy``
is what the dispatcher asks at send time.
"""
