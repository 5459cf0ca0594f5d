"""Ledger tiers: rerun each ledger command and check every row (opt-in: --tier headline|seeds|long).

A pin or seeds claim must hold; a paper row must give the verdict the ledger records (MET or NOT MET,
either way); a pin must give the ledger's exact value when run in the ledger's environment."""
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
    here = catalog.env_string()
    misses = []
    for c in claims:
        assert c.metric in metrics, f"{slug} `{args}` produced no metric {c.metric!r}"
        fresh = catalog.fmt(metrics[c.metric])
        row = recorded.get(c.key)
        verdict = catalog.judge(c.kind, c.claim, fresh)
        said = f"(ledger: {row.measured if row else 'nothing'}; paper {c.paper})"
        if c.kind == "paper":
            if row is None or verdict != row.verdict:
                misses.append(f"{c.metric}: the paper's criterion `{c.claim}` is {verdict} on a fresh run "
                              f"({fresh}), the ledger says {row.verdict if row else 'nothing'} {said}")
        elif verdict != "PASS":
            misses.append(f"{c.metric}: claimed {c.claim}, measured {fresh} {said}")
        elif row is not None and row.measured != fresh:
            if c.kind == "pin" and row.env == here:
                misses.append(f"{c.metric}: regression pin moved on the ledger's own environment ({here}): "
                              f"fresh {fresh}, ledger {row.measured}")
            else:
                warnings.warn(f"{slug} `{args}` {c.metric}: fresh {fresh} differs from the ledger's "
                              f"{row.measured} ({row.env}); the claim {c.claim} still holds")
    assert not misses, f"{slug} `{args}` does not reproduce:\n  " + "\n  ".join(misses)
