from studyrag.index.lexical import LexicalAnalyzer


def test_stems_drop_stopwords_and_keep_numbers() -> None:
    analyze = LexicalAnalyzer()
    assert analyze("What is the KV caching of a 70B model in FP16?") == [
        "kv",
        "cach",
        "70b",
        "model",
        "fp16",
    ]
    assert analyze("fine-tuning") == [*analyze("fine tuned")[:1], "tune"]
    assert analyze("") == []
