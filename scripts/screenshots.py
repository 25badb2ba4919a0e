"""Screenshots of the main screens at phone and desktop widths, to look at before a release.

DESIGN.md asks to look at each screen as a screenshot before calling it done. Against a demo
server (`make demo`, or `manage.py load_demo` then `manage.py serve`):

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out screenshots/

It signs in as the demo présidente and writes one full-page PNG per screen and width, named
`<width>-<nn>-<screen>.png`, and warns about pages wider than the window (a horizontal
scroll bar on a phone). Uses Debian's Chromium: `playwright install` is not needed.
"""

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_EMAIL = "presidente@amis-du-quartier.example"
DEMO_PASSWORD = "essaim-demo-2026"  # the published demo password (README.md), not a secret


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="screenshots", type=Path)
    parser.add_argument("--email", default=DEMO_EMAIL)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument(
        "--widths", default="360,1280", help="comma-separated window widths in CSS pixels"
    )
    parser.add_argument("--lang", default="fr-FR", help="the browser's language")
    return parser.parse_args(argv)


class Shooter:
    def __init__(self, page, out: Path, width: int):
        self.page = page
        self.out = out
        self.width = width
        self.count = 0
        self.problems: list[str] = []

    def shoot(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.count += 1
        path = self.out / f"{self.width}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > self.width:
            self.problems.append(
                f"{path.name}: page is {scroll_width}px wide in a {self.width}px window"
            )
        sys.stdout.write(f"{path}  ({page.url})\n")

    def visit(self, name: str, url: str) -> None:
        response = self.page.goto(url)
        if response is not None and response.status >= 400 and name != "404":
            self.problems.append(f"{name}: HTTP {response.status} for {url}")
        self.shoot(name)


def shoot_width(browser, args, width: int) -> list[str]:
    context = browser.new_context(
        base_url=args.base_url.rstrip("/"),
        viewport={"width": width, "height": 800 if width < 700 else 900},
        device_scale_factor=1,
        locale=args.lang,
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    shots = Shooter(page, args.out, width)

    shots.visit("landing", "/")
    shots.visit("login", "/accounts/login/")
    page.fill("input[name=login]", args.email)
    page.fill("input[name=password]", args.password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    if "/accounts/" in page.url:
        sys.exit(f"could not sign in as {args.email}: now at {page.url}")
    shots.shoot("home")

    dashboard = page.locator("main a[href^='/a/']").first.get_attribute("href")
    if not dashboard:
        sys.exit(f"{args.email} is in no association: load the demo data first")
    space = dashboard.rstrip("/")
    shots.visit("dashboard", f"{space}/")
    shots.visit("contacts", f"{space}/people/")
    detail = page.locator("main table a[href*='/people/']").first.get_attribute("href")
    shots.visit("contact-detail", detail)
    page.goto(f"{space}/people/new/")
    page.fill("input[name=first_name]", "Émilie")
    page.fill("input[name=email]", "emilie@")
    page.fill("input[name=birth_date]", "2099-01-01")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector(".error-summary")
    shots.shoot("contact-form-errors")
    shots.visit("members", f"{space}/members/")
    member = page.locator("main table a[href*='/members/']").first.get_attribute("href")
    shots.visit("member-detail", member)
    shots.visit("members-unpaid", f"{space}/members/unpaid/")
    shots.visit("member-types", f"{space}/members/types/")
    shots.visit("member-settings", f"{space}/members/settings/")
    shots.visit("member-import", f"{space}/members/import/")
    shots.visit("member-letters", f"{space}/members/letters/")
    shots.visit("gifts", f"{space}/fundraising/")
    gift = page.locator("main table td.cell-title a").first.get_attribute("href")
    shots.visit("gift-detail", gift)
    shots.visit("gift-form", f"{space}/fundraising/new/")
    page.fill("input[name=donor_q]", "a")
    page.locator("main button[form=donor-search]").click()
    page.wait_for_url(re.compile(r"donor_q="))
    shots.shoot("gift-form-search")
    page.fill("input[name=amount_cents]", "12,345")
    page.locator("main form.gift-form .form-actions button").click()
    page.wait_for_selector(".error-summary")
    shots.shoot("gift-form-errors")
    shots.visit("receipts", f"{space}/fundraising/receipts/")
    receipt = page.locator("main table td.cell-title a").first.get_attribute("href")
    shots.visit("receipt-detail", receipt)
    shots.visit("receipts-annual", f"{space}/fundraising/receipts/annual/")
    shots.visit("receipt-settings", f"{space}/fundraising/receipts/settings/")
    shots.visit("online-payment", f"{space}/payments/")
    page.fill("input[name=stripe-secret_key]", "pk_test_pasted_in_the_wrong_box")
    page.locator("#service-stripe .button-primary").click()
    page.wait_for_selector(".error-summary")
    shots.shoot("online-payment-errors")
    shots.visit("donor-portal", "/account/receipts/")
    shots.visit("join-form", f"/m/{space.rsplit('/', 1)[-1]}/join/")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    shots.shoot("join-form-errors")
    shots.visit("team", f"{space}/team/")
    shots.visit("roles", f"{space}/roles/")
    shots.visit("activity-log", f"{space}/log/")
    shots.visit("account", "/account/")
    shots.visit("404", f"{space}/people/00000000-0000-0000-0000-000000000000/")
    context.close()
    return shots.problems


def main(argv=None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (int(w) for w in args.widths.split(",")):
                problems += shoot_width(browser, args, width)
        finally:
            browser.close()
    for problem in problems:
        sys.stderr.write(f"WARNING {problem}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
