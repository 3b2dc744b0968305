"""Jinja filters the message templates may use: layout help, never wording.

``sms_fit`` lets an SMS template offer variants from richest to leanest, so a customer gets
the tip and the apology whenever there is room, and always gets the essentials. Given the
incident's status link and a shorter one (the status site itself), it tries every variant
with the incident's link first and only then with the short one: a maintenance id is the
sender's (up to 128 characters, percent-encoded in the link), and a link that long must cost
the customer the deep link, never the message (issue 16: 17 of 62 customers were told
nothing when a long ``maintenance_id`` pushed the planned SMS past one segment).
``clip`` shortens the NOC's free text where a channel has a byte budget (a push payload is
at most 4 KB on FCM and APNs; the NOC may send 1,000 characters).
``paragraphs`` turns a rendered plain-text e-mail into escaped HTML paragraphs; it escapes
whatever it is given, because the plain text contains untrusted NOC text, and it makes
only the links it is told about clickable (the status page), so a URL smuggled into a NOC
message never becomes a link in our name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from forewarn.templates.gsm7 import fits_one_segment

__all__ = ["FILTERS", "clip", "paragraphs", "sms_fit"]


def sms_fit(candidates: Iterable[object], link: str = "", short_link: str = "") -> str:
    """The first candidate (whitespace collapsed) that fits one GSM-7 segment, else the last.

    With ``link`` and ``short_link``, when no candidate fits as written, each is tried again
    with ``link`` replaced by ``short_link``. Returning the last one when none fits lets the
    renderer's check name the template and its length instead of hiding the problem here.
    """
    texts = [" ".join(str(candidate).split()) for candidate in candidates]
    if link and short_link and short_link != link:
        texts += [text.replace(link, short_link) for text in texts if link in text]
    for text in texts:
        if fits_one_segment(text):
            return text
    return texts[-1] if texts else ""


def clip(text: object, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when one is near,
    ending in an ellipsis when cut."""
    plain = str(text)
    if len(plain) <= limit:
        return plain
    head = plain[: max(limit - 1, 0)]
    space = head.rfind(" ")
    if space >= limit * 3 // 4:
        head = head[:space]
    return head.rstrip() + "\u2026"


def _line_html(line: str, links: tuple[str, ...]) -> Markup:
    out: list[Markup] = []
    pos = 0
    while links:
        found = [(line.find(link, pos), link) for link in links]
        hits = [(at, link) for at, link in found if at >= 0]
        if not hits:
            break
        at, link = min(hits, key=lambda hit: (hit[0], -len(hit[1])))
        out.append(escape(line[pos:at]))
        out.append(Markup('<a href="{0}">{0}</a>').format(link))
        pos = at + len(link)
    out.append(escape(line[pos:]))
    return Markup("").join(out)


def paragraphs(text: object, *links: str) -> Markup:
    """Plain text -> ``<p>`` per blank-line-separated block, ``<br>`` per line.

    Occurrences of ``links`` (exact strings, e.g. the status URL) become ``<a>`` elements;
    nothing else is linked.
    """
    plain = str(text)  # drop any Markup-ness: the text is treated as untrusted, always
    wanted = tuple(link for link in links if link)
    blocks = [b for b in re.split(r"\n\s*\n", plain.strip()) if b.strip()]
    html = [
        Markup('<p style="margin:0 0 16px;">{}</p>').format(
            Markup("<br>\n").join(_line_html(line, wanted) for line in block.strip().splitlines())
        )
        for block in blocks
    ]
    return Markup("\n").join(html)


FILTERS: dict[str, Callable[..., object]] = {
    "sms_fit": sms_fit, "paragraphs": paragraphs, "clip": clip,
}
