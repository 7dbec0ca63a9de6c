"""Headless Chromium against `studyrag serve`: the helpers the browser tests and
bench/bench_library.py share (a real server, a real browser; nothing mocked)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
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


def wait_for_line(path: Path, line: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in path.read_text(errors="replace"):
            return
        if server.poll() is not None:
            raise AssertionError(f"studyrag serve exited with code {server.returncode}")
        time.sleep(0.2)
    raise AssertionError(f"{line!r} never appeared in {path}")


@contextmanager
def serving(data_dir: Path, log_path: Path) -> Iterator[tuple[str, float]]:
    """`studyrag serve` on a free local port over ``data_dir``; stopped on exit."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise RuntimeError("needs Debian chromium + chromium-driver: run `make chromium` first")
    port = free_port()
    env = {
        **os.environ,
        "STUDYRAG_DATA_DIR": str(data_dir),
        "STUDYRAG_CORPUS_DIR": str(CORPUS),
        "HF_HUB_OFFLINE": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = log_path.open("wb")
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "studyrag.cli", "serve", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, SERVER_START_TIMEOUT_S)
        # The models load as the server starts: ready before any browser has connected.
        wait_for_line(log_path, READY_LINE, server, SERVER_START_TIMEOUT_S)
        yield url, started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@contextmanager
def chromium(profile: Path, downloads: Path) -> Iterator[webdriver.Chrome]:
    """Headless Debian Chromium with its own profile; downloads land in ``downloads``."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    downloads.mkdir(parents=True, exist_ok=True)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()


def waiting(browser: webdriver.Chrome, timeout: float, poll: float = 0.1) -> WebDriverWait[Any]:
    """A wait that polls through re-renders (an element replaced while it was read)."""
    return WebDriverWait(
        browser, timeout, poll_frequency=poll, ignored_exceptions=[StaleElementReferenceException]
    )


def visible(driver: webdriver.Chrome, css: str, text: str = "") -> WebElement | None:
    """The first displayed element matching ``css`` whose text contains ``text``."""
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        try:
            if element.is_displayed() and text in element.text:
                return element
        except WebDriverException:  # re-rendered while we looked
            continue
    return None


def idle(driver: webdriver.Chrome) -> bool:
    """No script run in progress (the status widget shows "Running..." otherwise)."""
    return not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')


def _expander(driver: webdriver.Chrome, label: str) -> WebElement | None:
    for element in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"]'):
        summary = element.find_elements(By.TAG_NAME, "summary")
        if summary and summary[0].is_displayed() and label in summary[0].text:
            return element
    return None


def _expander_open(driver: webdriver.Chrome, label: str) -> bool | None:
    """True/False: the expander's content is shown or not; None: not on the page (yet)."""
    try:
        element = _expander(driver, label)
        if element is None:
            return None
        details = element.find_elements(By.CSS_SELECTOR, '[data-testid="stExpanderDetails"]')
        return bool(details) and details[0].is_displayed()
    except WebDriverException:
        return None


def open_expander(browser: webdriver.Chrome, label: str) -> None:
    """Open the expander labelled ``label`` once the page has settled (a click during a rerun
    can be undone by it, so it is clicked again until its content shows)."""
    wait = waiting(browser, SERVER_START_TIMEOUT_S)
    wait.until(idle)
    wait.until(lambda d: _expander_open(d, label) is not None)
    for _attempt in range(5):
        if _expander_open(browser, label):
            return
        element = _expander(browser, label)
        if element is not None:
            element.find_element(By.TAG_NAME, "summary").click()
        try:
            waiting(browser, 5).until(lambda d: _expander_open(d, label))
            return
        except TimeoutException:
            continue
    raise AssertionError(f"the {label!r} expander does not open")


def button(wait: WebDriverWait[webdriver.Chrome], text: str) -> WebElement:
    found: WebElement = wait.until(
        lambda d: (
            visible(d, '[data-testid="stButton"] button', text)
            or visible(d, '[data-testid="stDownloadButton"] button', text)
        )
    )
    return found


def ask(browser: webdriver.Chrome, question: str, expect: str) -> WebElement:
    """Type a question; wait for an assistant message containing ``expect``."""
    return ask_timed(browser, question, expect)[0]


def ask_timed(browser: webdriver.Chrome, question: str, expect: str) -> tuple[WebElement, float]:
    """Type a question; wait for an assistant message containing ``expect`` and for the page to
    settle. Returns the message and the seconds from Enter to the message showing ``expect``."""
    wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)

    def asked_at(d: webdriver.Chrome) -> tuple[list[WebElement], list[int]]:
        messages = d.find_elements(By.CSS_SELECTOR, '[data-testid="stChatMessage"]')
        return messages, [i for i, m in enumerate(messages) if m.text.strip().endswith(question)]

    wait.until(lambda d: visible(d, '[data-testid="stChatInputTextArea"]'))
    wait.until(idle)
    time.sleep(0.5)  # the page's earlier messages finish painting
    earlier = len(asked_at(browser)[1])
    box = wait.until(lambda d: visible(d, '[data-testid="stChatInputTextArea"]'))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    sent = time.perf_counter()
    shown_at: list[float] = []

    def answered(d: webdriver.Chrome) -> WebElement | None:
        messages, asked = asked_at(d)
        if len(asked) <= earlier or asked[-1] + 1 >= len(messages):
            return None
        reply = messages[asked[-1] + 1]
        if expect not in reply.text:
            return None
        if not shown_at:
            shown_at.append(time.perf_counter() - sent)
        return reply if idle(d) else None

    try:
        message: WebElement = waiting(browser, ANSWER_TIMEOUT_S, 0.05).until(answered)
    except TimeoutException:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "browser-no-answer.png"))
        shown = [
            m.text for m in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stChatMessage"]')
        ]
        raise AssertionError(
            f"no answer with {expect!r} to {question!r}; messages: {shown}"
        ) from None
    return message, shown_at[0]
