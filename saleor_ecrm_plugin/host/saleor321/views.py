"""Saleor 3.21's GraphQL view serving the merged schema.

In front: the plugin's request checks (:class:`...graphql.view_guard.RequestGuard`).
Query cost: Saleor's view checks every operation against its own schema, where the
plugin's fields cost nothing; an operation that uses one of them is first checked
against the merged schema with the plugin's costs added to Saleor's map
(:data:`...graphql.costs.ECRM_COST_MAP`), under the same
``GRAPHQL_QUERY_MAX_COMPLEXITY``, and refused as Saleor refuses one.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from django.conf import settings
from django.http import HttpRequest
from graphql.execution import ExecutionResult
from graphql.language import ast
from saleor.graphql.core.validators import validate_query
from saleor.graphql.query_cost_map import COST_MAP
from saleor.graphql.views import GraphQLView, set_query_cost_on_result

from ...graphql.costs import ECRM_COST_MAP, MUTATION_FIELDS, QUERY_FIELDS
from ...graphql.view_guard import RequestGuard

MERGED_COST_MAP: Dict[str, Dict[str, Any]] = {
    type_name: {**COST_MAP.get(type_name, {}), **ECRM_COST_MAP.get(type_name, {})}
    for type_name in {*COST_MAP, *ECRM_COST_MAP}
}


def uses_plugin_fields(document_ast: ast.Document) -> bool:
    """Whether an operation of the document selects one of the plugin's root
    fields (directly or through a fragment on the root type)."""
    for definition in document_ast.definitions:
        if isinstance(definition, ast.OperationDefinition):
            ours = (
                MUTATION_FIELDS if definition.operation == "mutation" else QUERY_FIELDS
            )
        elif isinstance(definition, ast.FragmentDefinition):
            ours = QUERY_FIELDS | MUTATION_FIELDS
        else:
            continue
        for selection in definition.selection_set.selections:
            if isinstance(selection, ast.Field) and selection.name.value in ours:
                return True
    return False


class EcrmGraphQLView(RequestGuard, GraphQLView):
    def execute_graphql_request(self, request: HttpRequest, data: dict) -> Any:
        cost, errors = self._merged_cost(request, data)
        if errors:
            return set_query_cost_on_result(
                ExecutionResult(errors=errors, invalid=True), cost
            )
        result = super().execute_graphql_request(request, data)
        if cost is not None and isinstance(result, ExecutionResult):
            # Saleor's own figure left the plugin's fields out
            set_query_cost_on_result(result, cost)
        return result

    def _merged_cost(
        self, request: HttpRequest, data: dict
    ) -> Tuple[Optional[int], Optional[List[Any]]]:
        """(cost, errors) of an operation using the plugin's fields, against the
        merged schema; (None, None) for any other (Saleor's own check decides)."""
        if not settings.GRAPHQL_QUERY_MAX_COMPLEXITY:
            return None, None
        query, variables, _name = self.get_graphql_params(request, data)
        document, error = self.parse_query(query)
        if error or document is None:
            return None, None  # Saleor's own path reports it
        if not uses_plugin_fields(document.document_ast):
            return None, None
        cost, errors = validate_query(
            schema=self.schema,
            document_ast=document.document_ast,
            variables=variables,
            cost_map=MERGED_COST_MAP,
        )
        return cost, errors
