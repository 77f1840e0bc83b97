"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitizes with an allow-list.

Raw HTML in Markdown is disabled at parse time and anything else is cleaned afterwards, so a
parser bug cannot smuggle markup through. User links get rel="nofollow ugc".
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "del", "s", "sup", "sub", "table", "thead",
    "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Clean untrusted HTML to the allow-list."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )


def render_markdown(text: str) -> Markup:
    """Render user Markdown to HTML that is safe to put in a page."""
    return Markup(sanitize_html(_md.render(text or "")))  # noqa: S704 - sanitized by nh3 just above


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (for imported HTML bodies shown as text)."""
    return nh3.clean(html or "", tags=set())
