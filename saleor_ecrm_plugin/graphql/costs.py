"""What the plugin's root fields cost, in the shape of Saleor 3's query cost map.

Saleor 3 checks every operation's cost against ``GRAPHQL_QUERY_MAX_COMPLEXITY``
with its own schema, where the plugin's fields do not exist (they would cost 0).
A host that serves the plugin's fields validates operations that use them against
its merged schema with :data:`ECRM_COST_MAP` added to its own map.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet

from graphene.utils.str_converters import to_camel_case

from .operations import EcrmMutations, EcrmQueries

#: list fields: each item asked for costs one, as Saleor's ``products(first:)``
_LISTS = {
    "productReviews": ["first"],
    "reviews": ["first"],
    "ecrmTimeline": ["first"],
}


def _root_fields(object_type: Any) -> FrozenSet[str]:
    return frozenset(to_camel_case(name) for name in object_type._meta.fields)


#: the plugin's fields on ``Query`` and ``Mutation``, as a client writes them
QUERY_FIELDS = _root_fields(EcrmQueries)
MUTATION_FIELDS = _root_fields(EcrmMutations)


def _costs(fields: FrozenSet[str]) -> Dict[str, Dict[str, Any]]:
    return {
        name: {"complexity": 1, "multipliers": _LISTS[name]}
        if name in _LISTS
        else {"complexity": 1}
        for name in sorted(fields)
    }


ECRM_COST_MAP: Dict[str, Dict[str, Dict[str, Any]]] = {
    "Query": _costs(QUERY_FIELDS),
    "Mutation": _costs(MUTATION_FIELDS),
}
