"""Shared fixtures and options of the catalog's harness (see SPEC.md, 'The harness')."""
import subprocess
import sys

import pytest

import catalog

SLUGS = catalog.discover()


def pytest_addoption(parser):
    parser.addoption("--tier", action="append", default=[], choices=catalog.TIERS,
                     help="also rerun the ledger commands of this tier and check their claims (repeatable)")
    parser.addoption("--headline", action="append_const", const="headline", dest="tier",
                     help="same as --tier headline")


def pytest_collection_modifyitems(config, items):
    tiers = set(config.getoption("tier") or [])
    skip = pytest.mark.skip(reason="ledger tier not selected (use --tier headline|seeds|long)")
    for item in items:
        tier = item.callspec.params.get("tier") if hasattr(item, "callspec") else None
        if "headline" in item.keywords and tier not in tiers:
            item.add_marker(skip)


def run(cmd, cwd, timeout=120):
    """Run a command with the catalog's test environment (single-threaded BLAS, Agg backend)."""
    return subprocess.run([sys.executable, *map(str, cmd)], cwd=cwd, env=catalog.child_env(), capture_output=True,
                          text=True, timeout=timeout)
