"""What a GraphQL request must be before it is parsed, validated and run.

:func:`request_problem` answers for one request's JSON (a readable message, or None
when it may run), in the active language (Django's ``LocaleMiddleware`` sets it
from ``Accept-Language``). It refuses, each with a message a client can read:

* a body that is not a JSON object (``null``, a number, a string...), wrong-typed
  ``query``, ``variables`` or ``operationName``, text that is not valid Unicode
  (lone surrogates), JSON nested deeper than :data:`MAX_JSON_DEPTH`;
* a query nested deeper than :data:`MAX_DEPTH` (selections, inline fragments and
  input objects: each ``{`` counts), with more than :data:`MAX_ALIASES` aliases or
  more than :data:`MAX_FIELDS` fields once fragments are expanded (the cost bound:
  an alias or a fragment spread multiplies the work of a field);
* a variable whose JSON value is not of the type its definition declares: a
  ``Boolean`` must be ``true`` or ``false``, an ``Int`` a whole JSON number (not
  ``"5"``, not 3.5), a ``Float`` a JSON number, a ``String`` or an ``ID`` a JSON
  string (an ``ID`` may also be a whole number), inside lists and input objects
  too. graphql-core 2 would coerce them (``bool("false")`` is true, ``int(3.5)``
  is 3).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from django.utils.translation import gettext, gettext_noop
from graphql import parse
from graphql.error import GraphQLSyntaxError
from graphql.language import ast
from graphql.type import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

MAX_DEPTH = 20
MAX_ALIASES = 30
MAX_FIELDS = 1000
MAX_JSON_DEPTH = 32
MAX_QUERY_LENGTH = 100_000
#: operations in one batched request (a JSON list)
MAX_BATCH = 10

# messages in the catalogue, translated where returned (the request's language)
NOT_AN_OBJECT = gettext_noop("The request must be a JSON object with a query string.")
BAD_VARIABLES = gettext_noop("variables must be a JSON object.")
BAD_OPERATION = gettext_noop("operationName must be a string.")
BAD_TEXT = gettext_noop("The request holds text that is not valid Unicode.")
TOO_DEEP = gettext_noop("The query is nested too deeply (at most %(limit)s levels).")
TOO_MANY_ALIASES = gettext_noop("The query uses too many aliases (at most %(limit)s).")
TOO_COSTLY = gettext_noop("The query asks for too many fields (at most %(limit)s).")
TOO_LONG = gettext_noop("The query is too long (at most %(limit)s characters).")
JSON_TOO_DEEP = gettext_noop(
    "The request's JSON is nested too deeply (at most %(limit)s)."
)
BAD_VARIABLE = gettext_noop(
    "Variable $%(name)s is not a valid %(type)s: send it as that JSON type."
)


def _over(message: str, limit: int) -> str:
    """A limit's message in the active language."""
    return gettext(message) % {"limit": limit}


def _valid_text(value: Any, depth: int = 0) -> Optional[str]:
    """A problem with the strings of a JSON value (or its nesting), or None."""
    if depth > MAX_JSON_DEPTH:
        return _over(JSON_TOO_DEEP, MAX_JSON_DEPTH)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return gettext(BAD_TEXT)
        return None
    if isinstance(value, dict):
        items: List[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = _valid_text(item, depth + 1)
        if problem:
            return problem
    return None


def _brace_depth(query: str) -> int:
    """The deepest ``{`` nesting of the query text, strings and comments skipped."""
    depth = deepest = 0
    index, length = 0, len(query)
    while index < length:
        char = query[index]
        if char == "#":
            newline = query.find("\n", index)
            index = length if newline < 0 else newline
        elif char == '"':
            if query.startswith('"""', index):
                end = query.find('"""', index + 3)
                index = length if end < 0 else end + 2
            else:
                index += 1
                while index < length and query[index] not in '"\n':
                    index += 2 if query[index] == "\\" else 1
        elif char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
        index += 1
    return deepest


class _Cost:
    def __init__(self, fragments: Dict[str, ast.FragmentDefinition]) -> None:
        self.fragments = fragments
        self.fields = 0
        self.aliases = 0

    def walk(self, selection_set: Optional[ast.SelectionSet], seen: Set[str]) -> None:
        if selection_set is None or self.fields > MAX_FIELDS:
            return
        for selection in selection_set.selections:
            if isinstance(selection, ast.Field):
                self.fields += 1
                if selection.alias is not None:
                    self.aliases += 1
                self.walk(selection.selection_set, seen)
            elif isinstance(selection, ast.InlineFragment):
                self.walk(selection.selection_set, seen)
            elif isinstance(selection, ast.FragmentSpread):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # cycles: validation's
                    self.walk(fragment.selection_set, seen | {name})


def _scalar_fits(name: str, value: Any) -> bool:
    if name == "Boolean":
        return isinstance(value, bool)
    if name == "Int":
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and -(2**31) <= value < 2**31
        )
    if name == "Float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "String":
        return isinstance(value, str)
    if name == "ID":
        return isinstance(value, str) or (
            isinstance(value, int) and not isinstance(value, bool)
        )
    return True  # custom scalars parse their own values


def _variable_fits(graphql_type: Any, value: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if value is None:
        return True  # null where null is not allowed: graphql-core's own error
    if isinstance(graphql_type, GraphQLList):
        items = value if isinstance(value, list) else [value]
        return all(_variable_fits(graphql_type.of_type, item) for item in items)
    if isinstance(graphql_type, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return False
        return all(
            _variable_fits(field.type, value[name])
            for name, field in graphql_type.fields.items()
            if name in value
        )
    if isinstance(graphql_type, GraphQLScalarType):
        return _scalar_fits(graphql_type.name, value)
    return True  # enums: graphql-core refuses what is not one of their names


def request_problem(schema: Any, data: Any) -> Optional[str]:
    """Why this request (one JSON object of a body) may not run, or None."""
    if not isinstance(data, dict):
        return gettext(NOT_AN_OBJECT)
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return gettext(NOT_AN_OBJECT)
    if variables is not None and not isinstance(variables, dict):
        return gettext(BAD_VARIABLES)
    if operation_name is not None and not isinstance(operation_name, str):
        return gettext(BAD_OPERATION)
    problem = _valid_text([query, variables, operation_name])
    if problem:
        return problem
    if len(query) > MAX_QUERY_LENGTH:
        return _over(TOO_LONG, MAX_QUERY_LENGTH)
    if _brace_depth(query) > MAX_DEPTH:
        return _over(TOO_DEEP, MAX_DEPTH)
    try:
        document = parse(query)
    except GraphQLSyntaxError as exc:
        # graphql-core's own message (line, column, the text around it), answered
        # as every other refusal is (Saleor's view would name the exception class)
        return exc.message
    except RecursionError:
        return _over(TOO_DEEP, MAX_DEPTH)
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, ast.FragmentDefinition)
    }
    cost = _Cost(fragments)
    operations = [
        d for d in document.definitions if isinstance(d, ast.OperationDefinition)
    ]
    for operation in operations:
        cost.walk(operation.selection_set, set())
    if cost.fields > MAX_FIELDS:
        return _over(TOO_COSTLY, MAX_FIELDS)
    if cost.aliases > MAX_ALIASES:
        return _over(TOO_MANY_ALIASES, MAX_ALIASES)
    for operation in operations:
        if operation_name and (
            operation.name is None or operation.name.value != operation_name
        ):
            continue
        for definition in operation.variable_definitions or []:
            name = definition.variable.name.value
            if not variables or name not in variables:
                continue
            graphql_type = _declared_type(schema, definition.type)
            if graphql_type is not None and not _variable_fits(
                graphql_type, variables[name]
            ):
                return gettext(BAD_VARIABLE) % {
                    "name": name,
                    "type": _type_name(definition.type),
                }
    return None


def _declared_type(schema: Any, node: Any) -> Any:
    """The schema type a variable definition names; None for an unknown name
    (validation reports it)."""
    if isinstance(node, ast.NonNullType):
        inner = _declared_type(schema, node.type)
        return inner and GraphQLNonNull(inner)
    if isinstance(node, ast.ListType):
        inner = _declared_type(schema, node.type)
        return inner and GraphQLList(inner)
    return schema.get_type_map().get(node.name.value)


def _type_name(node: Any) -> str:
    if isinstance(node, ast.NonNullType):
        return _type_name(node.type) + "!"
    if isinstance(node, ast.ListType):
        return f"[{_type_name(node.type)}]"
    return str(node.name.value)
