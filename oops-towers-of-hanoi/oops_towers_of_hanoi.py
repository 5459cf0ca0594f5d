"""Optimal Ordered Problem Solver on 1^n 2^n and Towers of Hanoi (Schmidhuber 2004).

Schmidhuber, "Optimal Ordered Problem Solver", Machine Learning 54:211-254 (2004); TR IDSIA-12-02,
arXiv:cs/0207097.

Claim: OOPS, a bias-optimal search over programs of a small stack language with procedures and
recursion, solves an ordered sequence of 60 tasks (1^n 2^n for n = 1..30, then Towers of Hanoi for
n = 1..30). Each task is searched by two time-shared searches (half the time each, budgets doubling
per phase): one that tries the most recently frozen program and its prolongations, one that tries
fresh programs which may boost the probabilities of the frozen program's instructions. Once a
recursive solver is frozen, every later task of its family costs only the time to test it: the
search stops growing while the solution grows as 2^n - 1 moves. Without reuse (fresh search only)
every task is re-searched from scratch and the Hanoi tasks run into the step cap.

Run:  python3 oops_towers_of_hanoi.py --seed 0                 (60 tasks, Hanoi executed to n = 18,
                                                                move sequences verified to n = 30)
      python3 oops_towers_of_hanoi.py --seed 0 --no-reuse      (ablation: fresh search only)
"""
import sys
from dataclasses import dataclass

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread is fastest for these small nets; set it to override

import numpy as np

SLUG = "oops-towers-of-hanoi"
META = dict(
    title="bias-optimal incremental program search reuses frozen code from 1^n 2^n to Towers of Hanoi",
    paper="Schmidhuber 2004, Optimal Ordered Problem Solver (Machine Learning 54)",
    year=2004,
    claim=("OOPS in our 8-instruction stack language solves all 60 tasks (1^n2^n, then Hanoi, n = 1..30) in "
           "10/10 seeds: a 7-instruction recursive Hanoi solver is frozen at n = 3 after a median 1.93e6 "
           "instructions of Hanoi search (IQR 1.86e6-2.06e6) and solves every later task unchanged, its moves "
           "verified for every n <= 30; the paper needed 2-3 days (about 2e11 instructions) in a 73-instruction "
           "language; fresh search alone stalls at Hanoi n = 12 under a 3e7-step cap"),
    figure=dict(args="--seeds 0-9", metric="hanoi_search_steps"),
    gradcheck=False,
)
CLAIMS = [
    dict(tier="headline", args="--seed 0", metric="tasks_solved", claim=">= 60", paper="60/60 tasks",
         published="Hanoi only, n <= 15 verified"),
    dict(tier="headline", args="--seed 0", metric="verified_max_n", claim=">= 30", paper="n = 30",
         published="n = 15"),
    dict(tier="headline", args="--seed 0", metric="hanoi_search_steps", claim="<= 3e6",
         paper="2-3 days of search (after 0.3 days for 1^n2^n)", published="3,232 nodes (n = 3)"),
    dict(tier="headline", args="--seed 0", metric="hanoi_steps_le6", claim="<= 2e6", paper="—", published="—"),
    dict(tier="headline", args="--seed 0 --no-reuse --hanoi-max 6 --verify-max 6", metric="hanoi_steps_le6",
         claim=">= 6e6",
         paper="—", published="— (asserted, not run)"),
    dict(tier="seeds", args="--seeds 0-9", metric="solved_seeds", claim=">= 9/10", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="median_hanoi_search_steps", claim="<= 2.2e6", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q1_hanoi_search_steps", claim="<= 2.1e6", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="q3_hanoi_search_steps", claim="<= 2.4e6", paper="—",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="min_tasks_solved", claim=">= 60", kind="paper", reduced=True,
         paper="all 60 tasks solved, Hanoi up to n = 30 (ours: an 8-instruction language, not the paper's 73)",
         published="—"),
    dict(tier="seeds", args="--seeds 0-9", metric="max_hanoi_search_steps", claim="<= 1.7e11", kind="paper",
         reduced=True, paper="a universal Hanoi solver after 2-3 more days at about 1e6 instructions/s "
         "(>= 1.7e11 instructions); ours: 8 instructions, not 73", published="—"),
    dict(tier="seeds", args="--seeds 0-29 --hanoi-max 8 --verify-max 16", metric="solved_seeds",
         claim=">= 30/30", paper="—", published="1 seed (deterministic)"),
    dict(tier="seeds", args="--seeds 0-29 --hanoi-max 8 --verify-max 16", metric="median_hanoi_search_steps",
         claim="<= 2e6", paper="—", published="—"),
    dict(tier="seeds", args="--seeds 0-29 --hanoi-max 8 --verify-max 16", metric="max_hanoi_search_steps",
         claim="<= 2.2e6", paper="—", published="—"),
    dict(tier="long", args="--seed 0 --no-reuse --step-cap 3e7", metric="tasks_solved", claim="< 60",
         paper="— (no from-scratch run reported; see README)", published="—"),
    dict(tier="long", args="--seed 0 --hanoi-exec-max 22", metric="tasks_solved", claim=">= 60",
         paper="60/60 tasks", published="—"),
]


@dataclass(frozen=True)
class Config:
    anbn_max: int = 30  # 1^n 2^n tasks n = 1..anbn_max come first (task n: every instance 1..n)
    hanoi_max: int = 30  # then Towers of Hanoi tasks n = 1..hanoi_max
    hanoi_exec_max: int = 18  # Hanoi instances up to this n are executed instruction by instruction; larger ones by exact memoised replay
    legal_max: int = 16  # up to this n the move stream also runs through the sequential legality simulator
    verify_max: int = 30  # verify the frozen Hanoi program's move stream against the optimal one for every n up to this
    reuse: bool = True  # OOPS: time-share extension of the last frozen program with fresh search; --no-reuse: fresh search only, no access to frozen code
    boost: bool = True  # the boostq instruction (raises the probabilities of the last frozen program's instructions)
    shuffle: bool = True  # the seed permutes the order in which the search tries equally probable instructions (tie-breaking)
    max_len: int = 12  # longest program (new instructions) a search may build
    max_depth: int = 64  # call-stack limit of the interpreter
    step_cap: float = 2e8  # stop the run when one task's search has executed this many instructions
    t0: float = 2.0  # initial total time budget T of a task (doubled each phase)

    def __post_init__(self):
        if not 0 <= self.anbn_max <= 200 or not 0 <= self.hanoi_max <= 60:
            raise ValueError("anbn_max must be in [0, 200] and hanoi_max in [0, 60]")
        if self.hanoi_exec_max < 0 or self.verify_max < 0 or self.verify_max > 40:
            raise ValueError("hanoi_exec_max must be >= 0 and verify_max in [0, 40]")
        if self.max_len < 1 or self.max_depth < 2 or self.step_cap <= 0 or self.t0 < 1:
            raise ValueError("max_len >= 1, max_depth >= 2, step_cap > 0 and t0 >= 1 required")


SMOKE = dict(anbn_max=5, hanoi_max=2, hanoi_exec_max=1, verify_max=2, legal_max=2)
STREAMS = ("order",)  # every random stream: the seed's tie-breaking order of equally probable instructions


# ----------------------------------------------------------------------------- the language
#
# A program is a sequence of instruction numbers on one code tape shared with the frozen programs.
# Each task instance runs on its own machine: an instruction pointer, a stack of procedure frames
# (frame = [locals, start address of "this procedure", return address or -1 for fall-through]) and
# the task's environment. The instance puts its input into the first frame's locals, as the paper
# pushes (S, A, D, n) for Hanoi: [n] for 1^n 2^n, [S, A, D, n] = [0, 1, 2, n] for Hanoi. The last local
# is the counter. The search adds an instruction whenever a machine runs past the end of the code.

TOKENS = ("put1", "put2", "mvdsk", "xSA", "xAD", "calltp", "endnp", "boostq")
PUT1, PUT2, MVDSK, XSA, XAD, CALLTP, ENDNP, BOOSTQ = range(len(TOKENS))
N_TOK = len(TOKENS)
SOLVED, FAIL, NEED, TIMEOUT = 1, 2, 3, 4
ANBN, HANOI = "anbn", "hanoi"


def init_state(fam, n, start):
    """Machine of instance n of family fam, program starting at `start`: [ip, frames, env]."""
    if fam == ANBN:
        return [start, [[[n], start, -1]], [0]]                      # env: symbols written so far
    return [start, [[[0, 1, 2, n], start, -1]], [list(range(n, 0, -1)), [], []]]   # env: pegs, top last


def copy_state(st):
    env = st[2]
    return [st[0], [[f[0][:], f[1], f[2]] for f in st[1]],
            [env[0][:], env[1][:], env[2][:]] if len(env) == 3 else env[:]]


def execute(code, st, fam, n, limit, max_depth, trace=None, watch=None):
    """Execute instance machine `st` in place for at most `limit` instructions.

    Returns (status, steps): SOLVED when the environment reaches the goal (checked after every
    action), FAIL on an error (wrong symbol, illegal move, a Hanoi instruction on a 1^n 2^n tape or
    the reverse, call-stack overflow, halting without the goal), NEED when the instruction pointer
    runs past the end of the code (the search must append an instruction), TIMEOUT at the limit.
    trace: a list receiving (from, to) of every Hanoi move, or None. watch: a list receiving, before
    every instruction, (ip, call depth, locals, pegs) for the animation, or None.
    """
    ip, frames, env = st
    L = len(code)
    steps = 0
    hanoi = fam == HANOI
    while True:
        if ip >= L:
            st[0] = ip
            return NEED, steps
        if steps >= limit:
            return TIMEOUT, steps
        tok = code[ip]
        steps += 1
        f = frames[-1]
        loc = f[0]
        if watch is not None:
            watch.append((ip, len(frames), tuple(loc), [list(p) for p in env] if hanoi else list(env)))
        if tok == CALLTP:                       # recurse into this procedure with counter - 1, if counter > 1
            if loc[-1] > 1:
                if len(frames) >= max_depth:
                    return FAIL, steps
                nl = list(loc)
                nl[-1] -= 1
                frames.append([nl, f[1], ip + 1])
                ip = f[1]
            else:
                ip += 1
        elif tok == MVDSK:                      # move the top disk from peg S to peg D
            if not hanoi:
                return FAIL, steps
            s, d = loc[0], loc[2]
            ps, pd = env[s], env[d]
            if not ps or (pd and pd[-1] < ps[-1]):
                return FAIL, steps
            pd.append(ps.pop())
            if trace is not None:
                trace.append((s, d))
            if len(env[2]) == n:
                return SOLVED, steps
            ip += 1
        elif tok == XSA or tok == XAD:          # exchange S and A / A and D of this frame
            if not hanoi:
                return FAIL, steps
            if tok == XSA:
                loc[0], loc[1] = loc[1], loc[0]
            else:
                loc[1], loc[2] = loc[2], loc[1]
            ip += 1
        elif tok == ENDNP:                      # end of procedure: return (or fall through); at top level: halt
            if len(frames) == 1:
                return FAIL, steps              # halted without reaching the goal
            frames.pop()
            ip = f[2] if f[2] >= 0 else ip + 1
        elif tok == PUT1 or tok == PUT2:        # write symbol 1 / 2 on the output tape
            if hanoi:
                return FAIL, steps
            k = env[0]
            if (tok == PUT1) != (k < n):
                return FAIL, steps
            env[0] = k + 1
            if k + 1 == 2 * n:
                return SOLVED, steps
            ip += 1
        else:                                   # BOOSTQ: acts on the search distribution only (see Searcher)
            ip += 1


# ----------------------------------------------------------------------------- the search

class Searcher:
    """Depth-first Try over programs (Levin-style): prefix q may use at most T * P(q) instructions.

    code: the code tape so far (frozen programs), new instructions are appended at its end.
    start: where the program under test starts (the last frozen program's start for the
    prolongation search, the end of the tape for the fresh search).
    """

    def __init__(self, cfg, fam, insts, code, start, boost_src, order, stats):
        self.cfg, self.fam, self.insts, self.code, self.start = cfg, fam, insts, code, start
        self.boost_src, self.order, self.stats = boost_src, order, stats
        self.dead = {MVDSK, XSA, XAD} if fam == ANBN else {PUT1, PUT2}

    def try_phase(self, T):
        """One phase with budget T. Returns the list of appended instructions of a solution, or None."""
        self.T = T
        waiting, used = [], 0
        for n in self.insts:
            st = init_state(self.fam, n, self.start)
            status, steps = execute(self.code, st, self.fam, n, T - used, self.cfg.max_depth)
            used += steps
            self.stats["steps"] += steps
            if status == NEED:
                waiting.append((n, st))
            elif status != SOLVED:
                return None
        self.stats["nodes"] += 1
        if not waiting:
            return []
        nums = [1.0] * N_TOK                                   # the paper's numerators p[i], all 1 at start
        return self._expand(waiting, 1.0, used, nums, float(N_TOK), [])

    def _expand(self, waiting, P, used, nums, total, new):
        if len(new) >= self.cfg.max_len:
            return None
        code, T, stats = self.code, self.T, self.stats
        if T * P * max(nums) / total < used + 1:        # no child can afford even one instruction
            return None
        for tok in self.order:
            if tok == BOOSTQ and not self.cfg.boost:
                continue
            P2 = P * nums[tok] / total
            lim = T * P2
            if lim < used + 1:
                continue
            stats["nodes"] += 1
            if tok in self.dead:                # fails at its first execution, by the first waiting
                stats["steps"] += 1             # machine (a wrong-domain instruction): same count, no run
                continue
            code.append(tok)
            new.append(tok)
            u, ok, nxt = used, True, []
            for n, st in waiting:
                st2 = copy_state(st)
                status, steps = execute(code, st2, self.fam, n, lim - u, self.cfg.max_depth)
                u += steps
                if status == NEED:
                    nxt.append((n, st2))
                elif status != SOLVED:
                    ok = False
                    break
            stats["steps"] += u - used
            if ok:
                if not nxt:
                    return list(new)
                nums2, total2 = nums, total
                if tok == BOOSTQ and self.boost_src:          # boostq: +n_Q to the numerator of every
                    nums2 = list(nums)                        # instruction occurrence of the last frozen program
                    for t in self.boost_src:
                        nums2[t] += N_TOK
                        total2 += N_TOK
                res = self._expand(nxt, P2, u, nums2, total2, new)
                if res is not None:
                    return res
            code.pop()
            new.pop()
        return None


def solve_task(cfg, fam, n, frozen, code, order):
    """OOPS for one task (all instances 1..n of `fam`): returns a result dict and updates frozen/code.

    Phase k has total budget T = t0 * 2^k; with reuse, half goes to prolonging the last frozen program
    (tested only on the new instance when that program solved the previous task of this family),
    half to fresh programs (tested on every instance 1..n). Without reuse: fresh search only, all of T.
    """
    last = frozen[-1] if (frozen and cfg.reuse) else None
    boost_src = list(last["tokens"]) if last else []
    a_fresh = len(code)
    stats_a, stats_b = dict(steps=0, nodes=0), dict(steps=0, nodes=0)
    T = cfg.t0
    while True:
        if last is not None:
            insts_a = [n] if (last["fam"] == fam and last["n"] == n - 1) else list(range(1, n + 1))
            sa = Searcher(cfg, fam, insts_a, code, last["start"], boost_src, order, stats_a)
            ext = sa.try_phase(T / 2)
            if ext is not None:
                tokens = list(last["tokens"]) + ext
                rec = dict(fam=fam, n=n, start=last["start"], tokens=tokens, by="prolong", new=len(ext))
                frozen.append(rec)
                return _task_result(fam, n, rec, stats_a, stats_b, T)
        sb = Searcher(cfg, fam, list(range(1, n + 1)), code, a_fresh, boost_src, order, stats_b)
        prog = sb.try_phase(T / 2 if last is not None else T)
        if prog is not None:
            rec = dict(fam=fam, n=n, start=a_fresh, tokens=prog, by="fresh", new=len(prog))
            frozen.append(rec)
            return _task_result(fam, n, rec, stats_a, stats_b, T)
        del code[a_fresh:]
        if stats_a["steps"] + stats_b["steps"] > cfg.step_cap:
            return dict(fam=fam, n=n, solved=0, steps=stats_a["steps"] + stats_b["steps"],
                        nodes=stats_a["nodes"] + stats_b["nodes"], T=T)
        T *= 2


def _task_result(fam, n, rec, sa, sb, T):
    reused = rec["by"] == "prolong" or BOOSTQ in rec["tokens"]
    return dict(fam=fam, n=n, solved=1, by=rec["by"], new=rec["new"], program=" ".join(TOKENS[t] for t in rec["tokens"]),
                start=rec["start"], steps=sa["steps"] + sb["steps"], steps_prolong=sa["steps"],
                steps_fresh=sb["steps"], nodes=sa["nodes"] + sb["nodes"], T=T, reused=int(reused))


# ----------------------------------------------------------------------------- exact replay and the streaming checker

def record_call(code, start, loc, memo, max_depth):
    """Run one activation of the procedure at `start` with locals `loc`, recording instead of recursing.

    A procedure here reads nothing but its own locals (no instruction reads the environment), so
    everything it does is a function of (start, locals): its moves, the calls it makes and how many
    instructions it executes. Each distinct activation is run once by the same instruction rules as
    `execute`; a repeated one is looked up. Returns its index i; memo["table"][i] = (events, n_moves,
    own_steps, split, stopped): events are ints, >= 0 a move s*3+d, < 0 a call of activation -1-e;
    split[j] is the number of the activation's own instructions up to and including event j; stopped
    is True when the activation (or one it called) ended where a direct run would stop for good:
    running past the end of the code, an error, or a call-stack overflow. A direct run stops there
    too (or earlier, at the goal), so the recorded moves are exactly its moves up to that point.
    """
    key = (start, tuple(loc))
    if key in memo["index"]:
        return memo["index"][key]
    events, split, moves, steps, since, stopped = [], [], 0, 0, 0, False
    lc = list(loc)
    ip = start
    while True:
        if ip >= len(code):
            stopped = True                      # a direct run would need a new instruction here
            break
        tok = code[ip]
        steps += 1
        since += 1
        if tok == CALLTP:
            if lc[-1] > 1:
                if len(memo["stack"]) + 2 > max_depth:
                    stopped = True
                    break
                nl = list(lc)
                nl[-1] -= 1
                memo["stack"].append(key)
                k2 = record_call(code, start, nl, memo, max_depth)
                memo["stack"].pop()
                events.append(-1 - k2)
                split.append(since)
                since = 0
                moves += memo["table"][k2][1]
                if memo["table"][k2][4]:
                    stopped = True
                    break
            ip += 1
        elif tok == MVDSK:
            events.append(lc[0] * 3 + lc[2])
            split.append(since)
            since = 0
            moves += 1
            ip += 1
        elif tok == XSA:
            lc[0], lc[1] = lc[1], lc[0]
            ip += 1
        elif tok == XAD:
            lc[1], lc[2] = lc[2], lc[1]
            ip += 1
        elif tok == ENDNP:
            break                               # return of this activation (or the top-level halt)
        elif tok == BOOSTQ:
            ip += 1
        else:
            stopped = True                      # a 1^n 2^n instruction on a Hanoi instance: error
            break
    idx = len(memo["table"])
    memo["index"][key] = idx
    memo["table"].append((events, moves, steps, split, stopped))
    return idx


def new_memo():
    return dict(index={}, table=[], stack=[], arrays={}, total={})


def total_steps(memo, k):
    """Instructions executed by activation k including all its sub-activations."""
    if k not in memo["total"]:
        events, _, own, _, _ = memo["table"][k]
        memo["total"][k] = own + sum(total_steps(memo, -1 - e) for e in events if e < 0)
    return memo["total"][k]


def steps_upto(memo, k, m):
    """Instructions the interpreter executes in activation k up to and including its m-th move."""
    events, _, _, split, _ = memo["table"][k]
    steps, left = 0, m
    for j, e in enumerate(events):
        steps += split[j]
        if e >= 0:
            left -= 1
            if left == 0:
                return steps
        else:
            kk = -1 - e
            nm = memo["table"][kk][1]
            if nm >= left:
                return steps + steps_upto(memo, kk, left)
            left -= nm
            steps += total_steps(memo, kk)
    raise ValueError("fewer moves than requested")


def expand_chunks(memo, k, chunk=1 << 20):
    """Yield the move stream of activation k as int8 numpy arrays (codes s*3+d), never all at once."""
    buf, size = [], 0
    for part in _expand(memo, k):
        buf.append(part)
        size += len(part)
        if size >= chunk:
            yield np.concatenate(buf)
            buf, size = [], 0
    if buf:
        yield np.concatenate(buf)


def _expand(memo, k):
    events, moves, _, _, _ = memo["table"][k]
    if moves <= 1 << 16:                             # small activations: materialised once, cached
        arr = memo["arrays"].get(k)
        if arr is None:
            parts = [np.array([e], np.int8) if e >= 0 else np.concatenate(list(_expand(memo, -1 - e)))
                     for e in events]
            arr = np.concatenate(parts) if parts else np.zeros(0, np.int8)
            memo["arrays"][k] = arr
        yield arr
        return
    pending = []
    for e in events:
        if e >= 0:
            pending.append(e)
        else:
            if pending:
                yield np.array(pending, np.int8)
                pending = []
            yield from _expand(memo, -1 - e)
    if pending:
        yield np.array(pending, np.int8)


def optimal_codes(n, lo, hi):
    """Codes s*3+d of moves lo+1..hi (1-based) of the optimal solution of Hanoi(n), pegs 0 -> 2, by the
    closed form (move m: from (m & (m-1)) mod 3 to ((m | (m-1)) + 1) mod 3, pegs 1 and 2 swapped for even n)."""
    m = np.arange(lo + 1, hi + 1, dtype=np.int64)
    s = (m & (m - 1)) % 3
    d = ((m | (m - 1)) + 1) % 3
    if n % 2 == 0:
        s = np.where(s == 0, 0, 3 - s)
        d = np.where(d == 0, 0, 3 - d)
    return (s * 3 + d).astype(np.int8)


_REF = {}


def _ref_base(k):
    """Optimal move codes of Hanoi(k), pegs 0 -> 2, built by the textbook recursion (k <= 18, cached)."""
    if k not in _REF:
        if k == 0:
            _REF[k] = np.zeros(0, np.int8)
        else:
            sub = _ref_base(k - 1)
            _REF[k] = np.concatenate([_relabel(sub, (0, 2, 1)), np.array([2], np.int8), _relabel(sub, (1, 0, 2))])
    return _REF[k]


def _relabel(codes, pegs):
    """Move codes with canonical pegs (0, 1, 2) renamed to `pegs`."""
    lut = np.array([pegs[c // 3] * 3 + pegs[c % 3] for c in range(9)], np.int8)
    return lut[codes]


def reference_chunks(n, pegs=(0, 1, 2)):
    """Yield the optimal solution of Hanoi(n) from peg pegs[0] to pegs[2] in chunks (never all at once)."""
    if n <= 18:
        yield _relabel(_ref_base(n), pegs)
        return
    yield from reference_chunks(n - 1, (pegs[0], pegs[2], pegs[1]))
    yield np.array([pegs[0] * 3 + pegs[2]], np.int8)
    yield from reference_chunks(n - 1, (pegs[1], pegs[0], pegs[2]))


class _Reader:
    """Reads consecutive slices of any length from a generator of arrays."""

    def __init__(self, chunks):
        self.it, self.buf, self.pos = iter(chunks), np.zeros(0, np.int8), 0

    def read(self, k):
        parts, got = [], 0
        while got < k:
            if self.pos >= len(self.buf):
                try:
                    self.buf, self.pos = next(self.it), 0
                except StopIteration:
                    break
            take = min(k - got, len(self.buf) - self.pos)
            parts.append(self.buf[self.pos:self.pos + take])
            self.pos += take
            got += take
        return np.concatenate(parts) if parts else np.zeros(0, np.int8)


def check_stream(n, chunks):
    """Check, chunk by chunk, that a move stream begins with the optimal solution of Hanoi(n).

    The optimal solution is unique, legal and reaches the goal only with its last move, so a stream
    whose first 2^n - 1 moves equal it is legal and solves the instance at move 2^n - 1, where the
    interpreter's goal check stops the run. The reference is streamed too (textbook recursion; its
    small blocks are checked against the closed form in verify_hanoi). Returns 2^n - 1, or -1 at the
    first mismatch or a short stream.
    """
    need = (1 << n) - 1
    ref = _Reader(reference_chunks(n))
    pos = 0
    for c in chunks:
        take = min(len(c), need - pos)
        if not np.array_equal(c[:take], ref.read(take)):
            return -1
        pos += take
        if pos == need:
            return pos
    return -1


def legal_stream(n, chunks):
    """Independent sequential simulator over a move stream, stopping at the goal like the interpreter.

    Returns the number of moves up to the first moment all n disks are on peg 2, or -1 at the first
    illegal move or if the stream ends before the goal. Any legal solution passes, optimal or not.
    """
    pegs = [list(range(n, 0, -1)), [], []]
    pos = 0
    for c in chunks:
        for code in c.tolist():
            s, d = divmod(code, 3)
            if not pegs[s] or (pegs[d] and pegs[d][-1] < pegs[s][-1]):
                return -1
            pegs[d].append(pegs[s].pop())
            pos += 1
            if len(pegs[2]) == n:
                return pos
    return -1


def stream_solves(cfg, n, memo, k):
    """Moves to the goal of the replayed stream of activation k on instance n, or -1.

    n <= legal_max: the sequential legality simulator (any legal solution). Larger n: equality with
    the optimal solution, checked chunk by chunk (legal by uniqueness of the optimum; a legal but
    longer solution would be rejected there, never wrongly accepted).
    """
    if n <= cfg.legal_max:
        return legal_stream(n, expand_chunks(memo, k))
    return check_stream(n, expand_chunks(memo, k))


def verify_hanoi(cfg, prog, code, known=None):
    """Verify frozen Hanoi program `prog` for every n = 1..verify_max by memoised replay and streaming checks.

    Every n: the replayed move stream must solve the instance (stream_solves). n <= legal_max: the
    streamed optimal reference is also checked against the closed form. n <= min(12, hanoi_exec_max):
    the replayed moves and instruction count must equal those of a direct interpreter run. known:
    {n: instructions} of instances this same program already passed through the same replay and
    check during the run (not checked twice). Returns (largest n verified with no gap below it,
    {n: instructions executed up to the goal}, {n: 1 if the solution found is the optimal one}).
    """
    ok_to, steps, optimal = 0, {}, {}
    known = known or {}
    for n in range(1, cfg.verify_max + 1):
        if n in known and n > cfg.legal_max and n > cfg.hanoi_exec_max:
            steps[n], optimal[n], ok_to = known[n], 1, n
            continue
        memo = new_memo()
        try:
            k = record_call(code, prog["start"], [0, 1, 2, n], memo, cfg.max_depth)
        except RecursionError:
            break
        m = stream_solves(cfg, n, memo, k)
        if m < 0:
            break
        steps[n] = steps_upto(memo, k, m)
        optimal[n] = int(m == (1 << n) - 1 and check_stream(n, expand_chunks(memo, k)) == m)
        if n <= cfg.legal_max and not np.array_equal(np.concatenate(list(reference_chunks(n))),
                                                      optimal_codes(n, 0, (1 << n) - 1)):
            break
        if n <= min(12, cfg.hanoi_exec_max):
            moves = []
            st = init_state(HANOI, n, prog["start"])
            status, direct = execute(code, st, HANOI, n, float("inf"), cfg.max_depth, trace=moves)
            flat = np.concatenate(list(expand_chunks(memo, k)))[:m]
            if (status != SOLVED or direct != steps[n]
                    or not np.array_equal(flat, np.array([s * 3 + d for s, d in moves], np.int8))):
                break
        ok_to = n
    return ok_to, steps, optimal


# ----------------------------------------------------------------------------- the task sequence

def task_list(cfg):
    return [(ANBN, n) for n in range(1, cfg.anbn_max + 1)] + [(HANOI, n) for n in range(1, cfg.hanoi_max + 1)]


def test_frozen_by_replay(cfg, prog, code, n):
    """Prolongation search for a Hanoi instance too large to execute step by step (n > hanoi_exec_max).

    The empty prolongation is tried first; it uses the exact memoised replay in place of the
    instruction-by-instruction run and charges the instructions that run would execute. Returns the
    instructions charged, or None when the frozen program does not solve instance n (then the task
    falls back to the ordinary search).
    """
    memo = new_memo()
    try:
        k = record_call(code, prog["start"], [0, 1, 2, n], memo, cfg.max_depth)
    except RecursionError:
        return None
    m = stream_solves(cfg, n, memo, k)
    return steps_upto(memo, k, m) if m > 0 else None


def train(cfg, seed, callback=None):
    """Run OOPS over the whole task sequence. Returns dict(tasks=[per-task dicts], frozen, code, ...)."""
    rng = rng_streams(seed, STREAMS)["order"]
    order = list(rng.permutation(N_TOK)) if cfg.shuffle else list(range(N_TOK))
    order = [int(t) for t in order]
    frozen, code, tasks, replay_ok = [], [], [], {}
    t_start = time.perf_counter()
    for fam, n in task_list(cfg):
        t0 = time.perf_counter()
        last = frozen[-1] if frozen else None
        res = None
        if (cfg.reuse and fam == HANOI and n > cfg.hanoi_exec_max and last is not None
                and last["fam"] == HANOI and last["n"] == n - 1):
            charged = test_frozen_by_replay(cfg, last, code, n)
            if charged is not None:
                # the doubling schedule: in every phase whose half-budget T/2 is below the test time the
                # prolongation search runs out of time (exactly T/2 instructions); the fresh half of those
                # phases is not run here (in the executed tasks it was 1-3% of their cost)
                T, timeouts = cfg.t0, 0
                while T / 2 < charged:
                    timeouts += int(T / 2)
                    T *= 2
                rec = dict(last, n=n, by="prolong", new=0)
                frozen.append(rec)
                res = _task_result(fam, n, rec, dict(steps=charged + timeouts, nodes=1), dict(steps=0, nodes=0), T)
                res["replayed"] = 1
                res["test_steps"] = charged
                replay_ok[n] = charged
        if res is None:
            res = solve_task(cfg, fam, n, frozen, code, order)
            res["replayed"] = 0
        res["wall"] = time.perf_counter() - t0
        tasks.append(res)
        if callback is not None:
            callback(len(tasks), dict(tasks=tasks, frozen=frozen, code=list(code)))
        if res["solved"]:
            progress(f"{fam} n={n:2d}: {res['by']:7s} +{res['new']} instr, {res['steps']:.3g} steps, "
                     f"{res['nodes']} programs, {res['wall']:.2f} s  [{res['program']}]")
        else:
            progress(f"{fam} n={n:2d}: not solved within the cap ({res['steps']:.3g} steps), run stops")
            break
    return dict(tasks=tasks, frozen=frozen, code=list(code), order=order, replay_ok=replay_ok,
                wall=time.perf_counter() - t_start)


def first_of_final(tasks, fam):
    """The task n at which the program that solves the family's last solved task was frozen."""
    fam_tasks = [t for t in tasks if t["fam"] == fam and t["solved"]]
    if not fam_tasks:
        return 0
    start = fam_tasks[-1]["start"]
    prog = fam_tasks[-1]["program"]
    for t in fam_tasks:
        if t["start"] == start and t["program"] == prog:
            return t["n"]
    return 0


def program_prob(tokens, boost_src):
    """Probability of a token sequence under the search distribution (numerators 1, boostq adds n_Q per
    occurrence of each instruction of boost_src, as in Searcher)."""
    nums, total, P = [1.0] * N_TOK, float(N_TOK), 1.0
    for t in tokens:
        P *= nums[t] / total
        if t == BOOSTQ and boost_src:
            for b in boost_src:
                nums[b] += N_TOK
                total += N_TOK
    return P


def boost_gain(frozen):
    """P(boostq + final Hanoi solver | boost from the last 1^n 2^n program) / P(final Hanoi solver).

    Above 1 would mean the 1^n 2^n code makes the Hanoi solver more probable (the paper's transfer)."""
    han = [p for p in frozen if p["fam"] == HANOI]
    anbn = [p for p in frozen if p["fam"] == ANBN]
    if not han or not anbn:
        return 0.0
    sol = [t for t in han[-1]["tokens"] if t != BOOSTQ]
    return program_prob([BOOSTQ] + sol, anbn[-1]["tokens"]) / program_prob(sol, [])


def evaluate(cfg, out):
    """Metrics of a trained run (the ledger's names)."""
    tasks, frozen, code = out["tasks"], out["frozen"], out["code"]
    solved = [t for t in tasks if t["solved"]]
    steps = sum(t["steps"] for t in tasks)
    nodes = sum(t["nodes"] for t in tasks)
    executed = [t for t in tasks if not t.get("replayed")]
    ex_wall = sum(t["wall"] for t in executed)
    han = [t for t in tasks if t["fam"] == HANOI]
    anbn = [t for t in tasks if t["fam"] == ANBN]
    m = dict(
        tasks_solved=len(solved),
        anbn_solved=sum(t["solved"] for t in anbn),
        hanoi_solved=sum(t["solved"] for t in han),
        anbn_general_at=first_of_final(tasks, ANBN),
        hanoi_general_at=first_of_final(tasks, HANOI),
        total_steps=steps,
        # search effort to a family's last solver: NaN ("never") unless every task of the family was solved
        anbn_search_steps=(sum(t["steps"] for t in anbn if t["solved"] and t["new"] > 0)
                           if len(anbn) == cfg.anbn_max and all(t["solved"] for t in anbn) else float("nan")),
        anbn_steps=sum(t["steps"] for t in anbn),
        hanoi_steps=sum(t["steps"] for t in han),
        hanoi_steps_le6=sum(t["steps"] for t in han if t["n"] <= 6),
        hanoi_search_steps=(sum(t["steps"] for t in han if t["solved"] and t["new"] > 0)
                            if len(han) == cfg.hanoi_max and all(t["solved"] for t in han) else float("nan")),
        hanoi_steps_replayed=sum(t["steps"] for t in han if t.get("replayed")),
        programs_tested=nodes,
        tasks_reused=sum(t.get("reused", 0) for t in solved),
        tasks_prolonged=sum(1 for t in solved if t["by"] == "prolong"),
        hanoi_uses_boostq=int(any("boostq" in t["program"].split() for t in han if t["solved"])),
        executed_steps=sum(t["steps"] for t in executed),
    )
    # throughput goes to stderr, not into the metrics: wall-clock is not reproducible
    progress(f"throughput on executed tasks: {sum(t['steps'] for t in executed) / max(ex_wall, 1e-9):.3g} "
             f"instructions/s, {sum(t['nodes'] for t in executed) / max(ex_wall, 1e-9):.3g} programs/s "
             f"({ex_wall:.2f} s); all tasks {sum(t['wall'] for t in tasks):.2f} s")
    m["boost_gain_hanoi"] = boost_gain(frozen)
    hprogs = [p for p in frozen if p["fam"] == HANOI]
    if hprogs and cfg.verify_max > 0:
        t0 = time.perf_counter()
        ok_to, st, opt = verify_hanoi(cfg, hprogs[-1], code, out.get("replay_ok"))
        progress(f"verified n = 1..{ok_to} in {time.perf_counter() - t0:.2f} s")
        m["verified_max_n"] = ok_to
        m["optimal_max_n"] = max([0] + [n for n in range(1, ok_to + 1) if all(opt.get(j) for j in range(1, n + 1))])
        m["steps_hanoi30"] = float(st.get(30, float("nan")))
    else:
        m["verified_max_n"] = 0
        m["optimal_max_n"] = 0
        m["steps_hanoi30"] = float("nan")
    return m


def run(cfg, seed) -> dict:
    out = train(cfg, seed)
    metrics = evaluate(cfg, out)
    n_tasks = len(task_list(cfg))
    metrics["solved"] = int(metrics["tasks_solved"] == n_tasks and metrics["verified_max_n"] >= min(cfg.verify_max, cfg.hanoi_max))
    return metrics


def main(argv=None) -> int:
    return cli_main(argv, slug=SLUG, doc=__doc__, config_cls=Config, smoke=SMOKE, run=run)


# ----------------------------------------------------------------------------- pasted snippets
# Shared plumbing, pasted verbatim from snippets/ (python3 -m catalog.snippets); the paper's
# algorithm is everything above.

# >>> snippet: seeds (canonical: snippets/seeds.py; edit there, then run python3 -m catalog.snippets)
def rng_streams(seed, names):
    """Independent named generators spawned from one SeedSequence(seed); same seed and names, same streams."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
# <<< snippet: seeds


# >>> snippet: record (canonical: snippets/record.py; edit there, then run python3 -m catalog.snippets)
def config_fingerprint(cfg):
    """Short hash of every Config value: the ledger stores it to tell when a command's meaning changed."""
    import dataclasses, hashlib, json
    text = json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def write_record(path, slug, seed, smoke, cfg, metrics, wall_s):
    """Write one run record in the catalog's JSON schema (SPEC.md, 'Run records'); NaN metrics allowed."""
    import dataclasses, json, platform
    config = dataclasses.asdict(cfg)
    if callable(globals().get("values_used")):  # a stub whose Config has placeholders ("0 = the paper's
        config = values_used(cfg)               # value") records the values the run actually used
    record = {
        "schema": 2,
        "slug": slug,
        "seed": seed,
        "smoke": bool(smoke),
        "config": config,
        "config_sha": config_fingerprint(cfg),
        "metrics": metrics,
        "wall_s": round(float(wall_s), 3),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    with open(path, "w") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
        fh.write("\n")
# <<< snippet: record


# >>> snippet: cli (canonical: snippets/cli.py; edit there, then run python3 -m catalog.snippets)
import argparse, dataclasses, inspect, math, re, sys, time

_T0 = time.perf_counter()


def progress(msg):
    """One progress line on stderr, stamped with seconds since start."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def _field_help(cls):
    """The trailing comment of each `name: type = default  # comment` line of a Config class."""
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    return {m[1]: m[2].strip() for m in re.finditer(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+)$", src, re.M)}


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(cls, doc, smoke):
    """argparse parser: the catalog's fixed flags plus one --flag per Config field."""
    p = OneLineParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="master seed of every random stream (default 0)")
    p.add_argument("--smoke", action="store_true",
                   help="reduced run that exercises every code path in <= 10 s (overrides: %s)"
                   % ", ".join(f"{k}={v}" for k, v in smoke.items()).replace("%", "%%"))
    p.add_argument("--gradcheck", action="store_true",
                   help="compare every hand-written backward pass with central differences; exit 1 above tolerance")
    p.add_argument("--json", metavar="PATH", help="write the run record (config, metrics, wall-clock) to PATH")
    helps = _field_help(cls)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        text = ("%s (default %s)" % (helps.get(f.name, ""), f.default)).replace("%", "%%")
        if isinstance(f.default, bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            p.add_argument(flag, dest=f.name, type=type(f.default), default=None, help=text,
                           choices=f.metadata.get("choices"),
                           metavar=None if f.metadata.get("choices") else type(f.default).__name__.upper())
    return p


def parse_config(argv, config_cls, doc="", smoke=None):
    """(Config, parsed flags, parser) for a command line; a bad value exits 2 with one line."""
    smoke = smoke or {}
    parser = build_parser(config_cls, doc, smoke)
    args = parser.parse_args(argv)
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)
             if getattr(args, f.name) is not None}
    try:
        cfg = config_cls(**{**(smoke if args.smoke else {}), **given})
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    return cfg, args, parser


def cli_main(argv, *, slug, doc, config_cls, smoke, run, gradcheck=None, tol=1e-5):
    """Parse flags, build the Config, then run the headline (or smoke / gradcheck) and report.

    A metric may be NaN ("never reached": a claim on it then fails); the run still exits 0."""
    cfg, args, parser = parse_config(argv, config_cls, doc, smoke)
    if args.gradcheck:
        if gradcheck is None:
            parser.error("this experiment has no hand-written backward pass to check")
        errors = gradcheck(cfg, args.seed)
        for name, err in errors.items():
            print(f"gradcheck {name:<28s} max rel err {err:.2e}  {'ok' if err <= tol else 'FAIL'}")
        bad = [k for k, e in errors.items() if not e <= tol]
        print(f"gradcheck: {len(errors) - len(bad)}/{len(errors)} within {tol:g}")
        return 1 if bad else 0
    t0 = time.perf_counter()
    metrics = run(cfg, args.seed)
    wall = time.perf_counter() - t0
    metrics = {k: (int(v) if isinstance(v, (bool, int, np.integer, np.bool_)) else float(v)) for k, v in metrics.items()}
    for k, v in metrics.items():
        print(f"{k:<28s} {v}")
    print(f"{'wall_s':<28s} {wall:.2f}")
    if args.smoke:
        print("(smoke run: a reduced config that checks the code path end to end; it is not expected to solve)")
    if args.json:
        write_record(args.json, slug, args.seed, args.smoke, cfg, metrics, wall)
    return 0
# <<< snippet: cli



if __name__ == "__main__":
    sys.exit(main())
