"""Generates the bundled sample dataset (`sample_dataset.json`) in `apify/instagram-scraper`'s exact item
shape: `python -m infra.local.apify.make_dataset`. Deterministic (seeded), so the file only changes when
this script does. Image URLs hold `{base}`, which the stand-in replaces with its own address."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("sample_dataset.json")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# username, full name, followers, following, language, category, verified, business category
CREATORS = [
    ("fitwithmaya", "Maya Chen", 1_250, 410, "en", "fitness", False, "Personal Trainer"),
    ("nano_bakes", "Lea Brunner", 4_800, 900, "de", "food", False, None),
    ("surf.lisboa", "Tiago Reis", 9_300, 650, "pt", "travel", False, "Sports"),
    ("cocina_de_ana", "Ana Morales", 18_400, 1_200, "es", "food", False, "Chef"),
    ("parisstyle.claire", "Claire Dubois", 42_000, 800, "fr", "fashion", False, "Fashion Model"),
    ("techtalk_omar", "Omar Haddad", 77_500, 300, "ar", "tech", True, "Digital Creator"),
    ("run.berlin", "Jonas Weber", 95_000, 1_100, "de", "fitness", False, None),
    ("viajes.sofia", "Sofía Ruiz", 130_000, 700, "es", "travel", True, "Travel Company"),
    ("greenhome.nl", "Eva de Vries", 210_000, 450, "en", "home", False, "Interior Design Studio"),
    ("beleza.carol", "Carolina Souza", 340_000, 1_500, "pt", "beauty", True, "Beauty, cosmetic & personal care"),
    ("gamer.lucas", "Lucas Martin", 480_000, 210, "fr", "gaming", True, "Gamer"),
    ("yoga.amira", "Amira Saleh", 620_000, 380, "ar", "fitness", True, "Fitness Model"),
    ("streetfood.seb", "Sebastián Gil", 850_000, 900, "es", "food", True, "Video Creator"),
    ("wanderlens", "Noah Fischer", 1_400_000, 520, "en", "travel", True, "Photographer"),
    ("modaitaliana", "Giulia Romano", 2_300_000, 620, "it", "fashion", True, "Fashion Designer"),
    ("chef.marco", "Marco Bianchi", 3_900_000, 310, "it", "food", True, "Chef"),
    ("fitness.rafa", "Rafael Lima", 5_600_000, 240, "pt", "fitness", True, "Athlete"),
    ("glowup.zoe", "Zoe Taylor", 7_800_000, 430, "en", "beauty", True, "Public figure"),
    ("globetrotter", "Ethan Brooks", 10_000_000, 150, "en", "travel", True, "Public figure"),
    ("boughtfame_x", "Max Power", 320_000, 7_400, "en", "lifestyle", False, None),
    ("daily.dose.tech", "Priya Nair", 56_000, 1_900, "en", "tech", False, "Science, Technology & Engineering"),
    ("kuechenliebe", "Hannah Keller", 23_000, 600, "de", "food", False, "Blogger"),
    ("secret.garden", "Private Person", 2_100, 180, "en", "home", False, None),  # private account
]
PRIVATE = {"secret.garden"}
HIDDEN_LIKES = {"glowup.zoe", "parisstyle.claire"}  # every third post hides its like count

CAPTIONS = {
    "en": [
        "Morning {topic} session done! Who's joining me tomorrow? 💪",
        "New {topic} drop, link in bio ✨",
        "Honestly the best {topic} day this year. So grateful for you all ❤️",
        "Rainy days call for {topic} 🌧️",
        "Trying something new with {topic} today, thoughts?",
    ],
    "es": [
        "¡Hoy toca {topic}! ¿Quién se apunta? 🔥",
        "Nueva receta de {topic}, os va a encantar 😍",
        "El mejor día de {topic} del año, gracias por estar aquí ❤️",
        "Domingo de {topic} con amigos ☀️",
    ],
    "pt": [
        "Bom dia! Mais um dia de {topic} 🌊",
        "Novidade de {topic} chegando, fiquem ligados ✨",
        "Que dia incrível de {topic}, obrigado a todos ❤️",
        "Fim de semana perfeito para {topic} ☀️",
    ],
    "fr": [
        "Nouvelle séance de {topic} ce matin ✨",
        "Mon look {topic} préféré de la semaine, vous aimez ?",
        "Merci pour tout votre amour, {topic} pour toujours ❤️",
        "Un dimanche parfait pour le {topic} ☕",
    ],
    "de": [
        "Heute wieder {topic}, wer macht mit? 💪",
        "Neues Rezept für {topic}, Link in der Bio",
        "Was für ein schöner Tag für {topic}! Danke euch ❤️",
        "Sonntag heißt {topic} und Kaffee ☕",
    ],
    "ar": [
        "صباح الخير! جلسة {topic} جديدة اليوم 💪",
        "محتوى جديد عن {topic} قريباً ✨",
        "شكراً لكم على الدعم، {topic} دائماً ❤️",
        "يوم رائع مع {topic} ☀️",
    ],
    "it": [
        "Oggi giornata di {topic}, chi viene? ☀️",
        "Nuova ricetta di {topic}, link in bio 🍝",
        "Grazie a tutti per l'amore, {topic} per sempre ❤️",
        "Domenica perfetta per {topic} ✨",
    ],
}
TOPICS = {
    "fitness": "gym",
    "food": "pasta",
    "travel": "beach",
    "fashion": "outfit",
    "tech": "gadget",
    "home": "plants",
    "beauty": "skincare",
    "gaming": "gaming",
    "lifestyle": "lifestyle",
}
SPONSOR_MARKERS = {
    "en": "#ad Thanks @{brand} for the partnership",
    "es": "#publicidad Gracias a @{brand}",
    "pt": "#publi Obrigado @{brand}",
    "fr": "#sponsorisé Merci @{brand}",
    "de": "#werbung Danke @{brand}",
    "ar": "#إعلان شكراً @{brand}",
    "it": "#adv Grazie @{brand}",
}
BRANDS = ["nike", "sephora", "samsung", "zara", "hellofresh", "airbnb"]


def _post(rng: random.Random, creator: tuple, index: int) -> dict:
    username, _, followers, _, lang, category, *_ = creator
    post_type = ["Image", "Image", "Video", "Sidecar"][index % 4]
    shortcode = f"{username.replace('.', '')[:6]}{index:02d}{rng.randrange(10**6):06d}"
    caption = rng.choice(CAPTIONS[lang]).format(topic=TOPICS[category])
    hashtags = [TOPICS[category], category, rng.choice(["instagood", "love", "photooftheday", lang])]
    sponsored = index in (2, 7)
    mentions = []
    if sponsored:
        brand = rng.choice(BRANDS)
        caption += " " + SPONSOR_MARKERS[lang].format(brand=brand)
        mentions.append(brand)
    rate = 0.004 if username == "boughtfame_x" else rng.uniform(0.015, 0.06) * (1.6 if followers < 10_000 else 1)
    likes = max(1, int(followers * rate * rng.uniform(0.7, 1.3)))
    comments = max(0, int(likes * rng.uniform(0.01, 0.05)))
    hidden = username in HIDDEN_LIKES and index % 3 == 0
    images = [f"{{base}}/img/{shortcode}-{i}.jpg" for i in range(3 if post_type == "Sidecar" else 1)]
    posted = NOW - timedelta(days=index * 3 + rng.random() * 2, hours=rng.randrange(24))
    return {
        "id": str(3_000_000_000_000_000 + rng.randrange(10**15)),
        "type": post_type,
        "shortCode": shortcode,
        "caption": caption + " " + " ".join(f"#{h}" for h in hashtags),
        "hashtags": hashtags,
        "mentions": mentions,
        "url": f"https://www.instagram.com/p/{shortcode}/",
        "commentsCount": comments,
        "likesCount": -1 if hidden else likes,
        "videoViewCount": likes * 9 if post_type == "Video" else None,
        "videoPlayCount": likes * 14 if post_type == "Video" else None,
        "timestamp": posted.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "displayUrl": images[0],
        "images": images if post_type == "Sidecar" else [],
        "childPosts": [{"id": f"{shortcode}c{i}", "type": "Image", "displayUrl": url} for i, url in enumerate(images)]
        if post_type == "Sidecar"
        else [],
        "ownerUsername": username,
        "isSponsored": sponsored and index == 2,  # one flagged by Instagram, one only by its caption marker
        "isPinned": index == 0,
        "locationName": None
        if index % 2
        else {
            "en": "London",
            "es": "Madrid",
            "pt": "Lisboa",
            "fr": "Paris",
            "de": "Berlin",
            "ar": "Dubai",
            "it": "Milano",
        }[lang],
        "latestComments": [
            {"id": f"{shortcode}k{i}", "text": t, "ownerUsername": f"fan_{i}"}
            for i, t in enumerate(["🔥🔥🔥", "love this", "Great post!"][: 1 + index % 3])
        ],
    }


def build() -> list[dict]:
    rng = random.Random(20261120)
    items = []
    names = [c[0] for c in CREATORS]
    for creator in CREATORS:
        username, full_name, followers, following, lang, category, verified, business = creator
        private = username in PRIVATE
        posts = [] if private else [_post(rng, creator, i) for i in range(12)]
        related = [n for n in names if n != username and rng.random() < 0.3][:10]
        items.append(
            {
                "inputUrl": f"https://www.instagram.com/{username}",
                "id": str(1_000_000_000 + rng.randrange(10**9)),
                "username": username,
                "fullName": full_name,
                "biography": f"{category.title()} creator · {lang.upper()} · collabs via email",
                "externalUrl": f"https://{username.replace('.', '')}.example.com" if followers > 50_000 else None,
                "followersCount": followers,
                "followsCount": following,
                "postsCount": 40 + rng.randrange(2_000),
                "verified": verified,
                "private": private,
                "isBusinessAccount": business is not None,
                "businessCategoryName": business,
                "profilePicUrl": f"{{base}}/img/avatar-{username}.jpg",
                "profilePicUrlHD": f"{{base}}/img/avatar-{username}-hd.jpg",
                "relatedProfiles": [
                    {
                        "id": str(2_000_000_000 + i),
                        "username": n,
                        "full_name": n.replace(".", " ").title(),
                        "is_verified": False,
                        "profile_pic_url": f"{{base}}/img/avatar-{n}.jpg",
                    }
                    for i, n in enumerate(related)
                ],
                "latestPosts": posts,
            }
        )
    return items


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT} ({len(CREATORS)} creators)")
