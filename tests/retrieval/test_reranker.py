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


def test_scores_do_not_depend_on_the_process_hash_seed() -> None:
    """The INT8 cross-encoder quantizes each batch as a whole, so a text's logit depends on its
    batch neighbours: batches must be formed the same way in every process."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json\n"
        "from pathlib import Path\n"
        "from studyrag.retrieval.reranker import CrossEncoderReranker\n"
        "texts = [p.read_text()[i:i + 300] for p in sorted(Path('corpus').glob('*.txt'))[:2]\n"
        "         for i in range(0, 6000, 300)]\n"
        "texts += [t[:150] + ' ' * (len(t) - 150) for t in texts[:8]]  # equal lengths\n"
        "print(json.dumps(CrossEncoderReranker().score('what is the KV cache?', texts).tolist()))\n"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1]
