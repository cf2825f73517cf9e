"""The catalogue's query parameters and answers."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared import taxonomy
from shared.creators.report import Freshness, ProfileOut, UnlockPrice
from shared.creators.schemas import USERNAME_PATTERN
from shared.errors import InvalidInput

Sort = Literal["relevance", "followers", "er", "quality", "growth"]
QualityState = Literal["ready", "low_confidence", "not_ready"]
LANGUAGE = r"^[a-z]{2,3}$"
BIGINT = 2**63 - 1  # ISO 639 codes, as the language model emits them


class Filters(BaseModel):
    """What search and lookalikes both filter on. Bands are inclusive; an unset bound is open."""

    model_config = ConfigDict(extra="forbid")

    min_followers: int | None = Field(None, ge=0, le=BIGINT, description="at most max_followers")
    max_followers: int | None = Field(None, ge=0, le=BIGINT)
    min_er: float | None = Field(
        None, ge=0, le=1e6, description="median engagement rate in % (3.5 = 3.5%); at most max_er"
    )
    max_er: float | None = Field(None, ge=0, le=1e6)
    categories: list[str] = Field(
        default_factory=list,
        description="comma-separated category labels",
        json_schema_extra={"items": {"type": "string", "enum": list(taxonomy.CATEGORIES)}},
    )
    categories_match: Literal["any", "all"] = "any"
    languages: list[str] = Field(
        default_factory=list,
        description="comma-separated caption languages (ISO 639)",
        json_schema_extra={"items": {"type": "string", "pattern": LANGUAGE}},
    )
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="inferred audience country (ISO 3166-1)")
    verified: bool | None = None
    business: bool | None = None
    max_sponsored_share: float | None = Field(None, ge=0, le=1)
    min_quality: float | None = Field(None, ge=0, le=100)
    quality_state: QualityState | None = None
    min_growth_30d: float | None = Field(None, ge=-1, le=1e6, description="followers change over 30 days, a fraction")
    scraped_within_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(taxonomy.CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {', '.join(taxonomy.CATEGORIES)}")
        return value

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if not re.match(LANGUAGE, code)]
        if bad:
            raise ValueError(f"languages must be ISO 639 codes (two or three lower-case letters): {bad}")
        return value

    @model_validator(mode="after")
    def _bands(self) -> Filters:
        for low, high in (("min_followers", "max_followers"), ("min_er", "max_er")):
            lower, upper = getattr(self, low), getattr(self, high)
            if lower is not None and upper is not None and lower > upper:
                raise ValueError(f"{low} is greater than {high}")
        return self


class CatalogueQuery(Filters):
    q: str | None = Field(None, min_length=2, max_length=100, description="free text: username, name, bio")
    sort: Sort | None = Field(None, description="default: relevance with q, else followers; relevance needs q")
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(
        None, max_length=500, description="next_cursor of the previous page, unchanged, with the same filters and sort"
    )

    @model_validator(mode="after")
    def _relevance_needs_text(self) -> CatalogueQuery:
        if self.sort == "relevance" and not self.q:
            raise ValueError("sort=relevance needs q")
        return self

    @property
    def order(self) -> Sort:
        return self.sort or ("relevance" if self.q else "followers")

    def filters(self) -> Filters:
        return Filters.model_validate(self.model_dump(include=set(Filters.model_fields)))


class Hit(BaseModel):
    """A creator as a search shows it: the preview (never report fields), the price to unlock it, and whether
    the caller's team already has it unlocked."""

    profile: ProfileOut
    posts_count: int | None
    locked: bool
    unlock_price: UnlockPrice
    freshness: Freshness
    relevance: float | None = None


class Facet(BaseModel):
    value: str
    creators: int


class Facets(BaseModel):
    categories: list[Facet]
    languages: list[Facet]
    approximate: bool = False  # counted on a sample of the catalogue (very broad filters), scaled up


class CataloguePage(BaseModel):
    items: list[Hit]
    next_cursor: str | None
    facets: Facets
    sort: Sort


class Why(BaseModel):
    similarity: float  # cosine similarity of the two content vectors, 1 = same direction
    shared_categories: list[str]


class Lookalike(Hit):
    why: Why


class LookalikesOut(BaseModel):
    seeds: list[str]
    items: list[Lookalike]


class LookalikesQuery(Filters):
    like: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="more seed usernames, comma-separated",
        json_schema_extra={"items": {"type": "string", "pattern": USERNAME_PATTERN, "maxLength": 30}},
    )
    limit: int = Field(10, ge=1, le=50)


def bad_cursor(reason: str) -> InvalidInput:
    return InvalidInput(f"invalid cursor: {reason} (send next_cursor back unchanged, with the same filters)")
