from __future__ import annotations

import pytest

from studyrag.embedding import Embedder, load_embedder
from studyrag.generate.base import Passage
from studyrag.generate.citations import (
    UNSUPPORTED_MARK,
    SupportScorer,
    parse_answer,
    parse_numbers,
    validate,
    with_markers,
)
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.settings import EmbeddingModelName
from studyrag.types import Chunk, Hit

LORA = (
    "LoRA Solution: Freezes the pre-trained weights and injects trainable rank decomposition "
    "matrices into each layer of the Transformer architecture. Benefit: Reduces the number of "
    "trainable parameters by 10,000x and GPU memory requirement by 3x. You can fine-tune a large "
    "model on a single consumer GPU."
)
KV = "The KV cache stores the key and value tensors of previous tokens so they are not recomputed."


def passage(n: int, text: str) -> Passage:
    chunk = Chunk(chunk_id=f"doc.txt#{n}", source="doc.txt", text=text, start=0, end=len(text))
    return Passage(n, Hit(chunk=chunk, score=1.0))


PASSAGES = [passage(1, LORA), passage(2, KV)]


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return load_embedder(EmbeddingModelName.MINILM)


@pytest.fixture(scope="module")
def lexical() -> SupportScorer:
    return SupportScorer(LexicalAnalyzer(), min_support=0.5)


def test_parse_numbers_accepts_lists_and_ranges() -> None:
    assert parse_numbers("[1, 3-4]") == [1, 3, 4]
    assert parse_numbers("[2;5]") == [2, 5]


def test_markers_stay_with_their_sentence_in_every_style() -> None:
    parsed = parse_answer("LoRA freezes weights [1]. It saves memory.[1][2] KV is cached. [2]\n[1]")
    assert [(p.text, p.cited) for p in parsed] == [
        ("LoRA freezes weights.", (1,)),
        ("It saves memory.", (1, 2)),
        ("KV is cached.", (2, 1)),
    ]
    assert with_markers("A fact.", [1, 2]) == "A fact [1][2]."
    assert with_markers("A bullet", [3]) == "A bullet [3]"


def test_supported_sentences_keep_their_citations(lexical: SupportScorer) -> None:
    checked = validate(
        "LoRA freezes the pre-trained weights and injects trainable rank decomposition matrices "
        "[1]. The KV cache stores key and value tensors of previous tokens [2].",
        PASSAGES,
        lexical,
    )
    assert [s.citations for s in checked.sentences] == [[1], [2]]
    assert all(s.supported for s in checked.sentences)
    assert [c.n for c in checked.citations] == [1, 2]
    assert checked.citations[0].chunk.chunk_id == "doc.txt#1"
    assert checked.warnings == []
    assert UNSUPPORTED_MARK not in checked.text


def test_unknown_citation_is_removed_and_reported(lexical: SupportScorer) -> None:
    checked = validate("The KV cache stores key and value tensors [7][2].", PASSAGES, lexical)
    assert checked.sentences[0].citations == [2]
    assert checked.text == "The KV cache stores key and value tensors [2]."
    assert any("[7]: no such passage" in w for w in checked.warnings)


def test_fabricated_sentence_is_flagged_not_cited(lexical: SupportScorer) -> None:
    checked = validate(
        "LoRA was invented by Napoleon to speed up cannon calculations [1].", PASSAGES, lexical
    )
    sentence = checked.sentences[0]
    assert not sentence.supported and sentence.citations == [] and sentence.support < 0.5
    assert checked.citations == []
    assert checked.text.endswith(UNSUPPORTED_MARK) and "[1]" not in checked.text
    assert any("not supported by the passages it cites" in w for w in checked.warnings)


def test_wrong_number_is_not_supported_even_with_matching_words(lexical: SupportScorer) -> None:
    supported, _ = lexical.support("LoRA reduces trainable parameters by 10,000x.", LORA)[::-1]
    wrong, _ = lexical.support("LoRA reduces trainable parameters by 500x.", LORA)[::-1]
    assert supported and not wrong


def test_citation_to_the_wrong_passage_moves_nowhere(lexical: SupportScorer) -> None:
    checked = validate("The KV cache stores key and value tensors [1].", PASSAGES, lexical)
    assert checked.sentences[0].citations == [] and not checked.sentences[0].supported


def test_uncited_supported_claim_gets_its_passage(lexical: SupportScorer) -> None:
    checked = validate(
        "The KV cache stores key and value tensors of previous tokens.", PASSAGES, lexical
    )
    assert checked.sentences[0].citations == [2]
    assert checked.text == "The KV cache stores key and value tensors of previous tokens [2]."


def test_refusal_sentence_needs_no_citation(lexical: SupportScorer) -> None:
    checked = validate("The corpus does not cover this question.", PASSAGES, lexical)
    assert checked.sentences[0].supported and checked.warnings == []


def test_embedder_accepts_a_paraphrase_lexical_overlap_misses(minilm: Embedder) -> None:
    paraphrase = (
        "LoRA keeps the original weights frozen and learns small low-rank update matrices in "
        "every layer."
    )
    plain = SupportScorer(LexicalAnalyzer(), min_support=0.5)
    semantic = SupportScorer(LexicalAnalyzer(), 0.5, minilm, min_cosine=0.6)
    assert plain.support(paraphrase, LORA)[1] is False
    assert semantic.support(paraphrase, LORA)[1] is True
    unrelated = "RLHF trains a reward model from human preference comparisons."
    assert semantic.support(unrelated, LORA)[1] is False
