"""#13 item 6 in Chromium: every page is served under the Content Security
Policy and runs under it without a single violation, as each kind of user."""

import pytest
from playwright.sync_api import expect

from tests.e2e.steps import join_by_number, log_in, log_in_and_start, open_transfer_dialog
from webapp.extensions import db
from webapp.services import queues
from webapp.services.users import create_user

# Chromium reports each violation as an event on the document; the page's own
# scripts cannot hide it, and Playwright's init script is exempt from the CSP.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`);
});
"""


class Watched:
    """A page whose every document response and CSP violation is kept."""

    def __init__(self, page):
        self.page = page
        self.documents = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on(
            "response",
            lambda response: (
                response.request.resource_type == "document" and self.documents.append(response)
            ),
        )
        self.console = []
        page.on("console", lambda message: self.console.append(message.text))

    def violations(self) -> list[str]:
        found = self.page.evaluate("window.cspViolations || []")
        return found + [line for line in self.console if "Content Security Policy" in line]


@pytest.fixture
def site(live_server):
    with live_server.app_context():
        create_user("rut@example.com", "Rut Rep", "agent", "password123")
        create_user("agnes@example.com", "Agnes Agent", "agent", "password123")
        create_user("ada@example.com", "Ada Admin", "admin", "password123")
        queues.create_queue("Första linjen", ["agnes@example.com"])
        db.session.remove()
    return live_server


@pytest.mark.e2e
def test_every_page_runs_under_the_policy_without_a_violation(site, new_page):
    base = site.base_url
    watched = []

    def watch(page):
        watched.append(Watched(page))
        return page

    visitor = watch(new_page())
    for path in ("/", "/join/", "/request", "/login", "/join/left"):
        visitor.goto(base + path)
        expect(visitor.locator("main")).to_be_visible()

    rep = watch(new_page())
    number = log_in_and_start(rep, base)
    kim = watch(new_page(width=390, height=844))
    join_by_number(kim, base, number, "Kim Kund")
    rep.get_by_role("tab", name="Verktyg").click()
    rep.get_by_role("button", name="Bjud in").first.click()
    expect(rep.get_by_role("dialog")).to_be_visible()
    rep.keyboard.press("Escape")
    expect(open_transfer_dialog(rep)).to_be_visible()
    rep.keyboard.press("Escape")
    rep.get_by_role("button", name="Skrivbordsdelning").click()
    expect(rep.locator("#activities")).to_contain_text("Skrivbordsdelning")
    kim.get_by_label("Meddelande").fill("Hej")
    kim.get_by_role("button", name="Skicka", exact=True).click()
    expect(rep.locator("#chat-log")).to_contain_text("Hej")
    multi = watch(new_page())
    log_in(multi, base, "rut@example.com")
    multi.goto(base + "/support/multi/")
    expect(multi.locator("main")).to_be_visible()

    agnes = watch(new_page())
    log_in(agnes, base, "agnes@example.com")
    agnes.goto(base + "/incoming")
    expect(agnes.locator("[data-connection]")).to_have_attribute("data-connection", "open")
    ada = watch(new_page())
    log_in(ada, base, "ada@example.com")
    for path in ("/admin/settings", "/admin/queues/"):
        ada.goto(base + path)
        expect(ada.locator("main")).to_be_visible()

    documents = [response for page in watched for response in page.documents]
    assert len(documents) >= 14
    for response in documents:
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, response.url
        assert "frame-ancestors 'self'" in policy, response.url
        assert response.headers.get("referrer-policy") == "no-referrer", response.url
        assert response.headers.get("x-content-type-options") == "nosniff", response.url
    assert {page.page.url: page.violations() for page in watched if page.violations()} == {}
