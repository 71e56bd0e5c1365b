"""Rendering and CSS inlining of every templated email: the plugin's and Saleor's own.

Mail clients ignore much of a ``<style>`` element (Gmail drops it in some views,
Outlook honours only part of it), so the templates write their CSS once in the
layout's ``<style>`` and :func:`inline_css` copies it into ``style`` attributes. A
``<style data-css-inline="keep">`` element (media queries for small screens) stays.

Saleor sends its order emails with ``templated_email.send_templated_mail``, which
renders through ``settings.TEMPLATED_EMAIL_BACKEND``; ``enable_ecrm`` points that
setting at :class:`CssInliningTemplateBackend`, and the dispatcher renders through
the same class, so every email is inlined in one place.

Inlining uses css-inline (Rust, no network access). Without it, or when it cannot
parse a document, the HTML goes out as rendered: the ``<style>`` element still
styles it in most clients, and a warning is logged.

Rendering: django-templated-email renders the subject, plain and HTML parts with
django-render-block, which for each part walks the whole template tree again to
find the part's block and the blocks of the layouts it extends. That walk depends
only on the compiled templates, so :func:`render_email_parts` does it once per
compiled template (Django's cached loader hands out the same objects) and then
renders each part from the recorded block stacks: the same output, the same block
context (the ``audience`` block the ``ecrm`` tags read), in about half the time.
"""

from __future__ import annotations

import logging
import weakref
from collections import defaultdict
from copy import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import Context, loader
from django.template.backends.django import Template as DjangoTemplate
from django.template.base import Template, TextNode, Variable
from django.template.context import RenderContext
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
)
from render_block import BlockNotFound, render_block_to_string
from templated_email.backends.vanilla_django import (
    EmailRenderException,
    TemplateBackend,
)

logger = logging.getLogger(__name__)

try:
    import css_inline
except ImportError:  # pragma: no cover - exercised only where css-inline is absent
    css_inline = None  # type: ignore[assignment]

_inliner: Any = None
_warned_missing = False


def inline_css(html: str) -> str:
    """Return ``html`` with the rules of its ``<style>`` elements inlined."""
    global _inliner, _warned_missing
    if css_inline is None:
        if not _warned_missing:
            logger.warning("css-inline is not installed: email CSS is not inlined.")
            _warned_missing = True
        return html
    if _inliner is None:
        _inliner = css_inline.CSSInliner(
            keep_style_tags=False,
            load_remote_stylesheets=False,
            # room for an email's elements up front (the default, 32, is regrown
            # for every email: 10 % of the inlining time)
            preallocate_node_capacity=256,
        )
    try:
        return _inliner.inline(html)
    except ValueError as exc:  # css_inline.InlineError: CSS it cannot parse
        logger.warning("Email CSS left as is, css-inline failed: %s", exc)
        return html


def inline_message_css(message: EmailMessage) -> EmailMessage:
    """Inline the CSS of the HTML body or HTML alternative of ``message``."""
    if isinstance(message, EmailMultiAlternatives):
        message.alternatives = [
            (inline_css(content) if mimetype == "text/html" else content, mimetype)
            for content, mimetype in message.alternatives
        ]
    if message.content_subtype == "html":
        message.body = inline_css(message.body)
    return message


#: the parts of a templated email, in django-templated-email's order
EMAIL_PARTS = ("subject", "html", "plain")

# A part's plan: the block stacks django-render-block leaves in the block context
# just before it renders the part's block, and that block.
_PartPlan = Tuple[Dict[str, List[BlockNode]], List[Any], BlockNode]


class _TemplatePlan:
    """What django-render-block's walk finds in one compiled template, recorded."""

    def __init__(self, template: Template, parts: Sequence[str]) -> None:
        context = Context({})
        context.render_context = RenderContext()
        with context.bind_template(template):
            block_context = BlockContext()
            context.render_context[BLOCK_CONTEXT_KEY] = block_context
            parent = _add_layout_blocks(template, context, block_context)
            # the layouts' blocks, and what extends' find_template recorded
            self.layout_blocks = _copy_stacks(block_context)
            self.extends_history = list(
                context.render_context.get(ExtendsNode.context_key, [])
            )
        self.parts: Dict[str, Optional[_PartPlan]] = {}
        for part in parts:
            block_context = BlockContext()
            block_context.blocks = _copy_stacks_from(self.layout_blocks)
            # render_block looks in the template, then in its direct parent only
            target = _find_block(template.nodelist, part, block_context)
            if target is None and parent is not None:
                target = _find_block(parent.nodelist, part, block_context)
            self.parts[part] = (
                None
                if target is None
                else (_copy_stacks(block_context), self.extends_history, target)
            )


def _copy_stacks(block_context: BlockContext) -> Dict[str, List[BlockNode]]:
    return {name: list(stack) for name, stack in block_context.blocks.items()}


def _copy_stacks_from(stacks: Dict[str, List[BlockNode]]) -> Any:
    return defaultdict(list, {name: list(stack) for name, stack in stacks.items()})


def _add_layout_blocks(
    template: Template, context: Context, block_context: BlockContext
) -> Optional[Template]:
    """render_block's ``_build_block_context``: the blocks of every layout above."""
    for node in template.nodelist:
        if isinstance(node, ExtendsNode):
            name = node.parent_name
            if name.filters or isinstance(name.var, Variable):
                raise _NotPlannable(name.token)
            parent = node.get_parent(context)
            block_context.add_blocks(
                {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}
            )
            _add_layout_blocks(parent, context, block_context)
            return parent
        if not isinstance(node, TextNode):
            break
    return None


def _find_block(
    nodelist: Any, name: str, block_context: BlockContext
) -> Optional[BlockNode]:
    """render_block's walk: every block passed on the way is pushed, as it does."""
    for node in nodelist:
        if isinstance(node, BlockNode):
            block_context.push(node.name, node)
            if node.name == name:
                return node
        for attr in node.child_nodelists:
            children = getattr(node, attr, None)
            if children is None:
                continue
            found = _find_block(children, name, block_context)
            if found is not None:
                return found
    return None


class _NotPlannable(Exception):
    """A layout is chosen at render time (``{% extends some_variable %}``)."""


# Keyed by the compiled template: with Django's cached loader one plan per template
# for the life of the process; without it (DEBUG) each load is new and its plan goes
# with it.
_plans: weakref.WeakKeyDictionary[Template, _TemplatePlan] = weakref.WeakKeyDictionary()


def _plan_for(template: Template) -> Optional[_TemplatePlan]:
    plan = _plans.get(template)
    if plan is None:
        try:
            plan = _TemplatePlan(template, EMAIL_PARTS)
        except _NotPlannable:
            return None
        _plans[template] = plan
    return plan


def render_email_parts(
    template_names: Union[str, Sequence[str]], context: Context
) -> Dict[str, str]:
    """Render the ``subject``, ``html`` and ``plain`` blocks that the template has.

    The same strings as django-render-block's ``render_block_to_string`` for each
    part (a copy of ``context`` and a fresh render context per part), from one
    template lookup and a walk recorded once per compiled template.
    """
    names = [template_names] if isinstance(template_names, str) else template_names
    loaded = loader.select_template(list(names))
    if not isinstance(loaded, DjangoTemplate):  # another engine: render_block decides
        return _render_with_render_block(names, context)
    template = loaded.template
    plan = _plan_for(template)
    if plan is None:
        return _render_with_render_block(names, context)
    parts: Dict[str, str] = {}
    for part, part_plan in plan.parts.items():
        if part_plan is None:
            continue
        stacks, history, target = part_plan
        part_context = copy(context)
        part_context.render_context = RenderContext()
        with part_context.bind_template(template):
            block_context = BlockContext()
            block_context.blocks = _copy_stacks_from(stacks)
            part_context.render_context[BLOCK_CONTEXT_KEY] = block_context
            if history:
                part_context.render_context[ExtendsNode.context_key] = list(history)
            parts[part] = target.render(part_context)
    return parts


def _render_with_render_block(names: Sequence[str], context: Context) -> Dict[str, str]:
    parts: Dict[str, str] = {}
    for part in EMAIL_PARTS:
        try:
            parts[part] = render_block_to_string(list(names), part, context)
        except BlockNotFound:
            continue
    return parts


class CssInliningTemplateBackend(TemplateBackend):
    """django-templated-email's Django backend, with the CSS of each HTML part
    inlined (``TEMPLATED_EMAIL_BACKEND``), rendering the parts with
    :func:`render_email_parts`."""

    def get_email_message(self, *args: Any, **kwargs: Any) -> EmailMessage:
        return inline_message_css(super().get_email_message(*args, **kwargs))

    def _render_email(
        self,
        template_name: Union[str, Sequence[str]],
        context: Dict[str, Any],
        template_dir: Optional[str] = None,
        file_extension: Optional[str] = None,
    ) -> Dict[str, str]:
        # django-templated-email 2.3's _render_email, with render_email_parts
        extension = file_extension or self.template_suffix
        if extension.startswith("."):
            extension = extension[1:]
        names = (
            list(template_name)
            if isinstance(template_name, (list, tuple))
            else [template_name]
        )
        full_names = []
        for name in names:
            full_name = (template_dir or self.template_prefix) + name
            if not full_name.endswith("." + extension):
                full_name += "." + extension
            full_names.append(full_name)
        parts = render_email_parts(full_names, Context(context, autoescape=False))
        if not parts:
            raise EmailRenderException(
                f"Couldn't render email parts of {full_names}: no subject, html "
                "or plain block."
            )
        return parts
