"""The real thing: `studyrag serve` (Streamlit on 127.0.0.1), driven by headless Debian Chromium.

Records how long the first answer takes after the server starts (timings JSON and screenshots
under test-artifacts/). Chromium and chromedriver come from Debian packages
(`scripts/ensure_chromium.sh`); Selenium Manager is never asked to download anything.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.driver import (
    ANSWER_TIMEOUT_S,
    ARTIFACTS,
    QUESTION,
    SERVER_START_TIMEOUT_S,
    ask,
    button,
    chromium,
    idle,
    open_expander,
    serving,
    visible,
    waiting,
)
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def app_server(index_copy: Path, tmp_path: Path) -> Iterator[tuple[str, float]]:
    """The app served on a free local port over a private copy of the index."""
    with serving(index_copy, tmp_path / "streamlit.log") as served:
        yield served


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path / "chromium-profile", tmp_path / "downloads") as driver:
        yield driver


def test_a_question_in_a_real_browser_gets_a_cited_answer(
    app_server: tuple[str, float], browser: webdriver.Chrome
) -> None:
    url, started = app_server
    healthy = time.monotonic()
    browser.get(url)
    wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)
    box = wait.until(
        lambda d: (
            (el := visible(d, '[data-testid="stChatInputTextArea"]')) and el.is_enabled() and el
        )
    )
    page_ready = time.monotonic()

    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)
    asked = time.monotonic()
    answer_wait = waiting(browser, ANSWER_TIMEOUT_S, 0.05)
    citation = answer_wait.until(lambda d: visible(d, '[data-testid="stExpander"]', "[1]"))
    answered = time.monotonic()
    assert re.search(r"^\[1\] \S+\.(txt|md) · ", citation.text, re.MULTILINE), citation.text
    wait.until(idle)
    wait.until(lambda d: visible(d, '[data-testid="stFeedback"] button'))
    time.sleep(0.3)  # let the last elements paint

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-answer.png"))

    link = visible(browser, '[data-testid="stButton"] button', "[1]")
    assert link is not None, "the [1] citation link is not visible"
    link.click()
    details = answer_wait.until(lambda d: visible(d, '[data-testid="stExpanderDetails"]'))
    wait.until(idle)
    assert details.text.strip(), "the opened citation shows no passage"
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    time.sleep(0.5)  # the [1] tooltip fades out
    wait.until(idle)
    browser.save_screenshot(str(ARTIFACTS / "browser-citation.png"))

    timings = {
        "server_start_to_models_ready_s": round(healthy - started, 2),
        "page_load_to_chat_ready_s": round(page_ready - healthy, 2),
        "question_to_answer_visible_s": round(answered - asked, 2),
        "server_start_to_first_answer_s": round(answered - started, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(f"\nbrowser timings: {timings}")


def test_practice_in_a_real_browser_grades_and_schedules(
    app_server: tuple[str, float], browser: webdriver.Chrome
) -> None:
    url, _started = app_server
    browser.get(f"{url}/practice")
    wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)
    box = wait.until(lambda d: visible(d, '[data-testid="stTextArea"] textarea'))
    box.send_keys(
        "It stores the keys and values of earlier tokens so they are not recomputed; "
        "memory grows with layers, heads, head size and sequence length."
    )
    box.send_keys(Keys.TAB)  # commit the answer (a text area sends its value on blur) first,
    wait.until(idle)  # so the rerun it causes cannot swallow the click on "Grade my answer"
    grade = wait.until(lambda d: visible(d, '[data-testid="stButton"] button', "Grade my answer"))
    grade.click()
    score = waiting(browser, ANSWER_TIMEOUT_S, 0.1).until(
        lambda d: visible(d, '[data-testid="stMetric"]', "Score")
    )
    assert re.search(r"\d+/100", score.text), score.text
    due = wait.until(lambda d: visible(d, '[data-testid="stMetric"]', "Due today"))
    assert re.search(r"Due today\s+\d+", due.text), due.text
    graded_against = visible(browser, '[data-testid="stExpander"]', " · ")
    assert graded_against is not None, "no citation (file · heading) on the Practice page"
    wait.until(idle)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-practice.png"))


def test_uploading_a_pdf_and_a_web_page_makes_them_answerable(
    app_server: tuple[str, float], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """Make an empty collection; drop a PDF and an HTML file on it and watch the progress and
    the result lines; ask what only the PDF answers and get its page cited; delete the PDF on
    the Documents page and see it gone from the answers."""
    url, _started = app_server
    browser.get(url)
    wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)
    wait.until(lambda d: visible(d, '[data-testid="stChatInputTextArea"]'))
    open_expander(browser, "Collections")
    name = wait.until(lambda d: visible(d, 'input[aria-label="New collection"]'))
    name.send_keys("R course")
    name.send_keys(Keys.TAB)
    wait.until(idle)
    button(wait, "Create").click()
    wait.until(lambda d: visible(d, '[data-testid="stAlert"]', "This collection is empty"))

    open_expander(browser, "Add documents")
    page = tmp_path / "zebra.html"
    page.write_text(
        "<html><body><h1>Zebra lemma</h1><p>The zebra lemma says stripes commute.</p></body></html>"
    )
    pdf = REPO / "eval" / "documents" / "pdf" / "R-intro.pdf"
    drop = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[type="file"]'))
    drop.send_keys(f"{pdf}\n{page}")
    button(wait, "Add to the index").click()
    upload_wait = waiting(browser, 300, 0.1)
    progress = upload_wait.until(lambda d: visible(d, '[data-testid="stProgress"]'))
    assert progress is not None
    upload_wait.until(lambda d: visible(d, '[data-testid="stAlert"]', "added R-intro.pdf"))
    assert visible(browser, '[data-testid="stAlert"]', "added zebra.html")
    assert visible(browser, '[data-testid="stAlert"]', "2 added")
    wait.until(idle)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-upload.png"))

    question = "how do I see which objects I have stored in my R session?"
    answer = ask(browser, question, "R-intro.pdf · p. ")
    assert re.search(r"R-intro\.pdf · p\. \d+", answer.text), answer.text
    assert "LLM" not in answer.text  # the corpus collection is not searched

    # "Quiz me on this" under the cited page: that section's questions first, graded.
    cited = re.search(r"R-intro\.pdf · p\. \d+ · [^\n]+", answer.text)
    assert cited is not None
    link = wait.until(lambda d: visible(d, '[data-testid="stButton"] button', "[1]"))
    link.click()
    wait.until(idle)
    button(wait, "Quiz me on this").click()
    try:
        focus = wait.until(lambda d: visible(d, '[data-testid="stAlert"]', "Quizzing you on"))
    except TimeoutException:
        browser.save_screenshot(str(ARTIFACTS / "browser-quiz-me-failed.png"))
        alerts = [a.text for a in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stAlert"]')]
        raise AssertionError(f"no focus line on {browser.current_url}; alerts: {alerts}") from None
    assert "R-intro.pdf · p. " in focus.text, focus.text
    assert visible(browser, "h2", "Practice") or visible(browser, "h1", "Practice")
    caption = wait.until(lambda d: visible(d, '[data-testid="stCaptionContainer"]', "R-intro.pdf"))
    assert re.search(r"R-intro\.pdf · p\. \d+", caption.text), caption.text
    box = wait.until(lambda d: visible(d, '[data-testid="stTextArea"] textarea'))
    box.send_keys("ls() lists the names of the objects stored in the workspace")
    box.send_keys(Keys.TAB)
    wait.until(idle)
    button(wait, "Grade my answer").click()
    score = upload_wait.until(lambda d: visible(d, '[data-testid="stMetric"]', "Score"))
    assert re.search(r"\d+/100", score.text), score.text
    wait.until(idle)
    browser.save_screenshot(str(ARTIFACTS / "browser-quiz-me.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[href$="/documents"]').click()
    wait.until(lambda d: visible(d, "h1", "Documents"))
    wait.until(lambda d: visible(d, '[data-testid="stCaptionContainer"]', "2 documents"))
    choice = wait.until(lambda d: visible(d, '[data-testid="stSelectbox"]', "Document"))
    choice.click()
    wait.until(lambda d: visible(d, '[role="option"]', "R-intro.pdf")).click()
    wait.until(idle)
    browser.save_screenshot(str(ARTIFACTS / "browser-documents.png"))
    button(wait, "Delete").click()
    upload_wait.until(lambda d: visible(d, '[data-testid="stAlert"]', "Deleted R-intro.pdf"))
    wait.until(lambda d: visible(d, '[data-testid="stCaptionContainer"]', "1 documents"))

    next(
        a for a in browser.find_elements(By.TAG_NAME, "a") if a.text.strip().endswith("Ask")
    ).click()
    answer = ask(browser, question, "")
    assert "R-intro.pdf" not in answer.text, answer.text


def test_a_conversation_survives_a_restart_and_exports_as_markdown(
    index_copy: Path, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """Ask, stop the server, start it again: the conversation is in the sidebar, reopens with
    its answers, takes a follow-up in its context, and exports as Markdown with citations."""
    wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)
    with serving(index_copy, tmp_path / "first.log") as (url, _started):
        browser.get(url)
        ask(browser, "What is LoRA?", "[1]")
    with serving(index_copy, tmp_path / "second.log") as (url, _started):
        browser.get(url)
        wait.until(lambda d: visible(d, '[data-testid="stChatInputTextArea"]'))
        button(wait, "What is LoRA?").click()
        wait.until(lambda d: visible(d, '[data-testid="stChatMessage"]', "What is LoRA?"))
        wait.until(idle)
        follow_up = ask(browser, "How much memory does it save?", "Why these passages")
        searched = re.search(r"Searched for: (.+)", follow_up.text)
        assert searched and "lora" in searched.group(1).lower(), follow_up.text  # in context
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "browser-conversation.png"))
        open_expander(browser, "This conversation")
        button(wait, "Export as Markdown").click()
        downloads = tmp_path / "downloads"
        exported = waiting(browser, 30, 0.2).until(
            lambda _d: next(iter(downloads.glob("*.md")), None)
        )
        text = exported.read_text(encoding="utf-8")
    assert text.startswith("# What is LoRA?\n"), text[:200]
    assert "## 1. What is LoRA?" in text and "## 2. How much memory does it save?" in text
    assert "**Sources**" in text and re.search(r"^- \[1\] \S+\.(txt|md) · ", text, re.M)
    assert re.search(r"^  > \S", text, re.M), "no quoted span under a source"
