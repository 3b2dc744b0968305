"""``MessageRenderer``: a decision, told to one customer on one channel, in their language.

Why a sandbox: operators may point forewarn at their own template folders (``template_dirs``)
to adjust the wording; a template must never reach Python internals or mutate data, so the
environment is jinja2's immutable sandbox. ``StrictUndefined`` turns a misspelt variable
into an error instead of a silently empty sentence in front of a customer.

Layout (first match wins: operator folders, then the shipped package folder)::

    <language>/<stage>/<part>.j2      e.g. de/outage/sms.txt.j2 (parts: see CHANNEL_PARTS)
    <language>/ivr/<situation>.txt.j2 what the IVR says to a caller (``ivr.py``: situations)
    <language>/_wording.j2            that language's shared phrases (cause, services, tips)
    <language>/_email.html.j2         that language's words for the shared HTML skeleton
    _layout/email.html.j2             shared HTML skeleton, no wording

Python adds facts (``context.py``) and two layout filters (``filters.py``: ``sms_fit``
picks the richest SMS variant that fits one segment, ``paragraphs`` turns the plain e-mail
into escaped HTML); ``email.html`` additionally receives the rendered ``subject`` and
``text`` so the HTML never says something the plain text does not.

Only ``*.html.j2`` templates are autoescaped; plain-text parts (SMS, push, subject,
text e-mail) must not turn ``&`` into ``&amp;``.

Every template of every language is compiled when the renderer is built, so a missing or
broken file fails at start-up, not at the moment a customer should be told.

Render cache: the sandboxed render costs ~0.5 ms per SMS, and a 200,000-customer fan-out of
one incident asks for only a handful of distinct texts (stage x channel x language x
services x timezone). ``render`` therefore caches finished messages keyed by *every input*
of the template variables (``context.py`` is a pure function of them): language, channel,
the customer's timezone (local times come from instant and zone) and every field of the
decision except whose it is (stage, incident, services, cause, since / decided / ended /
ETA instants, message, reason, and any field added later). Nothing else reaches a
template — a test checks that the context ignores everything outside the key — so a hit is
the text a fresh render would give, for a few microseconds instead of building the context.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from forewarn.domain import Customer, Decision, Stage
from forewarn.errors import TemplateError
from forewarn.templates import gsm7
from forewarn.templates.context import message_context
from forewarn.templates.filters import FILTERS
from forewarn.templates.ivr import IVR_MAX_CHARS, SITUATIONS, IvrFacts, ivr_context
from forewarn.templates.samples import PreviewEntry, sample_customer, sample_decision

__all__ = ["CHANNEL_PARTS", "PACKAGE_DIR", "MessageRenderer", "RenderedMessage"]

CACHE_SIZE = 4096  # distinct messages kept; one incident needs a few dozen
# Every field of a decision but whose it is: new fields join the cache key by themselves.
_DECISION_KEY = tuple(f.name for f in fields(Decision) if f.name != "customer_id")

PACKAGE_DIR = Path(__file__).parent

#: Which template part fills which field of ``RenderedMessage``, per channel.
CHANNEL_PARTS: dict[str, dict[str, str]] = {
    "sms": {"text": "sms.txt"},
    "push": {"title": "push_title.txt", "text": "push_body.txt"},
    "email": {"subject": "email_subject.txt", "text": "email.txt", "html": "email.html"},
}

# Fields that must be one line: SMS and push are shown as one paragraph, and a newline in a
# subject would be a header-injection risk. Templates may still be written over many lines.
_ONE_LINE = frozenset({"subject", "title"})
_ONE_LINE_CHANNELS = frozenset({"sms", "push"})
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """The texts of one message; fields a channel does not use are None."""

    language: str
    text: str
    subject: str | None = None
    html: str | None = None
    title: str | None = None


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines))


class MessageRenderer:
    """Renders decisions for customers; built once per worker, safe to share."""

    def __init__(
        self,
        status_url: str = "https://status.example.net/i/{incident_id}",
        default_language: str = "de",
        *,
        template_dirs: Sequence[str | Path] = (),
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.status_url = status_url
        self.cache_size = cache_size
        self._cache: dict[Hashable, RenderedMessage] = {}
        self.cache_hits = 0
        self.cache_misses = 0
        search_path = [Path(d) for d in template_dirs] + [PACKAGE_DIR]
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(search_path, encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            lstrip_blocks=True,
            auto_reload=False,
            cache_size=-1,
        )
        self._env.filters.update(FILTERS)
        self.languages: tuple[str, ...] = self._discover_languages()
        if default_language not in self.languages:
            raise TemplateError(
                f"default language {default_language!r} has no templates "
                f"(have: {', '.join(self.languages) or 'none'})"
            )
        self.default_language = default_language
        # Compile everything now (helpers and layouts too): a broken file fails at start-up,
        # and rendering never touches the disk again (``auto_reload=False``, unbounded cache).
        for name in self._env.list_templates(extensions=["j2"]):
            self._compile(name)
        self._templates: dict[str, jinja2.Template] = {
            name: self._compile(name) for name in self.template_names()
        }
        self._templates.update({  # the IVR's too: a missing one fails here, not on a call
            name: self._compile(name) for name in (
                self.ivr_template_name(language, situation)
                for language in self.languages for situation in SITUATIONS)})

    # -- discovery --------------------------------------------------------------------------

    def _discover_languages(self) -> tuple[str, ...]:
        found = set()
        for name in self._env.list_templates(extensions=["j2"]):
            parts = name.split("/")
            if len(parts) == 3 and not parts[0].startswith("_"):
                found.add(parts[0])
        return tuple(sorted(found))

    def template_names(self) -> list[str]:
        """Every template a complete language needs, for every language found."""
        return [
            self.template_name(language, stage, part)
            for language in self.languages
            for stage in Stage
            for parts in CHANNEL_PARTS.values()
            for part in parts.values()
        ]

    @staticmethod
    def template_name(language: str, stage: str, part: str) -> str:
        """The loader name of one template, e.g. ``de/outage/sms.txt.j2``."""
        return f"{language}/{stage}/{part}.j2"

    @staticmethod
    def ivr_template_name(language: str, situation: str) -> str:
        """The loader name of one IVR template, e.g. ``de/ivr/outage.txt.j2``."""
        return f"{language}/ivr/{situation}.txt.j2"

    def _compile(self, name: str) -> jinja2.Template:
        try:
            return self._env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template {exc.name} is missing") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {name}, line {exc.lineno}: {exc.message}") from None

    # -- rendering --------------------------------------------------------------------------

    def language_for(self, customer: Customer) -> str:
        """The customer's language if we speak it (``de-AT`` counts as ``de``), else default."""
        wanted = (customer.language or "").strip().lower().replace("_", "-").split("-")[0]
        return wanted if wanted in self.languages else self.default_language

    def render(self, decision: Decision, customer: Customer, channel: str) -> RenderedMessage:
        """Render every part ``channel`` needs; raises ``TemplateError`` on any failure.

        An SMS that is not GSM-7 or needs more than one segment is an error, never sent.
        """
        parts = CHANNEL_PARTS.get(channel)
        if parts is None:
            raise TemplateError(f"no templates for channel {channel!r}")
        language = self.language_for(customer)
        key: Hashable = (language, channel, customer.timezone,
                         *[getattr(decision, name) for name in _DECISION_KEY])
        cached = self._cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        context = message_context(
            decision, customer, language=language, channel=channel, status_url=self.status_url
        )
        message = self._render_parts(decision, language, channel, parts, context)
        if self.cache_size > 0:
            if len(self._cache) >= self.cache_size:
                del self._cache[next(iter(self._cache))]  # oldest first: FIFO is enough here
            self._cache[key] = message
        return message

    def render_ivr(self, facts: IvrFacts, customer: Customer) -> RenderedMessage:
        """What the IVR says to ``customer`` now: one line for text-to-speech in their
        language; a text over ``IVR_MAX_CHARS`` or with a link is a ``TemplateError``."""
        language = self.language_for(customer)
        name = self.ivr_template_name(language, facts.situation)
        context = ivr_context(facts, language)
        # The context is all a template sees: equal contexts (callers of one incident, or
        # with no known problem) share one render (~0.5 ms saved per call).
        key: Hashable = ("ivr", *((k, tuple(v) if isinstance(v, list) else v)
                                  for k, v in context.items()))
        cached = self._cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        text = _one_line(self._render(name, context))
        if not text:
            raise TemplateError(f"template {name} rendered an empty text")
        if len(text) > IVR_MAX_CHARS or "://" in text:
            raise TemplateError(f"template {name} rendered {len(text)} characters (at most "
                                f"{IVR_MAX_CHARS}, no links): {text!r}")
        message = RenderedMessage(language=language, text=text)
        if self.cache_size > 0:
            if len(self._cache) >= self.cache_size:
                # desk read-outs render on executor threads with the same renderer
                with contextlib.suppress(RuntimeError, StopIteration):
                    self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = message
        return message

    def _render_parts(
        self,
        decision: Decision,
        language: str,
        channel: str,
        parts: dict[str, str],
        context: dict[str, object],
    ) -> RenderedMessage:
        fields: dict[str, str] = {}
        for field, part in parts.items():
            name = self.template_name(language, str(decision.stage), part)
            # The HTML part sees the rendered plain parts, so it never says something else.
            raw = self._render(name, {**context, **fields} if field == "html" else context)
            if field == "html":
                fields[field] = raw.strip()
            elif field in _ONE_LINE or channel in _ONE_LINE_CHANNELS:
                fields[field] = _one_line(raw)
            else:
                fields[field] = _paragraphs(raw)
            if not fields[field]:
                raise TemplateError(f"template {name} rendered an empty text")
        if channel == "sms":
            self._check_sms(
                self.template_name(language, str(decision.stage), parts["text"]), fields["text"]
            )
        return RenderedMessage(
            language=language,
            text=fields["text"],
            subject=fields.get("subject"),
            html=fields.get("html"),
            title=fields.get("title"),
        )

    def _render(self, name: str, context: dict[str, object]) -> str:
        template = self._templates.get(name) or self._compile(name)
        try:
            return template.render(context)
        except Exception as exc:  # UndefinedError, SecurityError, or a Python error in a template
            raise TemplateError(f"template {name}: {type(exc).__name__}: {exc}") from exc

    def preview_all(self) -> list[PreviewEntry]:
        """Render every template of every language with worst-case values, with SMS costs.

        For ``forewarn templates preview``: shows wording and how close each SMS is to the
        one-segment limit. Raises ``TemplateError`` like ``render`` when a template is broken.
        """
        entries: list[PreviewEntry] = []
        for language in self.languages:
            for stage in Stage:
                for channel, parts in CHANNEL_PARTS.items():
                    message = self.render(
                        sample_decision(stage), sample_customer(language, channel), channel
                    )
                    for field, part in parts.items():
                        text = getattr(message, field)
                        ok = gsm7.is_gsm7(text)
                        entries.append(
                            PreviewEntry(
                                template=self.template_name(language, str(stage), part),
                                language=language,
                                stage=str(stage),
                                channel=channel,
                                field=field,
                                text=text,
                                gsm7=ok,
                                septets=gsm7.septets(text) if ok else None,
                                segments=gsm7.segments(text) if ok else None,
                            )
                        )
        return entries

    @staticmethod
    def _check_sms(name: str, text: str) -> None:
        bad = gsm7.first_non_gsm7(text)
        if bad is not None:
            raise TemplateError(
                f"template {name} rendered a character GSM-7 cannot carry: {bad!r} "
                f"(U+{ord(bad):04X}); {len(text)} characters: {text!r}"
            )
        count = gsm7.septets(text)
        if count > gsm7.SINGLE_SEGMENT_SEPTETS:
            raise TemplateError(
                f"template {name} rendered {count} septets, more than one SMS segment "
                f"({gsm7.SINGLE_SEGMENT_SEPTETS}): {text!r}"
            )
