"""Answer metrics (key facts, length), the answer gate, and the composer over the whole gold set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from studyrag.assistant import Assistant
from studyrag.eval.answers import (
    AnswerBaseline,
    AnswerGateConfig,
    AnswerReport,
    check_answers,
    evaluate_answers,
    first_words_baseline,
    plain_answer,
    render_answer_gate,
    score_answer,
    score_answers,
    states_fact,
    word_count,
)
from studyrag.eval.gold import GoldQuestion, load_gold
from studyrag.generate.base import Answer
from studyrag.pipeline import StudyPipeline
from studyrag.text.units import CONTENT_KINDS, is_framing, parse_units
from tests.conftest import CORPUS, GOLD

REPO = Path(__file__).resolve().parents[2]
THRESHOLDS = REPO / "eval" / "gate_thresholds.json"
ANSWER_BASELINE = REPO / "eval" / "baseline_answers.json"


def question(qid: str, *facts: tuple[str, ...], split: str = "dev") -> GoldQuestion:
    return GoldQuestion(qid, f"question {qid}?", "numeric", (), facts=facts, split=split)


def test_facts_match_across_case_spacing_markdown_and_dashes() -> None:
    answer = "approx **21.5GB** [1]\n• With GQA it drops to about 2.7 gb \u2014 8x less [1]."
    assert states_fact(answer, ("21.5 GB",))
    assert states_fact(answer, ("2.7 GB",))
    assert states_fact(answer, ("nope", "2.7 GB - 8x less"))  # any alternative; one dash kind
    assert not states_fact(answer, ("140 GB",))
    assert not states_fact("see [21] for details", ("21",))  # a citation marker is not a fact
    assert plain_answer("• A [1]\n• B [2][3].") == "A\nB."
    assert word_count("• A fact here [1].") == 3


def test_report_summary_counts_facts_and_questions() -> None:
    report = AnswerReport("composer")
    report.scores.append(score_answer(question("a", ("alpha",), ("beta",)), "alpha only"))
    report.scores.append(score_answer(question("b", ("gamma",), split="heldout"), "gamma and more"))
    summary = report.summary()
    assert summary["fact_recall"] == pytest.approx(2 / 3)
    assert summary["all_facts"] == pytest.approx(0.5)
    assert summary["median_words"] == 2.5
    assert report.only("heldout").summary()["fact_recall"] == 1.0


def test_answer_gate_fails_on_lost_facts_with_before_and_after(tmp_path: Path) -> None:
    trusted = AnswerReport("composer")
    trusted.scores.append(
        score_answer(question("q1", ("21.5 GB",), ("2.7 GB",)), "21.5 GB, 2.7 GB")
    )
    trusted.scores.append(score_answer(question("q2", ("6ND",)), "C approx 6ND"))
    baseline = AnswerBaseline.from_report(trusted)
    baseline.save(tmp_path / "baseline.json")
    baseline = AnswerBaseline.load(tmp_path / "baseline.json")
    config = AnswerGateConfig.from_dict({"minimum": {"fact_recall": 0.5}, "max_lost_facts": 0})
    assert check_answers(trusted, config, baseline).passed

    worse = AnswerReport("composer")
    worse.scores.append(score_answer(question("q1", ("21.5 GB",), ("2.7 GB",)), "about 21.5 GB"))
    worse.scores.append(score_answer(question("q2", ("6ND",)), "C approx 6ND"))
    result = check_answers(worse, config, baseline)
    assert not result.passed
    text = render_answer_gate(result)
    assert "answer gate FAILED" in text
    assert "q1 lost ['2.7 GB']" in text
    assert "- baseline: 21.5 GB, 2.7 GB" in text and "+ now:      about 21.5 GB" in text
    assert "fact_recall dropped" in text
    with pytest.raises(ValueError, match="unknown answer metrics"):
        AnswerGateConfig.from_dict({"minimum": {"bleu": 0.3}})


def test_gold_set_has_facts_written_for_it() -> None:
    gold = load_gold(GOLD, CORPUS)
    with_facts = [q for q in gold if q.facts]
    assert len(with_facts) >= 80
    assert {q.split for q in with_facts} == {"dev", "heldout"}
    assert sum(q.split == "heldout" for q in with_facts) >= 25
    for q in with_facts:  # every fact can be stated from the corpus: it is in a gold source
        sources = {s.source for s in q.spans}
        text = "".join((CORPUS / s).read_text(encoding="utf-8") for s in sources)
        for alternatives in q.facts:
            assert any(states_fact(text, (a,)) for a in alternatives), (q.qid, alternatives)


def test_committed_answer_baseline_agrees_with_the_gate() -> None:
    config = AnswerGateConfig.from_dict(json.loads(THRESHOLDS.read_text())["answers"])
    baseline = AnswerBaseline.load(ANSWER_BASELINE)
    for metric, minimum in config.minimum.items():
        assert baseline.summary[metric] >= minimum, metric
    gold = {q.qid for q in load_gold(GOLD, CORPUS) if q.facts}
    assert set(baseline.stated) == gold


@pytest.mark.slow
def test_whole_gold_set_passes_the_answer_gate_and_beats_the_baseline(
    gold_answers: dict[str, Answer],
) -> None:
    gold = load_gold(GOLD, CORPUS)
    report = score_answers(gold, gold_answers)
    config = AnswerGateConfig.from_dict(json.loads(THRESHOLDS.read_text())["answers"])
    result = check_answers(report, config, AnswerBaseline.load(ANSWER_BASELINE))
    assert result.passed, render_answer_gate(result)
    words = int(report.summary()["median_words"])
    assert 40 <= words <= 120
    baseline = first_words_baseline(gold, gold_answers, words)
    assert report.summary()["fact_recall"] > baseline.summary()["fact_recall"] + 0.1


def test_evaluate_answers_asks_with_the_word_budget(pipeline: StudyPipeline) -> None:
    gold = [q for q in load_gold(GOLD, CORPUS) if q.qid in ("q007", "q020")]
    assistant = Assistant(pipeline)
    short = evaluate_answers(assistant, gold, max_words=30)
    long = evaluate_answers(assistant, gold, max_words=200)
    assert set(short.answers) == {"q007", "q020"}
    assert short.summary()["median_words"] < long.summary()["median_words"]


@pytest.mark.slow
def test_no_gold_answer_quotes_a_question_heading_or_framing(
    gold_answers: dict[str, Answer],
) -> None:
    for gold in load_gold(GOLD, CORPUS):
        answer = gold_answers[gold.qid]
        if answer.refused:
            continue
        by_n = {c.n: c.chunk for c in answer.citations}
        for quote in answer.quotes:
            chunk = by_n[quote.n]
            assert chunk.text[quote.start : quote.end] == quote.text
            units = parse_units(chunk.text, (*chunk.heading_path, chunk.title))
            inside = [u for u in units if quote.start <= u.start and u.end <= quote.end]
            assert inside and all(u.kind in CONTENT_KINDS for u in inside), (gold.qid, quote)
        for line in plain_answer(answer.text).splitlines():
            assert not line.rstrip().endswith("?"), (gold.qid, line)
            assert not is_framing(line), (gold.qid, line)
            assert not re.match(r"^(Difficulty|Roles?|Follow-?ups?)\s*:", line.strip()), line
