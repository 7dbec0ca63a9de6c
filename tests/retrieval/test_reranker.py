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
