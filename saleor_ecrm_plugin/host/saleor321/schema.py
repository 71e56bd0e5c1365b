"""Saleor 3.21's schema with the plugin's queries and mutations merged in.

Saleor 3 offers plugins no way to extend its schema: the plugin builds the same
federated schema Saleor builds (``saleor.graphql.api``: same types, subscription
and directives) from root types that add its fields, and serves it at Saleor's own
``/graphql/`` (``urls.py``), so a storefront or the dashboard needs one client.
"""

from __future__ import annotations

import graphql
from graphql import GraphQLCachedBackend
from saleor.core.utils.cache import CacheDict
from saleor.graphql import api as saleor_api
from saleor.graphql.core.federation.schema import build_federated_schema
from saleor.graphql.webhook.subscription_types import Subscription

from ...errors import EcrmError
from ...graphql.costs import MUTATION_FIELDS, QUERY_FIELDS
from ...graphql.operations import EcrmMutations, EcrmQueries


class SchemaClash(EcrmError, RuntimeError):
    """The installed Saleor already has a root field the plugin would add."""


def _check_no_clash() -> None:
    """A plugin field of the same name would silently hide Saleor's own."""
    saleor_query = saleor_api.schema.get_query_type().fields
    saleor_mutation = saleor_api.schema.get_mutation_type().fields
    clashes = sorted(
        (QUERY_FIELDS & set(saleor_query)) | (MUTATION_FIELDS & set(saleor_mutation))
    )
    if clashes:
        raise SchemaClash(f"Saleor already defines {', '.join(clashes)}")


_check_no_clash()


class Query(EcrmQueries, saleor_api.Query):
    pass


class Mutation(EcrmMutations, saleor_api.Mutation):
    pass


schema = build_federated_schema(
    Query,
    mutation=Mutation,
    types=saleor_api.unit_enums + list(saleor_api.WEBHOOK_TYPES_MAP.values()),
    subscription=Subscription,
    directives=graphql.specified_directives
    + [saleor_api.GraphQLDocDirective, saleor_api.GraphQLWebhookEventsInfoDirective],
)
saleor_api.monitor_fields_usage(schema)

#: Saleor's backend (eager validation, cached documents) over the merged schema
backend = GraphQLCachedBackend(
    saleor_api.SaleorGraphQLBackend(), cache_map=CacheDict(1000)
)
