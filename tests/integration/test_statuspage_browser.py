"""The status page in a real browser: Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from .conftest import FLAGS, cli_json, running

pytestmark = pytest.mark.integration


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'forewarn.db'}"


async def test_a_booked_window_appears_goes_live_and_completes_without_a_reload(
    chromium, env, js, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("FOREWARN_STATUS_PORT", "0")
    monkeypatch.setenv("FOREWARN_REMINDERS", "")
    async with running("scheduler", "impact", "statuspage") as stack, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=FLAGS)
        # A reader whose browser says en-US, whose clock would be 12-hour if left to itself.
        page = await browser.new_page(
            timezone_id="Europe/Oslo", locale="en-US", viewport={"width": 1100, "height": 900}
        )
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(stack.running["statuspage"].address + "/")
        await expect(page.locator("h1")).to_have_text("All Systems Operational")
        await expect(page.locator("[data-live-state]")).to_have_text(" (live)")
        # A mark in this document: it would vanish on a reload.
        await page.evaluate("window.__sameDocument = true")

        booked = await cli_json(
            "book", "--title", "GPU swap in rack A2", "--impact", "outage", "--start", "+4s",
            "--duration", "4s", "--hosts", "sto1-gpu-a2-[01-02]",
        )  # fmt: skip
        card = page.locator(f"article:has(a[href='/windows/{booked['id']}'])")
        await expect(card).to_contain_text("Scheduled", timeout=5000)
        # Shown in the viewer's zone (Oslo), not in UTC.
        shown = await card.locator("time").first.inner_text()
        assert "UTC" not in shown
        assert re.search(r"\b\d{2}:\d{2}\b", shown) and not re.search(r"\b(AM|PM)\b", shown), shown

        await expect(card).to_contain_text("In progress", timeout=10000)
        await expect(page.locator("h1")).to_have_text("Service Under Maintenance")
        await expect(page.locator(".components li", has_text="STO1 GPU")).to_contain_text("Under maintenance")
        await page.screenshot(path=tmp_path / "in-progress.png", full_page=True)

        await expect(card).to_contain_text("Completed", timeout=15000)
        await expect(page.locator("h1")).to_have_text("All Systems Operational")
        assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        await page.screenshot(path=tmp_path / "completed.png", full_page=True)
        await browser.close()
    assert (tmp_path / "completed.png").stat().st_size > 10_000
    assert not problems, problems
