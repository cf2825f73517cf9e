"""The content categories: what the inference service scores posts against and what the catalogue filters by.

Each label carries descriptions: the lite profile embeds them as prototypes (cosine similarity ranks the labels).
"""

from __future__ import annotations

# Lite categories: descriptions per label, embedded once at load; cosine similarity ranks the labels.
CATEGORY_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "fitness": ("workout at the gym, lifting weights and training", "fitness, exercise, cardio, squats and reps"),
    "food": ("delicious food, a recipe, cooking and eating", "restaurant dinner, tasty meal, dessert"),
    "travel": ("travel, vacation, exploring a new city or beach", "trip abroad, flight, hotel, adventure"),
    "fashion": ("fashion outfit, style, clothes and shoes", "what I'm wearing today, new collection"),
    "beauty": ("makeup, skincare routine and beauty products", "lipstick, foundation, glowing skin"),
    "technology": ("technology, gadgets, smartphones and software", "new laptop, tech review, coding"),
    "gaming": ("video games, gaming stream and esports", "playing on console, new game release"),
    "music": ("music, a new song, concert and singing", "album release, guitar, live performance"),
    "sports": ("sports match, football, basketball, team win", "the game tonight, goal, championship"),
    "parenting": ("parenting, kids, family and babies", "my children, motherhood, family life"),
    "pets": ("pets, my dog or cat, cute animals", "puppy, kitten, walking the dog"),
    "finance": ("money, investing, stocks and personal finance", "saving, budget, crypto, wealth"),
    "education": ("learning, study tips, school and education", "online course, teaching, university"),
    "home and decor": ("home decor, interior design, cozy living room", "renovation, furniture, plants at home"),
    "art and photography": ("art, painting, drawing and photography", "photo shoot, illustration, gallery"),
    "comedy": ("funny video, jokes, comedy sketch", "hilarious meme, laughing, prank"),
}

# The content categories a brand filters by: zero-shot labels (full), prototype labels (lite), catalogue filters.
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_PROTOTYPES)
