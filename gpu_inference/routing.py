"""Sentiment by language: each text goes to the one sentiment model that reads its language.

The full profile has two sentiment models: the seed's English one (cardiffnlp twitter-roberta, "sentiment") and
XLM-T ("sentiment_multilingual", tweets in ar, de, en, es, fr, hi, it, pt). The language task runs first and each
text's sentiment follows its answer. Running both models on every text and picking afterwards would cost a second
base-size forward pass per text; routing runs each text once, and the wait for the language answer hides behind
the zero-shot categories, which take most of a job's device time and are queued at the same moment.

The table (`route`):
- English, confidently detected: the English model.
- One of XLM-T's eight languages: XLM-T.
- Any other language (Dutch, Japanese, ...), or a language the detector could not tell: XLM-T, with
  `low_confidence: true` and the reason. The label stays on the post, flagged; the creator's sentiment mix and
  the audience sentiment leave flagged labels out (counted apart), so no aggregate rests on a guess.
- No text: no model, `status: unavailable` ("no text"), recorded under the English model's row.
Profiles without a multilingual model (lite) run sentiment as before: their own task says what it cannot read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gpu_inference.engine.batcher import Batcher
from gpu_inference.engine.tasks import unavailable
from gpu_inference.manifest import MULTILINGUAL_SENTIMENT

ENGLISH_SENTIMENT = "sentiment"
XLM_T_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "hi", "it", "pt"})
CONFIDENT = 0.5  # the language task's score above which "en" is taken as English


@dataclass(frozen=True)
class Route:
    task: str  # the batcher task that answers
    note: dict[str, Any] = field(default_factory=dict)  # merged into the answer: low_confidence and its reason
    answer: dict[str, Any] | None = None  # set when no model runs: the answer itself


def route(text: str, language: Any) -> Route:
    """Which sentiment model reads `text`, from the language task's answer for it (a dict, or the task's error)."""
    if not text.strip():
        return Route(ENGLISH_SENTIMENT, answer=unavailable("no text", single=True))
    label = language.get("label") if isinstance(language, dict) else None
    if not label:
        return Route(MULTILINGUAL_SENTIMENT, _low("its language could not be detected"))
    if label == "en" and float(language.get("score") or 0.0) >= CONFIDENT:
        return Route(ENGLISH_SENTIMENT)
    if label in XLM_T_LANGUAGES:
        return Route(MULTILINGUAL_SENTIMENT)
    languages = ", ".join(sorted(XLM_T_LANGUAGES))
    return Route(MULTILINGUAL_SENTIMENT, _low(f"{label} is not among the sentiment model's languages ({languages})"))


@dataclass
class Routed:
    """Sentiment over texts answered by more than one model: one answer per text, and which task gave each."""

    results: list[dict[str, Any] | None]
    by: list[str]
    errors: dict[str, BaseException] = field(default_factory=dict)  # a model's failure, for the texts routed to it

    def of(self, task: str) -> list[dict[str, Any] | None]:
        """`task`'s answers in text order, None where another model answered."""
        return [r if b == task else None for r, b in zip(self.results, self.by, strict=True)]

    @property
    def tasks(self) -> list[str]:
        return sorted(set(self.by))


async def infer(batcher: Batcher, tasks: Sequence[str], texts: list[str], images: list[Any]) -> dict[str, Any]:
    """Batcher.infer with return_exceptions, except that "sentiment", where the profile has a multilingual model,
    is a Routed answer that waits for "language" (which must be among `tasks`)."""
    if ENGLISH_SENTIMENT not in tasks or MULTILINGUAL_SENTIMENT not in batcher.tasks:
        return await batcher.infer(tasks, texts, images, return_exceptions=True)
    if "language" not in tasks:
        raise ValueError("sentiment is routed by language: ask for both")
    rest = [t for t in tasks if t not in (ENGLISH_SENTIMENT, "language")]
    (languages, sentiment), others = await asyncio.gather(
        _language_then_sentiment(batcher, texts), batcher.infer(rest, texts, images, return_exceptions=True)
    )
    return {**others, "language": languages, ENGLISH_SENTIMENT: sentiment}


async def _language_then_sentiment(batcher: Batcher, texts: list[str]) -> tuple[Any, Routed]:
    try:
        languages: Any = await batcher.run("language", texts)
    except Exception as exc:
        languages = exc
    routes = [route(text, None if isinstance(languages, Exception) else languages[n]) for n, text in enumerate(texts)]
    routed = Routed([r.answer for r in routes], [r.task for r in routes])
    groups: dict[str, list[int]] = {}
    for n, r in enumerate(routes):
        if r.answer is None:
            groups.setdefault(r.task, []).append(n)
    answers = await asyncio.gather(
        *(batcher.run(task, [texts[n] for n in chosen]) for task, chosen in groups.items()), return_exceptions=True
    )
    for (task, chosen), got in zip(groups.items(), answers, strict=True):
        if isinstance(got, BaseException):  # this model's texts fail; the other model's still land
            routed.errors[task] = got
            continue
        for n, answer in zip(chosen, got, strict=True):
            routed.results[n] = {**answer, **routes[n].note}
    return languages, routed


def _low(reason: str) -> dict[str, Any]:
    return {"low_confidence": True, "reason": reason}
