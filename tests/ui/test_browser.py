"""The app in headless Chromium: train tiny-bert from the UI, watch the charts, reload mid-run and re-attach,
then open Compare and Explore on the finished run."""

from __future__ import annotations

import pytest
from browsing import fill as _fill
from browsing import open_train_tab, set_form
from browsing import pick as _pick

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_train_reload_compare_explore(url, browser):
    from playwright.sync_api import expect

    page = open_train_tab(browser, url)
    set_form(page, max_train_samples="1024", eval_steps="16", eval_max_pairs="50")
    expect(page.locator("#estimate")).to_contain_text("64 steps", timeout=15_000)
    page.locator("#start").click()

    # The loss chart gets points while the run is live.
    expect(page.locator("#status")).to_contain_text("Training", timeout=120_000)
    page.wait_for_function("() => /step [1-9]/.test(document.querySelector('#status').innerText)", timeout=60_000)
    expect(page.locator("#loss-plot .mark-line path").first).to_be_attached(timeout=30_000)
    # New points reach the page with the change-key GET itself: the status and the chart move, no gradio request.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url + " " + (r.post_data or "")[:300]))
    status = page.locator("#status").inner_text()
    page.wait_for_function("s => document.querySelector('#status').innerText !== s", arg=status, timeout=60_000)
    assert "Training" in page.locator("#status").inner_text()  # still the same stage: only progress changed
    keys = [u for u in requests if "/lab/api/change-key/" in u and "progress=" in u]
    assert keys, requests
    run_id = keys[0].split("/lab/api/change-key/")[1].split("?")[0]
    # (the warm-up line may poll; the teaching views call once per evaluation, when view data arrives: its key is
    # "<run>:<count>:<status>", not the run view's "<run>:<layout>|<run>:<version>")
    run_view_calls = [u for u in requests if "/gradio_api/" in u and run_id in u
                      and f'"{run_id}:' in u and "|" in u.split('"event_data":')[-1].split(",")[0]]
    assert not run_view_calls, requests

    # Reload mid-run: the job id comes back from BrowserState and the view re-attaches.
    page.reload()
    expect(page.locator("#status")).to_contain_text("step", timeout=30_000)
    expect(page.locator("#loss-plot .mark-line path").first).to_be_attached(timeout=30_000)
    expect(page.locator("#cancel")).to_be_enabled()

    # The run finishes; the STS-B table and the data source appear.
    expect(page.locator("#status")).to_contain_text("Done", timeout=300_000)
    expect(page.locator("#sts-table")).to_contain_text("cosine", timeout=10_000)
    expect(page.locator("#sts-table")).to_contain_text("manhattan")
    expect(page.locator("#source")).to_contain_text("bundled offline copy")
    expect(page.locator("#eval-plot .mark-line path").first).to_be_attached()

    # Compare: the run is in the table, and its curves are overlaid.
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#runs-table")).to_contain_text("tiny-bert", timeout=30_000)
    expect(page.locator("#compare-loss .mark-line path").first).to_be_attached(timeout=30_000)

    # Explore: project the finished run's base and trained embeddings (PCA keeps the test quick).
    page.get_by_role("tab", name="Explore").click()
    page.wait_for_timeout(1000)
    _pick(page, "explore-pick", "tiny-bert · nli-triplets")
    page.get_by_label("PCA").check()
    page.locator("#project").click()
    expect(page.locator("#umap-before .main-svg").first).to_be_visible(timeout=120_000)
    expect(page.locator("#umap-after .main-svg").first).to_be_visible(timeout=60_000)
    page.locator("#sim-go").click()
    expect(page.locator("#sim-result")).to_contain_text("after", timeout=60_000)
    page.close()


def test_upload_train_pipeline_stages_and_evaluate_tab(url, browser, tmp_path):
    """Your own data: upload a CSV, map it, train tiny-bert on it; then a pipeline's stage list; then Evaluate."""
    from playwright.sync_api import expect

    csv = tmp_path / "my pairs.csv"
    csv.write_text("question,answer\n" + "".join(f"what is thing {i}?,thing {i} is an item\n" for i in range(24)))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    expect(page.locator("#start")).to_be_visible(timeout=30_000)
    _pick(page, "form-model", "tiny-bert")

    # 1. Upload → the roles are guessed → preview → use it: the recipe becomes upload-pair.
    page.get_by_text("Your own data").first.click()
    page.locator("#upload-file input[type=file]").set_input_files(str(csv))
    expect(page.locator("#upload-status")).to_contain_text("24 rows", timeout=30_000)
    expect(page.locator("#upload-preview")).to_contain_text("what is thing 0?")
    page.locator("#upload-use").click()
    expect(page.locator("#upload-status")).to_contain_text("Using my pairs.csv", timeout=30_000)
    expect(page.locator("#form-recipe input")).to_have_value("upload-pair: your file my pairs.csv", timeout=10_000)
    expect(page.locator("#estimate")).to_contain_text("steps", timeout=30_000)
    page.locator("#start").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=180_000)
    expect(page.locator("#source")).to_contain_text("Your upload: my pairs.csv")

    # 2. A pipeline: its stages are listed, the current one highlighted, the comparison appears at the end.
    _pick(page, "form-recipe", "augsbert")
    _fill(page, "max_train_samples", "64")
    _fill(page, "batch_size", "4")  # several logged steps in every training stage
    _fill(page, "logging_steps", "1")
    _fill(page, "eval_max_pairs", "20")
    page.wait_for_timeout(1000)
    page.locator("#start").click()
    expect(page.locator("#stages")).to_contain_text("Train a cross-encoder", timeout=60_000)
    expect(page.locator("#stages strong").first).to_be_visible()
    # the loss chart's legend names every stage the pipeline will train, from its first frame on
    expect(page.locator("#loss-plot")).to_contain_text("gold-only", timeout=60_000)
    expect(page.locator("#status")).to_contain_text("Done", timeout=300_000)
    expect(page.locator("#stages")).not_to_contain_text("○")
    expect(page.locator("#run-table-1")).to_contain_text("gold only", timeout=10_000)
    expect(page.locator("#run-table-0-plot .vega-embed").first).to_be_attached()
    # every stage's loss curve is drawn, in its own colour
    for stage in ("cross-encoder", "gold+silver", "gold-only"):
        expect(page.locator("#loss-plot")).to_contain_text(stage, timeout=10_000)
    expect(page.locator("#eval-plot")).to_contain_text("gold+silver")
    expect(page.locator("#eval-plot")).to_contain_text("gold-only")
    colours = page.locator("#loss-plot path[aria-roledescription='line mark']").evaluate_all(
        "els => els.map(e => e.getAttribute('stroke'))")
    assert len(set(colours)) == 3, colours

    # 3. The Evaluate tab lists the finished runs to pick.
    page.get_by_role("tab", name="Evaluate").click()
    expect(page.locator("#eval-start")).to_be_visible(timeout=10_000)
    page.locator("#eval-runs input").first.click()
    expect(page.get_by_role("option").filter(has_text="augsbert").first).to_be_visible(timeout=10_000)
    page.close()


def test_an_unchanged_job_costs_the_server_one_small_get_per_second(url, browser):
    """While a job does not change (here: it waits behind another), a tab's timer asks only the plain change-key
    route; the gradio poll runs again when the key changes (the job starts and finishes)."""
    from playwright.sync_api import expect

    from lab import service
    from lab.config import RunConfig

    blocker = service.start(RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=50_000,
                                      batch_size=16, eval_steps=0, eval_max_pairs=20), owner=service.new_owner())
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url + " " + (r.post_data or "")[:200]))
        page.goto(url)
        expect(page.locator("#start")).to_be_visible(timeout=30_000)
        _pick(page, "form-model", "tiny-bert")
        _fill(page, "max_train_samples", "32")
        _fill(page, "eval_max_pairs", "20")
        page.locator("#start").click()
        expect(page.locator("#status")).to_contain_text("Queued", timeout=30_000)
        # the libraries' warm-up line has its own key: let it finish changing
        expect(page.locator("#warmup")).not_to_contain_text("loading", timeout=180_000)
        expect(page.locator("#warmup")).not_to_contain_text("waiting")
        page.wait_for_timeout(3000)  # the queued job's first keys (layout, then progress) fetched and rendered
        requests.clear()
        page.wait_for_timeout(5000)
        keys = [u for u in requests if "/lab/api/change-key/" in u]
        gradio_calls = [u for u in requests if "/gradio_api/" in u]
        assert len(keys) >= 3, requests
        assert not gradio_calls, gradio_calls
        expect(page.locator("#status")).to_contain_text("Queued")
    finally:
        service.cancel(blocker, admin=True)
    expect(page.locator("#status")).to_contain_text("Done", timeout=180_000)  # the key changed: the view followed
    page.close()


def test_change_key_route(url):
    import httpx

    from lab import service

    for bad in ("x" * 300, "%00", "'or 1=1", "F" * 24, "abc.def"):
        r = httpx.get(f"{url.rstrip('/')}/lab/api/change-key/{bad}", timeout=10)
        assert r.status_code == 200 and r.json() == {"key": "none", "progress": "none"}, (bad, r.text)
    # a slash, even encoded, is not one path segment: no route, a plain 404 (the tab keeps its last key)
    assert httpx.get(f"{url.rstrip('/')}/lab/api/change-key/..%2F..%2Fetc", timeout=10).status_code == 404
    r = httpx.get(f"{url.rstrip('/')}/lab/api/change-key/{'f' * 24}", timeout=10)
    assert r.json() == dict(zip(("key", "progress"), service.change_keys("f" * 24), strict=True))
    assert r.json()["key"] == f"stored:{'f' * 24}"
    assert httpx.get(f"{url.rstrip('/')}/lab/api/change-key/warmup", timeout=10).json() == {
        "key": service.WARMUP.key()}
    assert r.headers["cache-control"] == "no-store"
    with_progress = httpx.get(f"{url.rstrip('/')}/lab/api/change-key/{'f' * 24}?progress=old", timeout=10).json()
    assert with_progress == r.json()  # a stored run is not live: no view, whatever the tab has
    # only GET is answered here; anything else reaches gradio's router, which has no such route
    assert httpx.post(f"{url.rstrip('/')}/lab/api/change-key/{'f' * 24}", timeout=10).status_code in (404, 405)
