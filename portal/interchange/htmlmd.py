"""Imported HTML → Markdown: profile texts are stored and rendered as Markdown, never as HTML.

The HTML is first cleaned with the portal's allow-list (scripts and their content go), then
paragraphs, line breaks, emphasis, lists, headings, code and links are kept as Markdown.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from portal.markdown import sanitize_html

_ESCAPE = re.compile(r"([\\`*_\[\]<>])")
_BLOCKS = {"p", "div", "ul", "ol", "blockquote", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list] = []  # per open list: [ordered, counter]
        self.href: list[str | None] = []
        self.in_pre = 0
        self.quote = 0

    def _block(self) -> None:
        text = "".join(self.out)
        if text and not text.endswith("\n\n"):
            self.out.append("\n" if text.endswith("\n") else "\n\n")

    def _line_start(self) -> None:
        if self.quote:
            self.out.append("> " * self.quote)

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in _BLOCKS or tag == "li":
            if tag == "li":
                text = "".join(self.out)
                if text and not text.endswith("\n"):
                    self.out.append("\n")
            else:
                self._block()
            self._line_start()
        if tag in {"strong", "b"}:
            self.out.append("**")
        elif tag in {"em", "i"}:
            self.out.append("*")
        elif tag in {"del", "s"}:
            self.out.append("~~")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre += 1
            self.out.append("```\n")
        elif tag == "br":
            self.out.append("  \n")
            self._line_start()
        elif tag == "hr":
            self.out.append("---")
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.out.append("#" * int(tag[1]) + " ")
        elif tag in {"ul", "ol"}:
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self.out.append(f"{indent}{self.lists[-1][1]}. ")
            else:
                self.out.append(f"{indent}- ")
        elif tag == "blockquote":
            self.quote += 1
            self.out.append("> ")
        elif tag == "a":
            self.href.append(attributes.get("href"))
            if attributes.get("href"):
                self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"strong", "b"}:
            self.out.append("**")
        elif tag in {"em", "i"}:
            self.out.append("*")
        elif tag in {"del", "s"}:
            self.out.append("~~")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre = max(self.in_pre - 1, 0)
            self.out.append("\n```")
        elif tag == "a":
            href = self.href.pop() if self.href else None
            if href:
                target = f"<{href}>" if re.search(r"[\s()<>]", href) else href
                self.out.append(f"]({target})")
        elif tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
        elif tag == "blockquote":
            self.quote = max(self.quote - 1, 0)
        if tag in _BLOCKS:
            self._block()

    def handle_data(self, data: str) -> None:
        if self.in_pre:
            self.out.append(data)
            return
        data = re.sub(r"\s+", " ", data)
        if "".join(self.out[-1:]).endswith(("\n", "- ", "> ")) or not self.out:
            data = data.lstrip()
        self.out.append(_ESCAPE.sub(r"\\\1", data))


def html_to_markdown(html: str) -> str:
    """Markdown with the same text, paragraphs, emphasis, lists and links as the (sanitized) HTML."""
    converter = _Converter()
    converter.feed(sanitize_html(html or ""))
    converter.close()
    text = "".join(converter.out)
    text = re.sub(r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # Empty links/emphasis left by stripped tags carry nothing.
    text = text.replace("[]", "").replace("****", "")
    return text.strip()
