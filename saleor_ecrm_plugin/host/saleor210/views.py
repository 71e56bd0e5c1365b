"""Saleor 2.10's GraphQL view, with the plugin's request checks in front
(:class:`saleor_ecrm_plugin.graphql.view_guard.RequestGuard`)."""

from __future__ import annotations

from saleor.graphql.views import GraphQLView

from ...graphql.view_guard import RequestGuard


class EcrmGraphQLView(RequestGuard, GraphQLView):
    pass
