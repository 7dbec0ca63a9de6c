# ruff: noqa: E501  (the passages are corpus text, kept as the documents have them)
"""The unit parser: every line of a passage classified once, with exact offsets."""

from __future__ import annotations

from studyrag.text.units import UnitKind, items_of, label_chain, parse_units, short_label

KV_PASSAGE = """Q3. What is the KV cache and why is it critical for LLM inference?

Difficulty: Medium | Roles: MLE, AI Eng, LLM Eng, ML Infra Eng

Answer

The KV cache stores the key and value tensors from all previous tokens so they do not need to be recomputed.

Memory calculation:

The factor of 2 is for keys and values. For LLaMA 3 70B (80 layers, d_model=8192) with fp16 and a single sequence of 8K tokens:

= 2 * 80 * 8192 * 8192 * 1 * 2 bytes
= 2 * 80 * 8192 * 8192 * 2
approx 21.5 GB

With GQA (8 KV heads instead of 64), this drops by 8x to about 2.7 GB.

Follow-ups:

  • How does PagedAttention (from vLLM) manage KV cache memory?
  • How does sliding window attention (Mistral) reduce KV cache?
"""

LORA_PASSAGE = """LoRA (Low-Rank Adaptation):

  • Freezes all original weights
  • Adds small trainable low-rank matrices: W' = W + A * B where A is (d, r) and B is (r, d)
  • Only trains 2 * d * r parameters per adapted layer instead of d * d

QLoRA:

  • Base model quantized to 4-bit (NF4 quantization)

When to use each:

MethodComputeData sizeQuality needUse case
Full FT\tLarge cluster\t100K+ examples
"""

NARRATIVE = """She moves on: "How does LoRA reduce the cost of fine-tuning?" You know LoRA uses matrices.

This chapter is your question bank. Fifty-plus questions, organized by category.

LoRA freezes the base weights and trains a low-rank update instead.
"""


def kinds(text: str, headings: tuple[str, ...] = ()) -> list[tuple[UnitKind, str]]:
    return [(u.kind, u.text) for u in parse_units(text, headings)]


def test_offsets_point_at_exactly_the_quoted_text() -> None:
    for text in (KV_PASSAGE, LORA_PASSAGE, NARRATIVE):
        for unit in parse_units(text):
            raw = text[unit.start : unit.end]
            assert raw.strip() == raw and raw
            assert "".join(unit.text.split()) in "".join(raw.replace("**", "").split())


def test_questions_headings_metadata_and_follow_ups_are_not_content() -> None:
    found = kinds(KV_PASSAGE, ("What is the KV cache and why is it critical for LLM inference?",))
    assert found[0][0] is UnitKind.HEADING
    assert found[1][0] is UnitKind.METADATA and found[2] == (UnitKind.METADATA, "Answer")
    follow = [text for kind, text in found if kind is UnitKind.FOLLOW_UP]
    assert follow[0] == "Follow-ups:" and len(follow) == 3
    quotable = [u for u in parse_units(KV_PASSAGE) if u.quotable]
    assert not any(u.text.endswith("?") for u in quotable)


def test_a_calculation_stays_under_the_line_that_says_what_it_is() -> None:
    units = parse_units(KV_PASSAGE)
    result = next(u for u in units if u.text == "approx 21.5 GB")
    assert result.kind is UnitKind.FORMULA and result.has_quantity
    (label,) = label_chain(units, result)
    assert label.kind is UnitKind.LABEL and label.text.startswith("For LLaMA 3 70B")
    # The sentence before the label on the same line is its own unit, not part of the label.
    assert any(u.text == "The factor of 2 is for keys and values." for u in units)
    steps = [u.text for u in items_of(units, label)]
    assert steps == [
        "= 2 * 80 * 8192 * 8192 * 1 * 2 bytes",
        "= 2 * 80 * 8192 * 8192 * 2",
        "approx 21.5 GB",
    ]
    gqa = next(u for u in units if "2.7 GB" in u.text)
    assert gqa.kind is UnitKind.SENTENCE and gqa.label is None


def test_labels_keep_their_items_and_tables_are_rows() -> None:
    units = parse_units(LORA_PASSAGE)
    lora = units[0]
    assert lora.kind is UnitKind.LABEL and short_label(lora.text) == "LoRA"
    assert [u.kind for u in items_of(units, lora)] == [UnitKind.BULLET] * 3
    qlora = next(u for u in units if u.text == "QLoRA:")
    assert [u.text for u in items_of(units, qlora)] == [
        "Base model quantized to 4-bit (NF4 quantization)"
    ]
    rows = [u for u in units if u.kind is UnitKind.TABLE_ROW]
    assert len(rows) == 2 and {units[u.label].text for u in rows} == {"When to use each:"}


def test_narrative_framing_is_never_content() -> None:
    found = kinds(NARRATIVE)
    assert found[0][0] is UnitKind.FRAMING
    assert all(kind is UnitKind.FRAMING for kind, text in found if "question bank" in text)
    assert found[-1] == (
        UnitKind.SENTENCE,
        "LoRA freezes the base weights and trains a low-rank update instead.",
    )


def test_a_bullet_marker_alone_on_its_line_marks_the_next_line() -> None:
    text = "Key variants:\n-\nMulti-Query Attention (MQA): all heads share K and V.\n"
    units = parse_units(text)
    item = units[-1]
    assert item.kind is UnitKind.BULLET and item.label == 0
