"""The preference page in a real browser, reached from a real email, on a phone.

An email goes out through the dispatcher to a real SMTP server; headless Chromium
opens the "Email preferences" link of that email on the live server, the customer
turns two kinds of email off and saves, and the stored preferences and consent log
show exactly that change. A screenshot of the page is kept in ``artifacts/``.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any, Iterator, List, Optional, Tuple

import pytest

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.preferences.categories import choosable
from saleor_ecrm_plugin.preferences.models import ConsentAction, ConsentEvent
from saleor_ecrm_plugin.preferences.service import get_preferences
from tests.browser import chromium, emulate_phone, save_screenshot
from tests.configuration import configure_plugin
from tests.programs import plan_pings

TURNED_OFF = ("reviews", "back_in_stock")
#: the newsletter reads subscribed only once the address confirmed a subscription
NOT_SUBSCRIBED = ("newsletter",)
WAIT_SECONDS = 15


class _Links(HTMLParser):
    """Every ``<a href>`` of an HTML body, with its text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: List[Tuple[str, str]] = []
        self._href: Optional[str] = None
        self._text: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._text).split()), self._href))
            self._href = None


def link_named(html: str, text: str) -> str:
    parser = _Links()
    parser.feed(html)
    hrefs = [href for label, href in parser.links if label == text]
    assert len(hrefs) == 1, f"expected one {text!r} link, found {parser.links}"
    return hrefs[0]


@pytest.fixture
def browser(tmp_path) -> Iterator[Any]:
    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def test_customer_changes_two_categories_from_the_email_link(
    browser, live_server, shop, smtp_server
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    configure_plugin(public_url=live_server.url)
    # a long address: it must wrap on a phone, not widen the page
    [address] = plan_pings(1, prefix="a.rather.long.address.of.a.customer.on.a.phone")
    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    link = link_named(received.html, "Email preferences")
    assert link.startswith(f"{live_server.url}/ecrm/preferences/")
    assert f"Your email preferences: {link}" in received.text

    emulate_phone(browser)
    browser.get(link)
    assert browser.title == "Email preferences · Test Shop"
    assert browser.find_elements(By.TAG_NAME, "script") == []  # works without JS
    page = browser.find_element(By.TAG_NAME, "main").text
    assert address in page
    for category in choosable():
        assert str(category.label) in page  # a lazy translation
        checkbox = browser.find_element(By.ID, f"category_{category.slug}")
        assert checkbox.is_selected() == (category.slug not in NOT_SUBSCRIBED)

    # readable on a phone: the viewport meta tag is honoured, nothing scrolls sideways,
    # body text is full size and the button is a comfortable tap target
    width, scroll_width, font_size, button_height = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " getComputedStyle(document.body).fontSize,"
        " document.getElementById('save').getBoundingClientRect().height]"
    )
    assert width == 390
    assert scroll_width <= width
    assert float(font_size.rstrip("px")) >= 16
    assert button_height >= 44

    for slug in TURNED_OFF:
        browser.find_element(By.ID, f"category_{slug}").click()
    browser.find_element(By.ID, "save").click()
    saved = expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, "[role=status]")
    )
    notice = WebDriverWait(browser, WAIT_SECONDS).until(saved)
    assert notice.text == "Your preferences are saved."
    for category in choosable():
        checkbox = browser.find_element(By.ID, f"category_{category.slug}")
        assert checkbox.is_selected() == (
            category.slug not in TURNED_OFF + NOT_SUBSCRIBED
        )
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    save_screenshot(browser, "preference-page.png")

    preferences = get_preferences(address)
    assert preferences.categories == {
        category.slug: category.slug not in TURNED_OFF + NOT_SUBSCRIBED
        for category in choosable()
    }
    assert preferences.marketing_opt_out is False
    events = ConsentEvent.objects.filter(contact__email=address)
    # saving the unticked newsletter box opts the address out of that category
    assert sorted(events.values_list("action", "scope", "source")) == [
        (ConsentAction.WITHDRAWN, "back_in_stock", "preference_page"),
        (ConsentAction.WITHDRAWN, "newsletter", "preference_page"),
        (ConsentAction.WITHDRAWN, "reviews", "preference_page"),
    ]
