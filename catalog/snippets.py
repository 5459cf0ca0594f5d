"""Re-paste the canonical snippets (snippets/<name>.py) into every experiment folder's Python files.

A stub carries a snippet between the lines
    # >>> snippet: NAME (canonical: snippets/NAME.py)
    # <<< snippet: NAME
Run `python3 -m catalog.snippets` from the repository root; --check lists drifted copies without
writing (exit 1 if any).
"""
import argparse
import sys

import catalog


def main(argv=None) -> int:
    p = catalog.OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only report drifted copies; exit 1 if any")
    args = p.parse_args(argv)
    drifted = 0
    for slug in catalog.discover():
        for path in sorted((catalog.ROOT / slug).glob("*.py")):
            names = catalog.sync_snippets(path, write=not args.check)
            for name in names:
                drifted += 1
                print(f"{path.relative_to(catalog.ROOT)}: snippet {name} "
                      f"{'differs from' if args.check else 're-pasted from'} snippets/{name}.py")
    return 1 if (args.check and drifted) else 0


if __name__ == "__main__":
    sys.exit(main())
