"""The HTML book, built for real: every chapter, link and image resolves inside the site, and the
pages render in a browser. Needs requirements-book.txt (mdbook); the screenshot test needs Chromium.
Each skips with one line where its tool is missing."""
import shutil

import pytest
from PIL import Image

from conftest import SLUGS, catalog
import catalog.book as book  # noqa: E402

needs_mdbook = pytest.mark.skipif(shutil.which("mdbook") is None,
                                  reason="mdbook not installed (pip install -r requirements-book.txt)")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return book.build_site(tmp_path_factory.mktemp("book"))


@needs_mdbook
def test_built_book_links_and_images_resolve(site):
    problems = book.check_site(site)
    assert not problems, f"{len(problems)} problem(s) in the built book:\n  " + "\n  ".join(problems[:30])
    for slug in SLUGS:
        page = (site / slug / "index.html").read_text()
        assert f"{catalog.module_name(slug)}.gif" in page, f"{slug}'s chapter does not show its GIF"
    assert not list(site.rglob("*.py")), "the site carries code files; it should link them"


@needs_mdbook
def test_check_site_catches_a_broken_link(site, tmp_path):
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    index = copy / "index.html"
    index.write_text(index.read_text().replace(f'href="{SLUGS[0]}/index.html"', f'href="{SLUGS[0]}/README.html"', 1))
    (copy / SLUGS[-1] / catalog.module_name(SLUGS[-1])).with_suffix(".gif").unlink()
    problems = "\n".join(book.check_site(copy))
    assert f"{SLUGS[0]}/README.html does not resolve" in problems and "missing from the site" in problems


@needs_mdbook
@pytest.mark.skipif(book.browser() is None, reason="no Chromium on PATH: screenshots of the book not taken")
def test_book_pages_render_in_a_browser(site, tmp_path):
    for page in ("index.html", "RESULTS.html", f"{SLUGS[0]}/index.html"):
        png = book.screenshot(site / page, tmp_path / (page.replace("/", "_") + ".png"))
        with Image.open(png) as im:
            colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, f"{page} renders as a blank page"
