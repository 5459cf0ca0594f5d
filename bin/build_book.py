#!/usr/bin/env python3
"""Generate the mdBook sources (book/src by default) from the catalog's own files.

The book's pages are the top-level README, RESULTS, VISUAL_TOUR and SPEC, and one chapter per
experiment (its README, GIF and viz/ PNGs), grouped by era in SUMMARY.md. Everything written
here is generated and git-ignored; `mdbook build` (see book.toml) turns it into HTML.
"""
import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog  # noqa: E402

PAGES = ("README.md", "RESULTS.md", "VISUAL_TOUR.md", "SPEC.md")


def summary() -> str:
    lines = ["# Summary", "", "[Introduction](README.md)", "",
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
                lines.append(f"- [{slug} — {meta['title']} ({meta['year']})]({slug}/README.md)")
            lines.append("")
    return "\n".join(lines)


def build(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for page in PAGES:
        shutil.copy2(catalog.ROOT / page, out / page)
    for slug in catalog.discover():
        src, dst = catalog.ROOT / slug, out / slug
        dst.mkdir()
        shutil.copy2(src / "README.md", dst / "README.md")
        for gif in src.glob("*.gif"):
            shutil.copy2(gif, dst / gif.name)
        if (src / "viz").is_dir():
            shutil.copytree(src / "viz", dst / "viz", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        for py in src.glob("*.py"):  # the book links each chapter's code too
            shutil.copy2(py, dst / py.name)
    (out / "SUMMARY.md").write_text(summary())


def main(argv=None) -> int:
    p = catalog.OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=catalog.ROOT / "book" / "src",
                   help="where to write the sources (default: book/src)")
    args = p.parse_args(argv)
    build(args.out)
    print(f"wrote {args.out} ({len(catalog.discover())} experiment chapters); build with: mdbook build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
