"""A stub's declared claims: parsing and judging them, and the Config a ledger command runs with."""
from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass

from .runner import expand
from .stubs import TIERS, load_stub


CLAIM_RE = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+0-9.eE]+)(?:\s*/\s*(\d+))?\s*$")

_OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        "<": lambda a, b: a < b, "==": lambda a, b: a == b}


def parse_claim(text: str):
    """'>= 0.95' -> ('>=', 0.95, None); '>= 9/10' -> ('>=', 9.0, 10)."""
    m = CLAIM_RE.match(text)
    if not m:
        raise ValueError(f"claim {text!r} is not '<op> <number>' or '<op> <k>/<n>' (op: >= <= > < ==)")
    return m[1], float(m[2]), (int(m[3]) if m[3] else None)


def parse_measured(value):
    """A measured value as (number, denominator or None); accepts 0.97, '0.97', '9/10'."""
    if isinstance(value, str) and "/" in value:
        k, n = value.split("/")
        return float(k), int(n)
    return float(value), None


def claim_holds(claim: str, measured) -> bool:
    op, target, denom = parse_claim(claim)
    value, mdenom = parse_measured(measured)
    if denom is not None and mdenom != denom:
        return False
    return math.isfinite(value) and _OPS[op](value, target)


def fmt(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or (isinstance(value, (int, float)) and float(value).is_integer()
                                   and abs(value) < 1e12):
        return str(int(value))
    return f"{value:.4g}"

KINDS = ("paper", "seeds", "pin")

KIND_TEXT = {"paper": "the paper's own criterion, in its units: MET or NOT MET",
             "seeds": "a claim over seeds (or trials) about the method: must hold",
             "pin": "a single-seed regression pin: must hold, and on the ledger's machine give the same value"}


def default_kind(args: str) -> str:
    return "seeds" if "--seeds" in shlex.split(args) else "pin"


@dataclass(frozen=True)
class Claim:
    slug: str
    tier: str
    args: str
    metric: str
    claim: str
    paper: str
    published: str
    kind: str = "pin"
    reduced: bool = False  # a paper criterion checked at a reduced set-up (the claim's text names it)

    @property
    def key(self):
        return (self.slug, self.args, self.metric)


def claims_of(slug: str) -> list[Claim]:
    """The CLAIMS a stub declares, validated."""
    mod = load_stub(slug)
    out = []
    for c in getattr(mod, "CLAIMS", []):
        kind = c.get("kind", default_kind(c["args"]))
        claim = Claim(slug, c["tier"], c["args"], c["metric"], c["claim"], c.get("paper", "—"),
                      c.get("published", "—"), kind, bool(c.get("reduced", False)))
        if claim.tier not in TIERS:
            raise ValueError(f"{slug}: tier {claim.tier!r} not in {TIERS}")
        if kind not in KINDS:
            raise ValueError(f"{slug}: kind {kind!r} not in {KINDS}")
        if kind != "paper" and kind != default_kind(c["args"]):
            raise ValueError(f"{slug} `{c['args']}`: kind {kind!r}: a --seeds command is kind 'seeds', "
                             f"a single run kind 'pin' (or either kind 'paper')")
        if claim.reduced and kind != "paper":
            raise ValueError(f"{slug}: only a kind='paper' claim can be reduced")
        parse_claim(claim.claim)
        if any(o.key == claim.key for o in out):
            raise ValueError(f"{slug} `{claim.args}` {claim.metric}: declared twice; the ledger keeps one row "
                             f"per command and metric, so the other would never be judged")
        out.append(claim)
    return out


def meta_of(slug: str) -> dict:
    return dict(load_stub(slug).META)

VERDICTS = {"paper": ("MET", "NOT MET"), "seeds": ("PASS", "FALLS SHORT"), "pin": ("PASS", "FALLS SHORT")}


def judge(kind: str, claim: str, measured) -> str:
    """The verdict a row must carry: MET / NOT MET for the paper's criterion, else PASS / FALLS SHORT."""
    good, bad = VERDICTS[kind]
    return good if claim_holds(claim, measured) else bad


def config_of(slug: str, args: str):
    """The Config a ledger command runs with (a --seeds command: the Config of each of its seeds)."""
    mod = load_stub(slug)
    argv = expand(args)[0]
    return mod.parse_config(argv, mod.Config, mod.__doc__ or "", mod.SMOKE)[0]


def fingerprint(slug: str, args: str) -> str:
    return load_stub(slug).config_fingerprint(config_of(slug, args))
