"""The real thing: `studyrag serve` (Streamlit on 127.0.0.1), driven by headless Debian Chromium.

Records how long the first answer takes after the server starts (timings JSON and screenshots
under test-artifacts/). Chromium and chromedriver come from Debian packages
(`scripts/ensure_chromium.sh`); Selenium Manager is never asked to download anything.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import CORPUS, REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"
QUESTION = "How does RoPE inject position information into attention?"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1800",
    "--force-device-scale-factor=1",
)
SERVER_START_TIMEOUT_S = 180
ANSWER_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("streamlit did not become healthy in time")


READY_LINE = "studyrag: models and index ready"


def _wait_for_line(path: Path, line: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in path.read_text(errors="replace"):
            return
        if server.poll() is not None:
            raise AssertionError(f"studyrag serve exited with code {server.returncode}")
        time.sleep(0.2)
    raise AssertionError(f"{line!r} never appeared in {path}")


@pytest.fixture
def app_server(index_copy: Path, tmp_path: Path) -> Iterator[tuple[str, float]]:
    """The app served on a free local port over a private copy of the index."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("needs Debian chromium + chromium-driver: run `make chromium` first")
    port = _free_port()
    env = {
        **os.environ,
        "STUDYRAG_DATA_DIR": str(index_copy),
        "STUDYRAG_CORPUS_DIR": str(CORPUS),
        "HF_HUB_OFFLINE": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = (tmp_path / "streamlit.log").open("wb")
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "studyrag.cli", "serve", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server, SERVER_START_TIMEOUT_S)
        # The models load as the server starts: ready before any browser has connected.
        _wait_for_line(tmp_path / "streamlit.log", READY_LINE, server, SERVER_START_TIMEOUT_S)
        yield url, started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _visible(driver: webdriver.Chrome, css: str, text: str = "") -> WebElement | None:
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        try:
            if element.is_displayed() and text in element.text:
                return element
        except WebDriverException:  # re-rendered while we looked
            continue
    return None


def _idle(driver: webdriver.Chrome) -> bool:
    """No script run in progress (the status widget shows "Running..." otherwise)."""
    return not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')


def test_a_question_in_a_real_browser_gets_a_cited_answer(
    app_server: tuple[str, float], browser: webdriver.Chrome
) -> None:
    url, started = app_server
    healthy = time.monotonic()
    browser.get(url)
    wait = WebDriverWait(browser, SERVER_START_TIMEOUT_S, poll_frequency=0.1)
    box = wait.until(
        lambda d: (
            (el := _visible(d, '[data-testid="stChatInputTextArea"]')) and el.is_enabled() and el
        )
    )
    page_ready = time.monotonic()

    box.send_keys(QUESTION)
    box.send_keys(Keys.ENTER)
    asked = time.monotonic()
    answer_wait = WebDriverWait(browser, ANSWER_TIMEOUT_S, poll_frequency=0.05)
    citation = answer_wait.until(lambda d: _visible(d, '[data-testid="stExpander"]', "[1]"))
    answered = time.monotonic()
    assert re.search(r"^\[1\] \S+\.(txt|md) · ", citation.text, re.MULTILINE), citation.text
    wait.until(_idle)
    wait.until(lambda d: _visible(d, '[data-testid="stFeedback"] button'))
    time.sleep(0.3)  # let the last elements paint

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-answer.png"))

    link = _visible(browser, '[data-testid="stButton"] button', "[1]")
    assert link is not None, "the [1] citation link is not visible"
    link.click()
    details = answer_wait.until(lambda d: _visible(d, '[data-testid="stExpanderDetails"]'))
    wait.until(_idle)
    assert details.text.strip(), "the opened citation shows no passage"
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    time.sleep(0.5)  # the [1] tooltip fades out
    wait.until(_idle)
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
    assert timings["question_to_answer_visible_s"] < 60


def test_practice_in_a_real_browser_grades_and_schedules(
    app_server: tuple[str, float], browser: webdriver.Chrome
) -> None:
    url, _started = app_server
    browser.get(f"{url}/practice")
    wait = WebDriverWait(browser, SERVER_START_TIMEOUT_S, poll_frequency=0.1)
    box = wait.until(lambda d: _visible(d, '[data-testid="stTextArea"] textarea'))
    box.send_keys(
        "It stores the keys and values of earlier tokens so they are not recomputed; "
        "memory grows with layers, heads, head size and sequence length."
    )
    box.send_keys(Keys.TAB)  # commit the answer (a text area sends its value on blur) first,
    wait.until(_idle)  # so the rerun it causes cannot swallow the click on "Grade my answer"
    grade = wait.until(lambda d: _visible(d, '[data-testid="stButton"] button', "Grade my answer"))
    grade.click()
    score = WebDriverWait(browser, ANSWER_TIMEOUT_S, poll_frequency=0.1).until(
        lambda d: _visible(d, '[data-testid="stMetric"]', "Score")
    )
    assert re.search(r"\d+/100", score.text), score.text
    due = wait.until(lambda d: _visible(d, '[data-testid="stMetric"]', "Due today"))
    assert re.search(r"Due today\s+\d+", due.text), due.text
    graded_against = _visible(browser, '[data-testid="stExpander"]', " · ")
    assert graded_against is not None, "no citation (file · heading) on the Practice page"
    wait.until(_idle)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-practice.png"))


def test_uploading_a_pdf_and_a_web_page_makes_them_answerable(
    app_server: tuple[str, float], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """Drop a PDF and an HTML file on the sidebar, add them, read the result lines, then ask
    what only the PDF answers and get its page in the citation."""
    url, _started = app_server
    browser.get(url)
    wait = WebDriverWait(browser, SERVER_START_TIMEOUT_S, poll_frequency=0.1)
    wait.until(lambda d: _visible(d, '[data-testid="stChatInputTextArea"]'))
    opener = wait.until(
        lambda d: _visible(d, '[data-testid="stExpander"] summary', "Add documents")
    )
    opener.click()
    page = tmp_path / "zebra.html"
    page.write_text(
        "<html><body><h1>Zebra lemma</h1><p>The zebra lemma says stripes commute.</p></body></html>"
    )
    pdf = REPO / "eval" / "documents" / "pdf" / "R-intro.pdf"
    drop = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[type="file"]'))
    drop.send_keys(f"{pdf}\n{page}")
    add = wait.until(lambda d: _visible(d, '[data-testid="stButton"] button', "Add to the index"))
    add.click()
    upload_wait = WebDriverWait(browser, 300, poll_frequency=0.2)
    upload_wait.until(lambda d: _visible(d, '[data-testid="stAlert"]', "added R-intro.pdf"))
    assert _visible(browser, '[data-testid="stAlert"]', "added zebra.html")
    wait.until(_idle)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "browser-upload.png"))

    box = wait.until(lambda d: _visible(d, '[data-testid="stChatInputTextArea"]'))
    box.send_keys("how do I see which objects I have stored in my R session?")
    box.send_keys(Keys.ENTER)
    answer_wait = WebDriverWait(browser, ANSWER_TIMEOUT_S, poll_frequency=0.05)
    citation = answer_wait.until(
        lambda d: _visible(d, '[data-testid="stExpander"]', "R-intro.pdf · p. ")
    )
    assert re.search(r"R-intro\.pdf · p\. \d+", citation.text), citation.text
