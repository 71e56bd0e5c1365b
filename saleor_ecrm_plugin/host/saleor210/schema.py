"""Saleor 2.10's schema with the plugin's queries and mutations added.

Saleor 2.10's schema is static, so the plugin serves a schema of its own at the same
``/graphql/`` path (see ``urls.py``): every Saleor field is still there.
"""

from __future__ import annotations

from graphene_federation import build_schema
from saleor.graphql.api import Mutation as SaleorMutation
from saleor.graphql.api import Query as SaleorQuery

from ...graphql.operations import EcrmMutations, EcrmQueries


class Query(EcrmQueries, SaleorQuery):
    pass


class Mutation(EcrmMutations, SaleorMutation):
    pass


schema = build_schema(Query, mutation=Mutation)
