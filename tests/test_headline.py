"""Ledger tiers: rerun each ledger command and check every claim (opt-in: --tier headline|seeds|long)."""
import os
import warnings

import pytest

from conftest import SLUGS, catalog


def ledger_jobs():
    jobs = {}
    for slug in SLUGS:
        for c in catalog.claims_of(slug):
            jobs.setdefault((c.tier, slug, c.args), []).append(c)
    return [pytest.param(tier, slug, args, claims, id=f"{tier}-{slug}-{args}")
            for (tier, slug, args), claims in jobs.items()]


@pytest.mark.headline
@pytest.mark.parametrize("tier,slug,args,claims", ledger_jobs())
def test_headline_claims_reproduce(tier, slug, args, claims):
    # a seed sweep runs its seeds side by side (one process per core), so one long sweep does not
    # serialise the tier behind it; the total CPU is the same
    metrics = catalog.run_command(slug, args, jobs=os.cpu_count() or 1, timeout=3600)
    recorded = {r.key: r for r in catalog.read_ledger()}
    misses = []
    for c in claims:
        assert c.metric in metrics, f"{slug} `{args}` produced no metric {c.metric!r}"
        fresh = catalog.fmt(metrics[c.metric])
        row = recorded.get(c.key)
        if not catalog.claim_holds(c.claim, fresh):
            misses.append(f"{c.metric}: claimed {c.claim}, measured {fresh} "
                          f"(ledger says {row.measured if row else 'nothing'}; paper {c.paper})")
        elif row is not None and row.measured != fresh:
            warnings.warn(f"{slug} `{args}` {c.metric}: fresh {fresh} differs from the ledger's {row.measured} "
                          f"({row.env}); the claim {c.claim} still holds")
    assert not misses, f"{slug} `{args}` falls short:\n  " + "\n  ".join(misses)
