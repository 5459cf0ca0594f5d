"""The catalog's shared tooling, as one package: used by reproduce.py, the tests and the book builder.

    stubs   discovery of experiment folders, reading a stub's declarations, code hashes, snippets
    claims  a stub's CLAIMS: parsing, judging, the Config a ledger command runs with
    ledger  RESULTS.md's rows: reading, merging fresh runs, the ledger's contract checks
    render  generated text: RESULTS.md, VISUAL_TOUR.md, the READMEs' generated blocks
    runner  running stubs (a local process pool, or a Dask cluster), run records, seed aggregation
    book    the mdBook sources and the built site's checks (python3 -m catalog.book)
    bench   fixed amounts of work per model family, timed (python3 -m catalog.bench)

Experiment folders never import it: each runs with its own files and numpy, matplotlib, pillow.
The names most callers need are re-exported here (catalog.read_ledger, catalog.run_stub, ...).
"""
from .claims import (KIND_TEXT, KINDS, VERDICTS, Claim, claim_holds, claims_of, config_of, default_kind,  # noqa: F401
                     fingerprint, fmt, judge, meta_of, parse_claim, parse_measured)
from .ledger import (LEDGER_BEGIN, LEDGER_COLUMNS, LEDGER_END, Row, figure_of, figure_problems,  # noqa: F401
                     headline_row, ledger_problems, merge_rows, paper_rows, read_ledger, rows_from_run,
                     sort_rows)
from .render import (count_text, criterion_text, figure_text, folder_headline, render_results,  # noqa: F401
                     render_tour, rendered_files, replace_block, results_table, status_of, summary_table,
                     update_ledger, write_rendered)
from .runner import (CACHE, RunError, aggregate, cache_path, child_env, expand, parse_seeds,  # noqa: F401
                     run_command, run_stub)
from .stubs import (DECLARATIONS, ERAS, README_SECTIONS, RESULTS, ROOT, SNIPPET_BLOCK, SNIPPETS,  # noqa: F401
                    STATUSES, TIERS, OneLineParser, code_hash, discover, env_string, era_of, load_stub,
                    module_name, snippet_names, source_hash, stub_path, sync_snippets)
