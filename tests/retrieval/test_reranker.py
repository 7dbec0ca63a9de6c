def test_relevant_passage_outscores_irrelevant_ones(pipeline) -> None:
    scores = pipeline.reranker.score(
        "How does LoRA reduce fine-tuning cost?",
        [
            "The capital of France is Paris.",
            "LoRA freezes the pretrained weights and trains two small low-rank matrices, so only "
            "a fraction of a percent of the parameters need gradients and optimizer state.",
            "The KV cache stores keys and values of past tokens.",
        ],
    )
    assert scores.shape == (3,)
    assert scores.argmax() == 1 and scores[1] - max(scores[0], scores[2]) > 5


def test_scores_of_the_current_question_are_remembered(pipeline) -> None:
    reranker = pipeline.reranker
    texts = [
        "LoRA trains low-rank adapters.",
        "Paris is in France.",
        "LoRA trains low-rank adapters.",
    ]
    first = reranker.score("what is LoRA, remembered?", texts)
    count = reranker.pairs_run
    again = reranker.score("what is LoRA, remembered?", list(reversed(texts)))
    assert reranker.pairs_run == count  # nothing re-run, duplicates scored once
    assert list(again) == list(reversed(first))
    reranker.score("another question entirely", texts[:1])
    assert reranker.pairs_run == count + 1
