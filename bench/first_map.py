"""The Explore tab's first UMAP: a fresh server (`python app.py`) started a minute earlier, a trained MiniLM run in
its store; headless Chromium picks the run and clicks "Project" (Banking77, 300 sentences, UMAP: the tab's
defaults); timed from the click until both maps (base and trained) are drawn. Then PCA, then UMAP again (the
first map once more). Each repeat starts a new server on the same store. Writes bench/results/first_map.{json,md}.
Goal (#15): the first map ≤ 5 s.

Usage: .venv/bin/python bench/first_map.py [--repeats 3] [--wait 60]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, save

sys.path.insert(0, str(ROOT / "tests"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _trained_run(runs: Path) -> None:
    """A finished MiniLM run (64 triplets) in `runs`, trained by the CLI before any server starts."""
    env = {**os.environ, "LAB_RUNS_DIR": str(runs), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "lab", "train", "--model", "all-MiniLM-L6-v2", "--max-train", "64",
                    "--eval-steps", "0"], cwd=ROOT, env=env, check=True, capture_output=True)


def _click_and_time(page, method: str) -> float:
    from playwright.sync_api import expect

    page.get_by_label(method).check()
    t0 = time.perf_counter()
    page.locator("#project").click()
    for plot in ("umap-before", "umap-after"):
        page.wait_for_function(
            """([id, method]) => { const el = document.querySelector('#' + id);
                 const title = el && el.querySelector('.gtitle');
                 return title && title.textContent.includes(method); }""",  # each click changes the method
            arg=[plot, method.upper()], timeout=180_000)
    took = time.perf_counter() - t0
    expect(page.locator("#umap-after .gtitle")).to_contain_text(method.upper())
    return took


def one_server(runs: Path, wait_s: float) -> dict:
    from browsing import pick
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "LAB_RUNS_DIR": str(runs), "HF_HUB_OFFLINE": "1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5_000)
                    break
                except Exception:  # noqa: BLE001 — not serving yet
                    time.sleep(0.5)
            page.get_by_role("tab", name="Explore").click()
            time.sleep(max(0.0, wait_s - (time.perf_counter() - started)))
            warmup = page.locator("#warmup").inner_text()
            pick(page, "explore-pick", "all-MiniLM-L6-v2 · nli-triplets")
            first = _click_and_time(page, "UMAP")
            pca = _click_and_time(page, "PCA")
            again = _click_and_time(page, "UMAP")  # the same map as the first: kept
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    return {"first_umap_s": first, "same_map_again_s": again, "pca_s": pca, "warmup_line": warmup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds from the server's start to the click")
    args = parser.parse_args()
    runs = Path(tempfile.mkdtemp(prefix="lab-bench-map-"))
    _trained_run(runs)
    results = []
    for rep in range(args.repeats):
        result = one_server(runs, args.wait)
        results.append(result)
        print(f"repeat {rep + 1}: first UMAP {result['first_umap_s']:.2f} s, again {result['same_map_again_s']:.2f} s, "
              f"PCA {result['pca_s']:.2f} s · {result['warmup_line']}", flush=True)
    median = {k: statistics.median(r[k] for r in results) for k in ("first_umap_s", "same_map_again_s", "pca_s")}
    summary = {"repeats": args.repeats, "wait_s": args.wait, "runs": results, "median": median,
               "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
    lines = [
        "# The Explore tab's first map, on a server started a minute earlier",
        "",
        f"`python bench/first_map.py --repeats {args.repeats} --wait {args.wait:.0f}`, {summary['date']}, "
        f"{os.cpu_count()} CPU cores. A trained MiniLM run in the store; Banking77, 300 sentences; from the click "
        "on Project until both maps (base, trained) are drawn in headless Chromium. Each repeat is a new server.",
        "",
        "| repeat | first UMAP | PCA | the first map again |",
        "|---:|---:|---:|---:|",
        *[f"| {i + 1} | {r['first_umap_s']:.2f} s | {r['pca_s']:.2f} s | {r['same_map_again_s']:.2f} s |"
          for i, r in enumerate(results)],
        f"| **median** | **{median['first_umap_s']:.2f} s** | {median['pca_s']:.2f} s | "
        f"{median['same_map_again_s']:.2f} s |",
        "",
        f"Goal: first UMAP ≤ 5 s. The header at the click: {results[-1]['warmup_line']}",
    ]
    save("first_map", summary, lines)


if __name__ == "__main__":
    main()
