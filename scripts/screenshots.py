"""Launch the app on a scratch run store, train two short runs from the UI, explore negatives, evaluate, upload a
file and run a pipeline, and save a screenshot of every tab and view to assets/screenshots/. Also prints the
timings the README quotes (first page, Start → first loss point, the negative explorer, an evaluation).

    .venv/bin/python scripts/screenshots.py [--out assets/screenshots] [--port 7870]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SAMPLE_PAIRS = [  # (sentence A, sentence B, similarity 0–5) for the upload screenshot
    ("A man is playing a guitar.", "A man plays the guitar.", 4.8),
    ("A woman is slicing an onion.", "Someone is cutting vegetables.", 3.6),
    ("A dog runs in the park.", "A cat sleeps on the sofa.", 0.4),
    ("Two kids are playing football.", "Children play soccer outside.", 4.2),
    ("The stock market fell today.", "A chef is cooking pasta.", 0.0),
    ("A plane is taking off.", "An airplane departs from the runway.", 4.6),
]


def wait_for(url: str, timeout_s: float = 60.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def pick(page, elem_id: str, option: str) -> None:
    """Choose `option` (visible text, substring) in a gradio Dropdown."""
    page.locator(f"#{elem_id} input").first.click()
    page.get_by_role("option").filter(has_text=option).first.click()


def open_page(playwright, url: str):
    """Headless Chromium on the app: (browser, a 1400 × 1000 page at `url`)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    return browser, page


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "assets" / "screenshots"))
    ap.add_argument("--port", type=int, default=7870)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = tempfile.mkdtemp(prefix="lab-shots-runs-")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "LAB_RUNS_DIR": runs,
           "GRADIO_SERVER_PORT": str(args.port)}
    url = f"http://127.0.0.1:{args.port}/"
    t_launch = time.perf_counter()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for(url)
        print(f"first page: {time.perf_counter() - t_launch:.1f} s after launch")
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as p:
            browser, page = open_page(p, url)
            expect(page.locator("#start")).to_be_visible(timeout=30_000)
            expect(page.locator("#warmup")).to_contain_text("sentence-transformers ready", timeout=90_000)

            # Run 1: the default settings (MiniLM + MNRL), smaller so the script is quick.
            page.locator("#start").click()
            t0 = time.perf_counter()
            page.wait_for_function(
                "() => /step [1-9]/.test(document.querySelector('#status')?.innerText || '')", timeout=180_000,
                polling=100)
            expect(page.locator("#loss-plot .mark-line path").first).to_be_attached(timeout=30_000)
            print(f"Start → first loss point: {time.perf_counter() - t0:.1f} s (default MiniLM run)")
            page.wait_for_timeout(6000)
            page.screenshot(path=str(out / "train-running.png"), full_page=True)
            expect(page.locator("#status")).to_contain_text("Done", timeout=600_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "train-done.png"), full_page=True)

            # Run 2: the tiny-bert preset, for something to compare.
            pick(page, "preset", "Training helps")
            page.wait_for_timeout(1500)
            page.locator("#start").click()
            expect(page.locator("#status")).not_to_contain_text("Done", timeout=30_000)
            expect(page.locator("#status")).to_contain_text("Done", timeout=600_000)
            # its teaching views (a from-scratch MNRL run shows them best)
            expect(page.locator("#view-map .js-plotly-plot")).to_be_visible(timeout=60_000)
            page.wait_for_timeout(2000)
            for name in ("batch", "geometry", "probes", "map"):
                page.locator(f"#view-{name}").screenshot(path=str(out / f"views-{name}.png"))

            page.get_by_role("tab", name="Compare").click()
            expect(page.locator("#runs-table")).to_contain_text("tiny-bert", timeout=30_000)
            expect(page.locator("#runs-table")).not_to_contain_text("running", timeout=30_000)
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out / "compare.png"), full_page=True)
            # a loss duel from run A (the tiny-bert run): MNRL vs Softmax
            page.locator("#duel-box").get_by_text("Loss duel").first.click()
            page.locator("#duel-losses .token").filter(has_text="cosine").locator(".token-remove").click()
            pick(page, "duel-losses", "softmax")
            page.keyboard.press("Escape")
            page.locator("#duel-start").click()
            expect(page.locator("#duel-text")).to_contain_text("placed right by both", timeout=900_000)
            page.wait_for_timeout(2000)
            page.locator("#duel-box").screenshot(path=str(out / "duel.png"))

            page.get_by_role("tab", name="Explore").click()
            page.wait_for_timeout(1500)
            pick(page, "explore-pick", "all-MiniLM-L6-v2 · nli-triplets")
            page.locator("#project").click()
            expect(page.locator("#umap-after .main-svg").first).to_be_visible(timeout=240_000)
            page.locator("#nn-search").click()
            expect(page.locator("#nn-after")).to_contain_text("guitar", timeout=120_000)
            page.locator("#sim-go").click()
            expect(page.locator("#sim-result")).to_contain_text("after", timeout=120_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "explore.png"), full_page=True)

            page.get_by_role("tab", name="Learn").click()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out / "learn.png"), full_page=True)

            # The negative explorer: random vs mined negatives of 300 NLI anchors (the miner is MiniLM).
            page.get_by_role("tab", name="Hard negatives").click()
            page.locator("#neg-go").click()
            t0 = time.perf_counter()
            expect(page.locator("#neg-hist .main-svg").first).to_be_visible(timeout=240_000)
            expect(page.locator("#neg-table")).to_contain_text("mined", timeout=60_000)
            print(f"negative explorer (300 anchors): {time.perf_counter() - t0:.1f} s")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "negatives.png"), full_page=True)

            # Evaluate: the trained MiniLM run beside its base model, STS-B validation + Banking77 (quick).
            page.get_by_role("tab", name="Evaluate").click()
            page.wait_for_timeout(1500)
            pick(page, "eval-runs", "all-MiniLM-L6-v2 · nli-triplets")
            page.keyboard.press("Escape")
            page.locator("#eval-start").click()
            t0 = time.perf_counter()
            expect(page.locator("#eval-status")).to_contain_text("Done", timeout=900_000)
            print(f"evaluation (2 models × STS-B validation + Banking77 quick): {time.perf_counter() - t0:.1f} s")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "evaluate.png"), full_page=True)

            # Your own data: upload a CSV of scored pairs, map its columns, use it.
            page.get_by_role("tab", name="Train").click()
            sample = Path(runs) / "my-pairs.csv"
            sample.write_text("sentence_a,sentence_b,similarity\n" + "".join(
                f"{a},{b},{score}\n" for a, b, score in SAMPLE_PAIRS * 4), encoding="utf-8")
            page.get_by_text("Your own data").first.click()
            page.locator("#upload-file input[type=file]").set_input_files(str(sample))
            expect(page.locator("#upload-status")).to_contain_text("rows", timeout=30_000)
            pick(page, "upload-format", "pair-score")
            expect(page.locator("#upload-preview")).to_contain_text("A man is playing a guitar.", timeout=30_000)
            page.locator("#upload-use").click()
            expect(page.locator("#upload-status")).to_contain_text("Using", timeout=30_000)
            page.wait_for_timeout(2000)
            page.locator("#upload-section").screenshot(path=str(out / "upload.png"))

            # A pipeline: Augmented SBERT on tiny-bert, small; the stage list follows it.
            pick(page, "preset", "Training helps")
            page.wait_for_timeout(1500)
            pick(page, "form-recipe", "augsbert")
            page.wait_for_timeout(1500)
            page.locator("#start").click()
            expect(page.locator("#stages")).to_contain_text("Train the bi-encoder on gold + silver — step",
                                                            timeout=300_000)
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out / "pipeline-running.png"), full_page=True)
            expect(page.locator("#status")).to_contain_text("Done", timeout=600_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(out / "pipeline-done.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    zerogpu_shot(out, args.port + 1)
    print(f"screenshots in {out}")
    return 0


def zerogpu_shot(out: Path, port: int) -> None:
    """The Train tab in ZeroGPU mode (LAB_ZEROGPU=simulate: each run one call forked into a child) after a run."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "LAB_ZEROGPU": "simulate",
           "LAB_RUNS_DIR": tempfile.mkdtemp(prefix="lab-shots-zerogpu-"), "GRADIO_SERVER_PORT": str(port)}
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for(url)
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as p:
            browser, page = open_page(p, url)
            expect(page.locator("#start")).to_be_enabled(timeout=30_000)
            pick(page, "form-model", "tiny-bert")
            for key, value in (("max_train_samples", "160"), ("eval_steps", "2"), ("eval_max_pairs", "40"),
                               ("logging_steps", "1")):
                box = page.locator(f"#form-{key} input").first
                box.fill(value)
                box.press("Tab")
            expect(page.locator("#estimate")).to_contain_text("asks for", timeout=30_000)
            page.locator("#start").click()
            expect(page.locator("#status")).to_contain_text("Done", timeout=300_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(out / "zerogpu.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
