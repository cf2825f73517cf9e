"""One class per task kind, each split into pre (CPU: tokenize, decode) -> core (device forward) -> post. The lite
profile's own two (prototype similarity, fastText language) are in gpu_inference.engine.lite.

`pre` turns a request's inputs into Items (an input may give 0, 1 or many: zero-shot gives one per
label); the batcher groups Items of many requests by token budget and calls `core` on each group;
`post` turns one request's per-Item outputs back into one result per input.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch

from gpu_inference.engine import images
from gpu_inference.engine.device import Device
from gpu_inference.manifest import TaskSpec

IMAGE_COST = 196  # a 224x224 image is 196 ViT-style patches: its share of the token budget


@dataclass
class Item:
    index: int  # the input it belongs to
    cost: int  # tokens, for the budget and for sorting by length
    features: Any


class Task(ABC):
    """Base: what every task says about itself, and the three steps each kind implements."""

    def __init__(self, spec: TaskSpec, revision: str) -> None:
        self.spec, self.revision = spec, revision
        self.name, self.model_id = spec.task, spec.model_id
        self.uses_device = True

    @abstractmethod
    def pre(self, inputs: list[Any]) -> list[Item]:
        """CPU: inputs -> Items (tokenised texts, decoded images), each with its token cost."""

    @abstractmethod
    def core(self, items: list[Item]) -> list[Any]:
        """Device: one batch of Items -> one raw output per Item."""

    @abstractmethod
    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        """CPU: raw outputs -> one result per input, in input order."""


def text_of(value: Any) -> str:
    """A text input as a string; anything else (None, a number) as empty."""
    return value if isinstance(value, str) else ""


class _TokenizedText(Task):
    """Shared by the text models: tokenize with truncation, pad per batch, forward on the device."""

    def __init__(self, spec: TaskSpec, revision: str, tokenizer: Any, model: Any, device: Device) -> None:
        super().__init__(spec, revision)
        self.tokenizer, self.model, self.device = tokenizer, model, device

    def _encode(self, first: list[str], second: list[str] | None = None) -> list[dict[str, list[int]]]:
        truncation = "only_first" if second is not None else True
        # split_special_tokens: a caption that contains "</s>" is text, not a separator.
        encoded = self.tokenizer(
            first, second, truncation=truncation, max_length=self.spec.max_length, split_special_tokens=True
        )
        return [
            {"input_ids": ids, "attention_mask": mask}
            for ids, mask in zip(encoded["input_ids"], encoded["attention_mask"], strict=True)
        ]

    def _forward(self, items: list[Item]) -> Any:
        with torch.inference_mode():
            return self.model(**self.device.move(self._pad(items)))

    def _pad(self, items: list[Item]) -> Any:
        ids = [i.features["input_ids"] for i in items]
        width = max(len(x) for x in ids)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = torch.tensor(x)
            mask[row, : len(x)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}


class TextClassifier(_TokenizedText):
    """Sequence classification (sentiment, language): labels from the model config's id2label. Where the spec
    names its labels (sentiment), the config's must be the same, case aside (XLM-T writes "Positive"), and
    answers use the spec's spelling: two sentiment models give one vocabulary."""

    def __init__(self, spec: TaskSpec, revision: str, tokenizer: Any, model: Any, device: Device) -> None:
        super().__init__(spec, revision, tokenizer, model, device)
        self.id2label = dict(model.config.id2label)
        if spec.labels:
            self.id2label = {k: str(v).lower() for k, v in self.id2label.items()}
            if sorted(self.id2label.values()) != sorted(spec.labels):
                raise ValueError(f"{spec.model_id} labels {model.config.id2label} are not {list(spec.labels)}")

    def pre(self, inputs: list[Any]) -> list[Item]:
        encoded = self._encode([text_of(t) for t in inputs])
        return [Item(i, len(e["input_ids"]), e) for i, e in enumerate(encoded)]

    def core(self, items: list[Item]) -> list[Any]:
        probs = self._forward(items).logits.float().softmax(-1).cpu()
        return list(probs)

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        results = []
        for probs in outputs:
            scores = {self.id2label[k]: round(float(p), 4) for k, p in enumerate(probs)}
            top = max(scores, key=scores.__getitem__)
            results.append({"label": top, "score": scores[top], "scores": scores})
        return results


def entailment_indices(config: Any) -> tuple[int, int]:
    """(contradiction, entailment) indices from an NLI model's label2id; refuses to guess."""
    found = {label.lower()[:7]: index for label, index in config.label2id.items()}
    if "entailm" not in found or "contrad" not in found:
        raise ValueError(f"NLI config has no entailment/contradiction labels: {config.label2id}")
    return found["contrad"], found["entailm"]


class Shortlist:
    """The labels the zero-shot model scores for each text: the `top_k` whose prototype descriptions (shared.taxonomy)
    are nearest the text in MiniLM space, so that its cost stops growing with the taxonomy (one NLI pass per label
    and post is most of the device time). Unsure, it shortlists nothing and every label is scored: an empty text,
    or a text no prototype comes within `floor` cosine of (MiniLM reads English; other languages land far away)."""

    def __init__(
        self,
        embedder: Embeddings,
        labels: tuple[str, ...],
        prototypes: dict[str, tuple[str, ...]],
        top_k: int,
        floor: float,
    ) -> None:
        self.embedder, self.labels, self.top_k, self.floor = embedder, labels, top_k, floor
        described = [prototypes.get(label, (f"a post about {label}",)) for label in labels]
        vectors = embedder.embed([text for texts in described for text in texts])
        self.prototypes = torch.split(vectors, [len(texts) for texts in described])

    def choose(self, texts: list[str]) -> list[tuple[str, ...]]:
        if not texts or self.top_k >= len(self.labels):
            return [self.labels for _ in texts]
        similarity = torch.stack([(self.embedder.embed(texts) @ p.T).max(-1).values for p in self.prototypes], dim=-1)
        chosen = []
        for text, row in zip(texts, similarity, strict=True):
            if not text.strip() or float(row.max()) < self.floor:
                chosen.append(self.labels)
            else:
                top = sorted(row.topk(self.top_k).indices.tolist())
                chosen.append(tuple(self.labels[i] for i in top))
        return chosen


class ZeroShot(_TokenizedText):
    """Multi-label zero-shot categories: one (post, hypothesis) pair per label, batched like any text; with a
    Shortlist, only for the post's shortlisted labels (the result's `scored` says which happened)."""

    template = "This example is about {}."

    def __init__(
        self,
        spec: TaskSpec,
        revision: str,
        tokenizer: Any,
        model: Any,
        device: Device,
        shortlist: Shortlist | None = None,
    ) -> None:
        super().__init__(spec, revision, tokenizer, model, device)
        self.contradiction, self.entailment = entailment_indices(model.config)
        self.shortlist = shortlist

    def pre(self, inputs: list[Any]) -> list[Item]:
        texts = [text_of(t) for t in inputs]
        chosen = self.shortlist.choose(texts) if self.shortlist else [self.spec.labels for _ in texts]
        owners = [(n, label) for n, labels in enumerate(chosen) for label in labels]
        pairs = self._encode([texts[n] for n, _ in owners], [self.template.format(label) for _, label in owners])
        return [
            Item(n, len(e["input_ids"]), {**e, "label": label}) for (n, label), e in zip(owners, pairs, strict=True)
        ]

    def core(self, items: list[Item]) -> list[Any]:
        logits = self._forward(items).logits.float()
        pair = logits[:, [self.contradiction, self.entailment]].softmax(-1)[:, 1]
        return [float(p) for p in pair.cpu()]

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        per_input: list[dict[str, float]] = [{} for _ in inputs]
        for item, score in zip(items, outputs, strict=True):
            per_input[item.index][item.features["label"]] = round(score, 4)
        every = len(self.spec.labels)
        return [{**ranked(scores), "scored": "all" if len(scores) == every else "shortlist"} for scores in per_input]


def unavailable(reason: str, *, single: bool) -> dict[str, Any]:
    """No answer, and why: a label task gives no label, a ranking task no ranking."""
    if single:
        return {"label": None, "score": 0.0, "scores": {}, "status": "unavailable", "reason": reason}
    return {"top": [], "scores": {}, "status": "unavailable", "reason": reason}


def ranked(scores: dict[str, float]) -> dict[str, Any]:
    """A multi-label result: the three best labels, then every label's score."""
    top = sorted(scores, key=scores.__getitem__, reverse=True)
    return {"top": top[:3], "scores": scores}


class Embeddings(_TokenizedText):
    """Mean-pooled, L2-normalised sentence embeddings (MiniLM)."""

    def pre(self, inputs: list[Any]) -> list[Item]:
        encoded = self._encode([text_of(t) for t in inputs])
        return [Item(i, len(e["input_ids"]), e) for i, e in enumerate(encoded)]

    def core(self, items: list[Item]) -> list[Any]:
        return list(self.embed_items(items))

    def embed_items(self, items: list[Item]) -> torch.Tensor:
        batch = self._pad(items)
        with torch.inference_mode():
            hidden = self.model(**self.device.move(batch)).last_hidden_state.float()
        mask = batch["attention_mask"].to(hidden.device).unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).cpu()

    def embed(self, texts: list[str]) -> torch.Tensor:
        return self.embed_items(self.pre(texts))

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        return [{"dim": len(v), "vector": [round(float(x), 5) for x in v]} for v in outputs]


def _resize_side(processor: Any) -> int:
    """The side an image processor resizes to before cropping (ResNet: 224 / crop_pct 0.875 = 256)."""
    size = getattr(processor, "size", None) or {}
    side = max([v for v in size.values() if isinstance(v, int)], default=224)
    return math.ceil(side / (getattr(processor, "crop_pct", None) or 1.0))


class Visual(Task):
    """Image labels (ResNet, full) and Pillow statistics (every profile). Inputs are image bytes or None."""

    def __init__(self, spec: TaskSpec, revision: str, processor: Any = None, model: Any = None, device=None):  # type: ignore[no-untyped-def]
        super().__init__(spec, revision)
        self.processor, self.model, self.device = processor, model, device
        self.uses_device = model is not None
        self.fit = _resize_side(processor) if processor is not None else images.STATS_SIDE

    def pre(self, inputs: list[Any]) -> list[Item]:
        items = []
        for index, data in enumerate(inputs):
            if not data:
                continue
            try:
                image, stored = images.to_rgb(data, self.fit)
            except images.BadImage as exc:
                items.append(Item(index, 1, {"error": str(exc)}))
                continue
            features: dict[str, Any] = {"stats": images.statistics(image, stored)}
            if self.processor is not None:
                features["pixels"] = self.processor(
                    images=image,
                    return_tensors="pt",
                    input_data_format="channels_last",  # a 1x1 image is ambiguous
                )["pixel_values"][0]
            items.append(Item(index, IMAGE_COST, features))
        return items

    def core(self, items: list[Item]) -> list[Any]:
        usable = [i for i in items if "pixels" in i.features]
        labels: dict[int, list[dict[str, Any]]] = {}
        if usable:
            pixels = torch.stack([i.features["pixels"] for i in usable])
            pixels = self.device.move_tensor(pixels).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                logits = self.model(pixel_values=pixels).logits.float()
            top = logits.softmax(-1).topk(min(5, logits.shape[-1]), dim=-1)
            id2label = self.model.config.id2label
            for item, scores, ids in zip(usable, top.values.cpu(), top.indices.cpu(), strict=True):
                labels[id(item)] = [
                    {"label": id2label[int(k)], "score": round(float(s), 4)} for s, k in zip(scores, ids, strict=True)
                ]
        return [labels.get(id(i)) for i in items]

    def post(self, inputs: list[Any], items: list[Item], outputs: list[Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = [{"status": "no_image"} for _ in inputs]
        for item, labels in zip(items, outputs, strict=True):
            if "error" in item.features:
                results[item.index] = {"status": "error", "error": item.features["error"]}
                continue
            result: dict[str, Any] = {"status": "ok", "stats": item.features["stats"]}
            if labels is not None:
                result["labels"] = labels
            results[item.index] = result
        return results
