"""The reporter's phone at 360 px (issue 9, items 4 and 8): Quick exit always
in reach and leaving no way Back, tap targets of at least 44 px, no word
broken mid-letter in any language, headings inside their boxes."""
import pytest

from config import Config
from tests.fixtures.browser import allow_external

PUBLIC_PAGES = ["/", "/report", "/followup", "/pulse", "/transparency"]
EXIT = "https://www.wikipedia.org/"

# Every word (split at spaces, hyphens and slashes, where a line may break)
# whose letters are laid out on more than one line.
BROKEN_WORDS_JS = r"""
() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest('script,style,.visually-hidden,option,select,textarea')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const re = /[^\s\-\u2010\u2011\/]+/gu;
    let m;
    while ((m = re.exec(node.data))) {
      if (m[0].length < 2) continue;
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0);
      if (rects.length < 2) continue;
      const lineHeight = Math.min(...rects.map(r => r.height));
      const tops = rects.map(r => r.top);
      if (Math.max(...tops) - Math.min(...tops) > lineHeight / 2) broken.push(m[0]);
    }
  }
  return broken;
}
"""

# Headings, legends and labels whose box crosses out of their container.
OVERFLOWING_HEADINGS_JS = r"""
() => {
  const out = [];
  for (const el of document.querySelectorAll('h1,h2,h3,legend,label,.badge')) {
    const parent = el.parentElement;
    if (!parent || !el.getClientRects().length) continue;
    const box = el.getBoundingClientRect(), outer = parent.getBoundingClientRect();
    if (box.left < outer.left - 1 || box.right > outer.right + 1 || el.scrollWidth > el.clientWidth + 1)
      out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 40));
  }
  return out;
}
"""


def test_quick_exit_stays_on_screen_and_is_big_enough_on_every_public_page(live_server, phone_nojs):
    """No JavaScript needed: the header is sticky."""
    page = phone_nojs
    for path in PUBLIC_PAGES:
        page.goto(live_server.url(path + "?lang=ar"))
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(50)
        assert page.evaluate("window.scrollY") > 0 or path == "/pulse/thanks", f"{path} does not scroll"
        box = page.locator("#quick-exit").bounding_box()
        assert box is not None, path
        assert box["width"] >= 44 and box["height"] >= 44, (path, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740, f"Quick exit scrolled away on {path}: {box}"
        # It is the element the phone would tap there (not covered by anything).
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('#quick-exit') !== null",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit, f"Quick exit is covered on {path}"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_navigation_and_language_links_are_44px_tap_targets(live_server, new_phone, lang):
    page = new_phone(javascript=False)
    page.goto(live_server.url(f"/report?lang={lang}"))
    small = []
    for selector in ("#quick-exit", ".nav a", ".langs a", ".langs strong"):
        loc = page.locator(selector)
        assert loc.count() > 0, selector
        for i in range(loc.count()):
            box = loc.nth(i).bounding_box()
            if box["height"] < 44 or box["width"] < 44:
                small.append((selector, loc.nth(i).inner_text(), box))
    assert small == []


def test_every_language_says_how_to_leave_no_trace(live_server, phone_nojs):
    """One short line on private browsing and clearing history, in each language."""
    texts = set()
    for lang in Config.LANGUAGES:
        phone_nojs.goto(live_server.url(f"/report?lang={lang}"))
        tip = phone_nojs.locator(".safety-tip")
        assert tip.count() == 1, lang
        texts.add(tip.inner_text().strip())
    assert len(texts) == len(Config.LANGUAGES), "the line is not translated"


def test_back_after_quick_exit_brings_neither_the_form_nor_the_followup_back(live_server, phone):
    allow_external(phone, "wikipedia.org")
    phone.goto(live_server.url("/?lang=en"))
    with phone.expect_navigation():
        phone.locator(".nav a[href*='/report']").click()
    with phone.expect_navigation():
        phone.locator(".nav a[href*='/followup']").click()
    # The follow-up lookup is a form: a wrong code posts, and the page with
    # the error is a new history entry.
    phone.fill("#receipt", "1234 5678 9012 3456")
    with phone.expect_navigation():
        phone.locator("form.followup-form button[type=submit]").click()
    # Drafts and queued reports of the form (issue 9, item 3) live here:
    phone.evaluate("""() => { sessionStorage.setItem('tracker:draft', 'x'); localStorage.setItem('tracker:queue', 'y');
                             localStorage.setItem('other-site', 'z'); indexedDB.open('tracker'); }""")
    phone.wait_for_timeout(100)
    with phone.expect_navigation(url=EXIT):
        phone.locator("#quick-exit").click()
    phone.wait_for_load_state()
    assert phone.url == EXIT
    for _ in range(3):
        phone.go_back()
        phone.wait_for_timeout(300)
        url = phone.url
        assert "/report" not in url and "/followup" not in url, f"Back brought {url} back"
        assert "receipt" not in phone.content()
    # What the site kept in the browser is gone; other keys are left alone.
    # The one thing left is the tab's mark that Quick exit was used (its
    # destination, nothing of the report), which sends a page of the site
    # that Forward brings back away again (test_quick_exit_history.py).
    phone.goto(live_server.url("/healthz"))
    left = phone.evaluate("""async () => ({
        session: Object.entries(sessionStorage), draft: localStorage.getItem('tracker:queue'),
        other: localStorage.getItem('other-site'),
        dbs: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : []})""")
    assert left == {"session": [["tracker:left", EXIT]], "draft": None, "other": "z", "dbs": []}, left


@pytest.mark.parametrize("lang", list(Config.LANGUAGES))
def test_no_word_broken_mid_letter_and_headings_stay_in_their_boxes(live_server, new_phone, lang):
    page = new_phone(javascript=False, locale=lang)
    for path in PUBLIC_PAGES:
        page.goto(live_server.url(f"{path}?lang={lang}"))
        assert page.evaluate(BROKEN_WORDS_JS) == [], f"{path} ({lang}) breaks words mid-letter"
        assert page.evaluate(OVERFLOWING_HEADINGS_JS) == [], f"{path} ({lang}) has text out of its box"


def _next(page, send=False):
    """The "Next" (or, on the review, "Send") button of the step on screen;
    each step is a POST without JavaScript, a switch in the page with it."""
    step = page.locator(".step:not([hidden])")
    button = step.locator("button[name=nav][value=send]") if send else step.locator("button[name=nav][value=next]")
    if send or not page.evaluate("!!window.trackerReport"):
        with page.expect_navigation():
            button.click()
    else:
        button.click()


def _file_a_report(page, live_server):
    page.goto(live_server.url("/report?lang=en"))
    page.check("input[name=categories][value=threats]")
    _next(page)
    page.fill("#occurred_on", "2025-01-15")
    _next(page)
    page.select_option("#region", page.locator("#region option:not([value=''])").first.get_attribute("value"))
    for _ in range(3):
        _next(page)
    _next(page, send=True)
    return page.locator("#receipt").inner_text().strip()


def test_receipt_can_be_copied_and_is_confirmed_before_leaving(live_server, new_phone):
    page = new_phone(permissions=["clipboard-read", "clipboard-write"])
    receipt = _file_a_report(page, live_server)
    page.locator("#copy-receipt").click()
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == receipt
    # "Done" does nothing until the reporter says the code is written down.
    page.locator("#written-down button[type=submit]").click()
    page.wait_for_timeout(300)
    assert page.url.endswith("/report/receipt")
    page.check("#written")
    with page.expect_navigation():
        page.locator("#written-down button[type=submit]").click()
    assert "/report" not in page.url


def test_receipt_without_javascript_is_selectable_text_and_the_step_holds(live_server, phone_nojs):
    page = phone_nojs
    _file_a_report(page, live_server)
    assert page.locator("#copy-receipt").is_hidden()
    assert page.locator("#receipt").evaluate("el => getComputedStyle(el).userSelect") == "all"
    page.locator("#written-down button[type=submit]").click()
    page.wait_for_timeout(300)
    assert page.url.endswith("/report/receipt")
