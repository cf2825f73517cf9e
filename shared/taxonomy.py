"""The content categories: what the inference service scores posts against and what the catalogue filters by.

Each label carries descriptions: the lite profile embeds them as prototypes (cosine similarity ranks the labels),
and the full profile uses the same embeddings to shortlist the labels its zero-shot model then scores.

The list covers the tier-1 verticals of the IAB Tech Lab Content Taxonomy 3.0 that creators post about
(Automotive; Books and Literature; Business and Finance; Careers; Education; Family and Relationships; Fine Art;
Food & Drink; Healthy Living; Hobbies & Interests; Home & Garden; Medical Health; Movies; Music and Audio; News and
Politics; Personal Finance; Pets; Pop Culture; Real Estate; Religion & Spirituality; Science; Shopping; Sports;
Style & Fashion; Technology & Computing; Television; Travel; Video Gaming), merged where creators do not separate
them (movies and tv; business and entrepreneurship) and split where brands buy them apart (fitness from sports;
beauty from fashion; luxury, sustainability, nature and outdoors, comedy, lifestyle). The first sixteen labels
are the original list: stored analyses and saved catalogue filters keep their meaning.
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
    "science": ("science, space, research and experiments", "astronomy, physics, biology, a rocket launch"),
    "nature and outdoors": ("nature, mountains, hiking and camping", "wildlife, forest, the ocean and sunsets"),
    "health and medicine": ("health, medicine, doctors and wellbeing", "mental health, nutrition advice, a clinic"),
    "automotive": ("cars, motorbikes and driving", "a new car review, engine, racing, road trip in my car"),
    "business and entrepreneurship": ("business, startups and entrepreneurship", "my company, marketing, founders"),
    "entertainment and celebrities": ("celebrities, red carpet and showbiz news", "famous people, awards, gossip"),
    "lifestyle": ("my daily life, morning routine and vlog", "day in my life, weekend plans, self care"),
    "luxury": ("luxury brands, designer bags and watches", "five-star hotel, yacht, fine jewellery"),
    "diy and crafts": ("do it yourself, crafts and handmade projects", "knitting, woodworking, sewing tutorial"),
    "politics and society": ("politics, elections and society", "news, activism, human rights, government"),
    "sustainability": ("sustainability, zero waste and the climate", "eco friendly, recycling, second-hand clothes"),
    "books and literature": ("books, reading and literature", "my book club, a novel I loved, writing poetry"),
    "movies and tv": ("movies, tv series and streaming", "film review, cinema, binge watching a show"),
    "religion and spirituality": ("faith, prayer and spirituality", "church, mosque, meditation and gratitude"),
    "real estate": ("real estate, houses for sale and property", "mortgage, apartment tour, investing in property"),
    "relationships and weddings": ("love, couples, dating and weddings", "our wedding day, engagement, my partner"),
}

# The content categories a brand filters by: zero-shot labels (full), prototype labels (lite), catalogue filters.
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_PROTOTYPES)
