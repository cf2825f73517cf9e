"""The full profile's loader, tasks and batcher on tiny random checkpoints of the real architectures."""

from __future__ import annotations

import asyncio
import io
import math

import pytest
import torch
from PIL import Image

from gpu_inference.engine import device as devices
from gpu_inference.engine import images as imaging
from gpu_inference.engine.batcher import Batcher, Overloaded, _Pending, take_batch
from gpu_inference.engine.tasks import Item, entailment_indices
from gpu_inference.manifest import CATEGORIES
from tests.fixtures.inference import run_batched
from tests.fixtures.tiny_models import LANGUAGES

CAPTIONS = [
    "Leg day at the gym 💪 new PR on squats #fitness",
    "Hoy vamos a la playa con toda la familia 🌊",
    "",
    "😀😀😀🔥🔥",
    "x" * 10_000,
    "Nouvelle collection printemps, lien dans la bio",
    "a </s> caption that contains a separator <s>",
] + [f"caption number {n} " + "word " * (n * 7 % 60) for n in range(33)]

TWENTY_LANGUAGES = [
    "The weather is lovely today", "Hoy hace un tiempo estupendo", "Hoje o tempo está ótimo",
    "Il fait très beau aujourd'hui", "Heute ist das Wetter schön", "Oggi il tempo è bellissimo",
    "Het weer is vandaag mooi", "Dzisiaj jest piękna pogoda", "Сегодня прекрасная погода",
    "الطقس جميل اليوم", "Bugün hava çok güzel", "今日はいい天気です", "今天天气很好",
    "आज मौसम बहुत अच्छा है", "Hali ya hewa ni nzuri leo", "Hôm nay thời tiết đẹp",
    "วันนี้อากาศดีมาก", "Σήμερα ο καιρός είναι υπέροχος", "Днес времето е хубаво", "آج موسم بہت اچھا ہے",
]  # fmt: skip


@pytest.mark.parametrize("task", ["sentiment", "language", "categories", "embeddings"])
def test_output_order_survives_batching(full_tasks, task: str) -> None:  # type: ignore[no-untyped-def]
    """Many small batches (tight budget, sorted by length) give exactly what one-at-a-time gives, in order."""
    batched, stats = run_batched(full_tasks, task, CAPTIONS, budget=512)
    assert stats.batches > 3
    assert stats.padded_tokens <= 512 * stats.batches
    one_by_one = [run_batched(full_tasks, task, [c])[0][0] for c in CAPTIONS]
    assert len(batched) == len(CAPTIONS)
    for alone, together in zip(one_by_one, batched, strict=True):
        if task == "embeddings":
            assert torch.allclose(torch.tensor(alone["vector"]), torch.tensor(together["vector"]), atol=1e-3)
        else:
            key = "scores"
            assert alone[key].keys() == together[key].keys()
            assert all(math.isclose(alone[key][k], together[key][k], abs_tol=2e-3) for k in alone[key])


def _max_gap(first: list[dict], second: list[dict], key: str) -> float:  # type: ignore[type-arg]
    return max(abs(a[key][k] - b[key][k]) for a, b in zip(first, second, strict=True) for k in a[key])


@pytest.mark.parametrize("task", ["sentiment", "language", "categories"])
def test_half_precision_gives_the_fp32_scores(full_tasks, half_tasks, task: str) -> None:  # type: ignore[no-untyped-def]
    """What a GPU or a bf16-capable CPU answers: the fp32 scores, batched and in order, within half precision."""
    fp32 = run_batched(full_tasks, task, CAPTIONS, budget=512)[0]
    half = run_batched(half_tasks, task, CAPTIONS, budget=512)[0]
    assert len(half) == len(CAPTIONS)
    assert _max_gap(fp32, half, "scores") < 0.005


def test_half_precision_embeddings_and_image_labels_match_fp32(full_tasks, half_tasks, images) -> None:  # type: ignore[no-untyped-def]
    fp32 = torch.tensor([r["vector"] for r in run_batched(full_tasks, "embeddings", CAPTIONS)[0]])
    half = torch.tensor([r["vector"] for r in run_batched(half_tasks, "embeddings", CAPTIONS)[0]])
    assert torch.nn.functional.cosine_similarity(fp32, half).min() > 0.99
    inputs = list(images.values())
    fp32_images, half_images = (run_batched(t, "visual", inputs)[0] for t in (full_tasks, half_tasks))
    for a, b in zip(fp32_images, half_images, strict=True):
        assert a["stats"] == b["stats"]
        assert a["labels"][0]["score"] == pytest.approx(b["labels"][0]["score"], abs=0.02)


def test_a_10000_character_caption_is_truncated_to_the_model_length(full_tasks) -> None:  # type: ignore[no-untyped-def]
    task = full_tasks["sentiment"]
    [item] = task.pre(["word " * 2_000])
    assert item.cost == task.spec.max_length
    [result] = run_batched(full_tasks, "sentiment", ["word " * 2_000])[0]
    assert set(result["scores"]) == {"negative", "neutral", "positive"}


@pytest.mark.parametrize("task", ["sentiment", "language", "categories", "embeddings"])
def test_empty_and_emoji_only_captions_get_results(full_tasks, task: str) -> None:  # type: ignore[no-untyped-def]
    results, _ = run_batched(full_tasks, task, ["", "🔥🔥🔥", "   "])
    assert len(results) == 3
    for result in results:
        if task == "embeddings":
            assert result["dim"] == len(result["vector"]) == 384
            assert math.isclose(sum(x * x for x in result["vector"]), 1.0, abs_tol=1e-3)
        elif task == "categories":
            assert set(result["scores"]) == set(CATEGORIES) and all(0 <= v <= 1 for v in result["scores"].values())
            assert result["top"] == sorted(result["scores"], key=result["scores"].__getitem__, reverse=True)[:3]
        else:
            assert result["label"] in result["scores"] and result["score"] == max(result["scores"].values())
            assert math.isclose(sum(result["scores"].values()), 1.0, abs_tol=2e-3)


def test_twenty_languages_get_a_label_from_the_model_config(full_tasks) -> None:  # type: ignore[no-untyped-def]
    results, _ = run_batched(full_tasks, "language", TWENTY_LANGUAGES, budget=256)
    assert len(results) == 20
    assert all(r["label"] in LANGUAGES and set(r["scores"]) == set(LANGUAGES) for r in results)
    assert all(math.isclose(sum(r["scores"].values()), 1.0, abs_tol=1e-2) for r in results)


def test_zero_shot_scores_every_category_and_reads_entailment_from_the_config(full_tasks) -> None:  # type: ignore[no-untyped-def]
    results, stats = run_batched(full_tasks, "categories", CAPTIONS[:3])
    assert stats.items == 3 * len(CATEGORIES)  # one (post, label) pair per category, batched together
    assert all(set(r["scores"]) == set(CATEGORIES) and len(r["top"]) == 3 for r in results)
    config = full_tasks["categories"].model.config
    assert entailment_indices(config) == (config.label2id["contradiction"], config.label2id["entailment"])

    class Unlabelled:
        label2id = {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}

    with pytest.raises(ValueError, match="entailment"):
        entailment_indices(Unlabelled())


def test_images_of_odd_sizes_and_modes(full_tasks, images) -> None:  # type: ignore[no-untyped-def]
    names = list(images)
    inputs = [images[n] for n in names] + [b"not an image", None]
    results, _ = run_batched(full_tasks, "visual", inputs)
    by_name = dict(zip([*names, "garbage", "missing"], results, strict=True))
    for name in names:
        result = by_name[name]
        assert result["status"] == "ok", (name, result)
        assert len(result["labels"]) == 5 and result["labels"][0]["label"] in {"cat", "dog", "gym", "food", "beach"}
        assert 0 <= result["stats"]["brightness"] <= 1 and result["stats"]["dominant_colours"]
    assert by_name["one_pixel"]["stats"]["width"] == 1
    assert by_name["rgba"]["stats"]["dominant_colours"][0]["hex"] != "#000000"  # composited over white
    assert by_name["garbage"]["status"] == "error" and "decodable" in by_name["garbage"]["error"]
    assert by_name["missing"] == {"status": "no_image"}


def _photo(size: tuple[int, int], orientation: int = 1) -> bytes:
    """A noisy JPEG, like a phone photo; `orientation` is the EXIF tag (6: shown turned a quarter)."""
    noise = torch.Generator().manual_seed(0)
    small = (torch.rand((size[1] // 10, size[0] // 10, 3), generator=noise) * 255).to(torch.uint8).numpy()
    exif = Image.Exif()
    exif[imaging.ORIENTATION] = orientation
    buffer = io.BytesIO()
    Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_a_large_jpeg_decodes_at_a_smaller_scale_and_reports_its_stored_upright_size(full_tasks) -> None:  # type: ignore[no-untyped-def]
    photo = _photo((1080, 1350))
    drafted, size = imaging.to_rgb(photo, 256)
    whole, _ = imaging.to_rgb(photo)
    assert drafted.size == (270, 338) and whole.size == size == (1080, 1350)
    fast, slow = imaging.statistics(drafted, size), imaging.statistics(whole, size)
    assert fast["brightness"] == pytest.approx(slow["brightness"], abs=0.01)
    assert fast["colourfulness"] == pytest.approx(slow["colourfulness"], rel=0.1)
    turned = _photo((1350, 1080), orientation=6)  # stored landscape, shown portrait
    results, _ = run_batched(full_tasks, "visual", [photo, turned])
    assert [(r["stats"]["width"], r["stats"]["height"]) for r in results] == [(1080, 1350), (1080, 1350)]
    assert all(r["status"] == "ok" and r["labels"] for r in results)


def test_a_full_queue_refuses_at_once(full_tasks) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Overloaded):
        run_batched(full_tasks, "sentiment", CAPTIONS, queue=10)


def test_take_batch_keeps_the_oldest_and_its_nearest_lengths() -> None:
    loop = asyncio.new_event_loop()
    costs = [5, 200, 6, 7, 180, 8, 190]
    queue = sorted(_Pending(c, seq, Item(seq, c, None), loop.create_future()) for seq, c in enumerate(costs))
    batch = take_batch(queue, budget=40)  # oldest is cost 5; 5 short items at most 8 wide fit 40
    assert sorted(p.cost for p in batch) == [5, 6, 7, 8]
    assert sorted(p.cost for p in queue) == [180, 190, 200]
    assert [p.cost for p in take_batch(queue, budget=100)] == [200]  # an item over budget still runs alone
    loop.close()


def test_a_failing_batch_fails_its_requests_and_the_batcher_goes_on(full_tasks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    task = full_tasks["sentiment"]
    calls = {"n": 0}
    real = task.core

    def flaky(items):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("CUDA error: device-side assert")
        return real(items)

    monkeypatch.setattr(task, "core", flaky)

    async def go() -> tuple[object, object]:
        batcher = Batcher(full_tasks, max_batch_tokens=16_384, max_queue=100)
        await batcher.start()
        try:
            first = await asyncio.gather(batcher.run("sentiment", ["a"]), return_exceptions=True)
            second = await batcher.run("sentiment", ["b"])
            return first[0], second
        finally:
            await batcher.stop()

    first, second = asyncio.run(go())
    assert isinstance(first, RuntimeError)
    assert isinstance(second, list) and second[0]["label"] in {"negative", "neutral", "positive"}


def test_the_category_list_is_configurable(tiny_dir) -> None:  # type: ignore[no-untyped-def]
    from gpu_inference.engine import device as devices
    from gpu_inference.engine import loader

    custom = ("skateboarding", "fitness")
    for profile in ("full", "lite"):
        loaded = loader.load_profile(profile, tiny_dir, devices.pick("cpu"), custom)
        [result] = run_batched(loaded, "categories", ["Kickflip at the skatepark"])[0]
        assert set(result["scores"]) == set(custom)


def test_the_zero_shot_shortlist_scores_only_each_posts_nearest_labels(tiny_dir) -> None:  # type: ignore[no-untyped-def]
    from gpu_inference.engine import loader
    from shared.taxonomy import CATEGORY_PROTOTYPES

    loaded = loader.load_profile("full", tiny_dir, devices.pick("cpu", precision="float32"), shortlist=(4, 0.15))
    zero_shot, embedder = loaded["categories"], loaded["embeddings"]
    texts = ["Fresh pasta with tomato sauce, my favourite recipe for dinner", "", "zzqx"]
    [results, _stats] = run_batched(loaded, "categories", texts)
    items = zero_shot.pre(texts)
    passes = [sum(item.index == n for item in items) for n in range(len(texts))]
    labels = zero_shot.spec.labels
    assert len(labels) >= 30 and passes[0] == 4 and passes[1] == len(labels)  # an empty caption: every label
    assert results[0]["scored"] == "shortlist" and len(results[0]["scores"]) == 4 and "food" in results[0]["scores"]
    assert results[1]["scored"] == "all" and set(results[1]["scores"]) == set(labels)
    # The shortlist is the labels whose descriptions are nearest by MiniLM, computed here on its own.
    caption = embedder.embed(texts[:1])[0]
    nearest = sorted(
        labels, key=lambda label: -float((embedder.embed(list(CATEGORY_PROTOTYPES[label])) @ caption).max())
    )[:4]
    assert set(results[0]["scores"]) == set(nearest)
    # Unsure (no description near enough): every label, as without a shortlist.
    zero_shot.shortlist.floor = 0.99
    assert {r["scored"] for r in run_batched(loaded, "categories", texts)[0]} == {"all"}


@pytest.mark.parametrize(("native", "precision", "expected"), [
    (True, "auto", torch.bfloat16), (False, "auto", torch.float32), (True, "float32", torch.float32),
])  # fmt: skip
def test_a_cpu_runs_bf16_only_where_it_multiplies_bf16_natively(monkeypatch, native, precision, expected) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: native)
    device = devices.pick("cpu", precision)
    assert (device.dtype, device.batch_tokens) == (expected, devices.CPU_BATCH_TOKENS)
