"""The catalog as an mdBook: generate the sources, and check the built HTML site.

    python3 -m catalog.book            # sources into book/src/ (git-ignored)
    mdbook build                       # HTML into book/html/ (book.toml)
    python3 -m catalog.book --check    # every chapter, link and image of book/html resolves in the site

The book's pages are the top-level README (the book's index), RESULTS, VISUAL_TOUR and SPEC, and
one chapter per experiment (its README, GIF and viz/ PNGs), grouped by era. mdBook writes a
`README.md` page as `index.html`, so the sources name every such page `index.md` and every link
to one is rewritten to match. Source files are not copied into the site: each chapter links them
in the repository (--source-url, e.g. https://github.com/OWNER/REPO/blob/COMMIT) or names them.
"""
from __future__ import annotations

import argparse
import html.parser
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import catalog

PAGES = {"README.md": "index.md", "RESULTS.md": "RESULTS.md", "VISUAL_TOUR.md": "VISUAL_TOUR.md",
         "SPEC.md": "SPEC.md"}
MD_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")


def chapter(slug: str) -> str:
    return f"{slug}/index.md"


def summary() -> str:
    lines = ["# Summary", "", "[Introduction](index.md)", "",
             "- [Results ledger](RESULTS.md)", "- [Visual tour](VISUAL_TOUR.md)",
             "- [SPEC: the experiment contract](SPEC.md)", ""]
    by_era: dict[str, list[str]] = {}
    for slug in catalog.discover():
        by_era.setdefault(catalog.era_of(catalog.meta_of(slug)["year"]), []).append(slug)
    for _, _, title in catalog.ERAS:
        if title in by_era:
            lines += [f"# {title}", ""]
            for slug in by_era[title]:
                meta = catalog.meta_of(slug)
                lines.append(f"- [{slug} — {meta['title']} ({meta['year']})]({chapter(slug)})")
            lines.append("")
    return "\n".join(lines)


def rewrite_links(text: str, page: str, source_url: str | None) -> str:
    """Links as they must read in the book: a link to a README.md page points to index.md (what mdBook
    writes it as); a link to a file the book does not carry (code, LICENSE) points into the
    repository at `source_url`, or becomes plain text without one. Images and pages stay."""
    here = posixpath.dirname(page)

    def repl(m):
        target = m[2]
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return m[0]
        path, hash_, anchor = target.partition("#")
        if path.endswith(".md"):
            if posixpath.basename(path) == "README.md":
                path = path[: -len("README.md")] + "index.md"
            return m[1] + path + hash_ + anchor + m[3]
        if m[1].startswith("!") or path.endswith((".gif", ".png", ".svg", ".jpg")):
            return m[0]
        if source_url:
            return m[1] + f"{source_url.rstrip('/')}/{posixpath.normpath(posixpath.join(here, path))}" + m[3]
        return m[1][1:-2]  # the link text alone

    out, fence = [], False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fence = not fence
        out.append(line if fence else MD_LINK.sub(repl, line))
    return "".join(out)


def source_line(slug: str, source_url: str | None) -> str:
    files = sorted(p.name for p in (catalog.ROOT / slug).glob("*.py"))
    if source_url:
        named = [f"[`{f}`]({source_url.rstrip('/')}/{slug}/{f})" for f in files]
    else:
        named = [f"`{f}`" for f in files]
    return f"\n---\n\nSource of this chapter (in the repository's `{slug}/`): " + " · ".join(named) + "\n"


def build(out: Path, source_url: str | None = None) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for page, name in PAGES.items():
        (out / name).write_text(rewrite_links((catalog.ROOT / page).read_text(), page, source_url))
    for slug in catalog.discover():
        src, dst = catalog.ROOT / slug, out / slug
        dst.mkdir()
        text = rewrite_links((src / "README.md").read_text(), f"{slug}/README.md", source_url)
        (dst / "index.md").write_text(text + source_line(slug, source_url))
        for gif in src.glob("*.gif"):
            shutil.copy2(gif, dst / gif.name)
        if (src / "viz").is_dir():
            (dst / "viz").mkdir()
            for png in (src / "viz").glob("*.png"):
                shutil.copy2(png, dst / "viz" / png.name)
    (out / "SUMMARY.md").write_text(summary())


class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and ((tag == "a" and key == "href") or (tag == "img" and key == "src")):
                self.refs.append((tag, value))


def check_site(site: Path) -> list[str]:
    """What is wrong with a built book, one line each: a chapter page missing, a link or image that
    does not resolve inside the site, an experiment's GIF or PNG not there."""
    problems = []
    if not (site / "index.html").is_file():
        return [f"{site}: no index.html (run mdbook build)"]
    for slug in catalog.discover():
        page = site / slug / "index.html"
        if not page.is_file():
            problems.append(f"chapter {slug}/index.html missing")
        for gif in (catalog.ROOT / slug).glob("*.gif"):
            if not (site / slug / gif.name).is_file():
                problems.append(f"{slug}/{gif.name} missing from the site")
        for png in (catalog.ROOT / slug / "viz").glob("*.png"):
            if not (site / slug / "viz" / png.name).is_file():
                problems.append(f"{slug}/viz/{png.name} missing from the site")
    for page in site.rglob("*.html"):
        if page.name in ("print.html", "toc.html", "404.html"):
            continue  # mdBook's own pages: print.html repeats every chapter with rebased links
        parser = _Refs()
        parser.feed(page.read_text(errors="replace"))
        for tag, ref in parser.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or site.resolve() not in target.parents:
                problems.append(f"{page.relative_to(site)}: <{tag}> {ref} does not resolve inside the site")
    return problems


def build_site(dest: Path, source_url: str | None = None) -> Path:
    """Sources and HTML in `dest` (src/, html/), with the repository's book.toml and style: what
    `python3 -m catalog.book && mdbook build` makes, somewhere else. Needs mdbook on PATH."""
    mdbook = shutil.which("mdbook")
    if mdbook is None:
        raise FileNotFoundError("mdbook not found: python3 -m pip install -r requirements-book.txt")
    build(dest / "src", source_url)
    toml = (catalog.ROOT / "book.toml").read_text().replace('"book/src"', '"src"').replace('"book/html"', '"html"')
    (dest / "book.toml").write_text(toml)
    (dest / "catalog").mkdir(exist_ok=True)
    shutil.copy2(catalog.ROOT / "catalog" / "book.css", dest / "catalog" / "book.css")
    subprocess.run([mdbook, "build", str(dest)], check=True, capture_output=True, text=True)
    return dest / "html"


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


def browser() -> str | None:
    return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


def screenshot(page: Path, png: Path, width: int = 1366, height: int = 900) -> Path:
    """A headless-Chromium screenshot of one page of a built site."""
    import tempfile
    exe = browser()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", page.resolve().as_uri()], check=True, capture_output=True,
                       timeout=120)
    return png


def main(argv=None) -> int:
    p = catalog.OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=catalog.ROOT / "book" / "src",
                   help="where to write the sources (default: book/src)")
    p.add_argument("--source-url", metavar="URL",
                   help="link each chapter's code into the repository at URL (e.g. "
                        "https://github.com/OWNER/REPO/blob/COMMIT); default: name the files only")
    p.add_argument("--check", type=Path, nargs="?", const=catalog.ROOT / "book" / "html", metavar="SITE",
                   help="check a built site (default book/html) instead of writing sources")
    args = p.parse_args(argv)
    if args.check is not None:
        problems = check_site(args.check)
        for line in problems:
            print(line)
        print(f"{args.check}: {'OK' if not problems else f'{len(problems)} problem(s)'}", file=sys.stderr)
        return 1 if problems else 0
    build(args.out, args.source_url)
    print(f"wrote {args.out} ({len(catalog.discover())} experiment chapters); build with: mdbook build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
