"""The plugin's GraphQL queries and mutations, for a host's schema to extend its own
with (``class Query(EcrmQueries, HostQuery)``)."""

from __future__ import annotations

from .back_in_stock import BackInStockMutations
from .preferences import PreferenceMutations, PreferenceQueries
from .reporting import ReportingQueries
from .reviews import ReviewMutations, ReviewQueries


class EcrmQueries(ReviewQueries, PreferenceQueries, ReportingQueries):
    pass


class EcrmMutations(ReviewMutations, BackInStockMutations, PreferenceMutations):
    pass
