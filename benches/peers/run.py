#!/usr/bin/env python3
"""The peer comparison in one run: this library against what users would pick
instead, on the same workloads, in one process tree and one session.

    benches/peers/run.sh [--quick] [--out FILE]

(`run.sh` makes the venv with the pinned peers of requirements.txt and builds
the library in release mode, then runs this file with the venv's Python.)

Areas and peers:

- float Laplace / Gaussian noise per sample: numpy's generators (floating
  point, not safe for privacy) and OpenDP's exact samplers, against
  ``ilsp_laplace_batch`` / ``ilsp_gaussian_batch`` (``peers.py``);
- tokenization per ID: CPython's ``hmac.new(key, id, sha256).hexdigest()``
  against ``ilsp_tokenize_batch`` (``token_hmac.py``);
- accounting (ε of a sequence of releases): Google's dp_accounting PLD and
  RDP accountants (``accounting_timing.py``) against the library's PLD and
  RDP accounting through the Python binding (call overhead included);
- streaming aggregation (count per branch with per-patron contribution
  bounds, then noise): a pandas group-by pipeline doing the same bounding
  plus numpy noise, and the naive pandas count plus noise with no bounding,
  against the library's aggregator through the Python binding: from numpy
  columns (fixed-width bytes arrays, read in place), from columns packed once
  (``PackedColumn``; as pandas gets its DataFrame) and from Python lists
  (packing included).

Every figure is a median of repeated runs; the ratio column is peer time
divided by ours (above 1: this library is faster). Prints the table and
writes it as Markdown (default benches/peers/results.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LIB = os.environ.get("ILSPRIVACY_LIB", str(ROOT / "target" / "release" / "libilsprivacy.so"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))
os.environ["ILSPRIVACY_LIB"] = LIB


@dataclass
class Row:
    area: str
    workload: str
    unit: str
    ours_label: str
    ours: float
    peer_label: str
    peer: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.peer / self.ours


def median_time(fn, repeats: int, per: int = 1, clock=time.perf_counter_ns) -> float:
    """Median over `repeats` runs of `fn`, in ns per unit of work (`per`)."""
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = clock()
        fn()
        samples.append((clock() - start) / per)
    return statistics.median(samples)


def run_script(script: str, *args: str, env: dict | None = None) -> str:
    full_env = dict(os.environ, **(env or {}))
    out = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        check=True,
        capture_output=True,
        text=True,
        env=full_env,
    )
    return out.stdout


# --- noise ------------------------------------------------------------------


def noise(quick: bool) -> list[Row]:
    out = run_script("peers.py", env={"PEERS_N": "100000" if quick else "1000000"})
    ns = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^(.+?)\s+([\d.]+) ns/sample$", out, re.M)}
    rows = []
    for kind, ours_key, numpy_key, opendp_key in [
        ("Laplace", "ilsprivacy ilsp_laplace_batch (exact)", "numpy laplace (unsafe floats)", "opendp make_laplace (exact)"),
        ("Gaussian", "ilsprivacy ilsp_gaussian_batch (exact)", "numpy normal (unsafe floats)", "opendp make_gaussian (exact)"),
    ]:
        ours = ns[ours_key]
        rows.append(Row("noise", f"float {kind}, batch", "ns/sample", f"ilsp_{kind.lower()}_batch (exact)", ours,
                        f"numpy {'laplace' if kind == 'Laplace' else 'normal'} (float, not private)", ns[numpy_key],
                        "numpy adds float noise to floats (Mironov 2012): not a private release"))
        if opendp_key in ns:
            rows.append(Row("noise", f"float {kind}", "ns/sample", f"ilsp_{kind.lower()}_batch (exact)", ours,
                            f"OpenDP make_{kind.lower()} (exact)", ns[opendp_key]))
    return rows


# --- tokenization -----------------------------------------------------------


def tokens(quick: bool) -> list[Row]:
    import random

    rng = random.Random(7)
    n = 1024 if quick else 4096
    ids = [str(21234000000000 + rng.randrange(10**9))[: rng.choice([10, 12, 14])] for _ in range(n)]
    key = bytes(rng.randrange(256) for _ in range(32)).hex()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(ids) + "\n")
        path = f.name
    try:
        result = json.loads(run_script("token_hmac.py", path, key))
    finally:
        os.unlink(path)
    if "library_batch" not in result:
        raise SystemExit(f"token peers: the library did not load: {result.get('binding_error')}")
    return [
        Row("tokenization", f"{n} barcode-like IDs, compatibility tokens", "ns/ID", "ilsp_tokenize_batch",
            result["library_batch"], "CPython hmac.new(...).hexdigest()", result["python_hmac"],
            "thread CPU time, same IDs and key, outputs checked equal"),
        Row("tokenization", f"{n} IDs, from Python", "ns/ID", "Tokenizer.tokenize_many (binding)",
            result["binding_batch"], "CPython hmac.new(...).hexdigest()", result["python_hmac"],
            "includes packing the Python strings"),
    ]


# --- accounting -------------------------------------------------------------


def accounting(quick: bool) -> list[Row]:
    from ilsprivacy import accountant as acct

    out = run_script("accounting_timing.py")
    found = list(re.finditer(r"dp_accounting (\S+): median ([\d.]+) ms, value (\S+)", out))
    theirs = {m.group(1): float(m.group(2)) for m in found}
    their_values = {m.group(1): float(m.group(3)) for m in found}
    repeats = 5 if quick else 15
    workloads = [
        ("pld_1000_gaussians_epsilon", "PLD, 1000 Gaussians σ/Δ = 10, ε at δ = 1e-6",
         lambda: acct.plan_epsilon(acct.NOISE_GAUSSIAN, 1.0, 10.0, 1000, 1e-6, acct.ACCOUNTING_PLD)),
        ("pld_100_laplace_epsilon", "PLD, 100 Laplace b/Δ = 10, ε at δ = 1e-6",
         lambda: acct.plan_epsilon(acct.NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6, acct.ACCOUNTING_PLD)),
        ("pld_37_laplace_b3_epsilon_1e-9", "PLD, 37 Laplace b/Δ = 3, ε at δ = 1e-9",
         lambda: acct.plan_epsilon(acct.NOISE_LAPLACE, 1.0, 3.0, 37, 1e-9, acct.ACCOUNTING_PLD)),
        ("rdp_1000_gaussians_epsilon", "RDP, 1000 Gaussians σ/Δ = 10, ε at δ = 1e-6",
         lambda: acct.plan_epsilon(acct.NOISE_GAUSSIAN, 1.0, 10.0, 1000, 1e-6, acct.ACCOUNTING_RDP)),
        ("rdp_100_laplace_epsilon", "RDP, 100 Laplace b/Δ = 10, ε at δ = 1e-6",
         lambda: acct.plan_epsilon(acct.NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6, acct.ACCOUNTING_RDP)),
    ]
    rows = []
    for key, label, fn in workloads:
        ours_ms = median_time(fn, repeats) / 1e6
        method = "PLD" if key.startswith("pld") else "RDP"
        peer = "PLDAccountant" if method == "PLD" else "RdpAccountant"
        note = f"{label}: ε ours {fn()!r} (an upper bound), dp_accounting {their_values[key]!r}"
        rows.append(Row("accounting", label, "ms", f"ilsp_plan_epsilon ({method}, via Python)", ours_ms,
                        f"dp_accounting {peer}", theirs[key], note))
    return rows


# --- streaming aggregation --------------------------------------------------


def aggregation(quick: bool) -> list[Row]:
    import numpy as np
    import pandas as pd

    import ilsprivacy
    from ilsprivacy import Aggregator, PackedColumn

    events = 200_000 if quick else 1_000_000
    patrons = events // 10
    branches = 20
    l0, linf, epsilon = 3, 5, 1.0
    rng = np.random.default_rng(2024)
    weights = 1.0 / np.arange(1, patrons + 1) ** 0.8
    weights /= weights.sum()
    patron = rng.choice(patrons, size=events, p=weights)
    home = rng.integers(0, branches, size=patrons)
    away = rng.random(events) < 0.2
    branch = np.where(away, rng.integers(0, branches, size=events), home[patron])
    tokens = np.array([f"{x:064x}" for x in rng.integers(0, 2**63, size=patrons)])
    units = tokens[patron].tolist()
    parts = [f"BR{b:02d}" for b in branch]
    public = [f"BR{b:02d}" for b in range(branches)]
    df = pd.DataFrame({"unit": units, "branch": parts})
    # numpy columns, built outside the timing as the DataFrame is: the tokens
    # as fixed-width bytes (dtype S64) and the branch codes (S4).
    np_units = tokens.astype("S64")[patron]
    np_parts = np.array(parts, dtype="S4")
    repeats = 3 if quick else 7

    def ours() -> None:
        agg = Aggregator(l0, public_partitions=public)
        agg.add_batch(units, parts)
        budget = ilsprivacy.Budget()
        budget.set_limit("bench", epsilon=epsilon)
        table = agg.release(budget, "bench", max_contributions_per_partition=linf, epsilon=epsilon)
        assert len(table.rows) == branches
        agg.close()

    packed_units = PackedColumn.from_strings(units)
    packed_parts = PackedColumn.from_strings(parts)

    def ours_columns(unit_column, part_column) -> None:
        agg = Aggregator(l0, public_partitions=public)
        agg.add_batch(unit_column, part_column)
        budget = ilsprivacy.Budget()
        budget.set_limit("bench", epsilon=epsilon)
        table = agg.release(budget, "bench", max_contributions_per_partition=linf, epsilon=epsilon)
        assert len(table.rows) == branches and agg.stats().events == events
        agg.close()

    def ours_numpy() -> None:
        ours_columns(np_units, np_parts)

    def ours_packed() -> None:
        # Columns packed once, outside the timing, as the DataFrame is for pandas.
        ours_columns(packed_units, packed_parts)

    def pandas_bounded() -> None:
        # The same contribution bounding: per (patron, branch) at most L∞,
        # per patron at most L0 branches chosen at random, then Laplace noise
        # of scale L0·L∞/ε on each public branch's count.
        cells = df.groupby(["unit", "branch"], sort=False).size().clip(upper=linf).reset_index(name="n")
        cells["r"] = rng.random(len(cells))
        cells = cells.sort_values(["unit", "r"])
        kept = cells[cells.groupby("unit", sort=False).cumcount() < l0]
        counts = kept.groupby("branch")["n"].sum().reindex(public, fill_value=0)
        noisy = counts.to_numpy() + rng.laplace(0.0, l0 * linf / epsilon, size=branches)
        assert len(noisy) == branches

    def pandas_naive() -> None:
        counts = df.groupby("branch").size().reindex(public, fill_value=0)
        noisy = counts.to_numpy() + rng.laplace(0.0, 1.0 / epsilon, size=branches)
        assert len(noisy) == branches

    per = events / 1e6  # per million events
    numpy_ms = median_time(ours_numpy, repeats, per) / 1e6
    packed_ms = median_time(ours_packed, repeats, per) / 1e6
    binding_ms = median_time(ours, repeats, per) / 1e6
    bounded_ms = median_time(pandas_bounded, repeats, per) / 1e6
    naive_ms = median_time(pandas_naive, repeats, per) / 1e6
    label = f"{events:,} events, {patrons:,} patrons, {branches} branches, L0 = {l0}, L∞ = {linf}"
    bounded = "pandas group-by, same bounding, numpy noise"
    return [
        Row("aggregation", label, "ms per 1M events", "Aggregator.add_batch + release (numpy columns, S64/S4)",
            numpy_ms, bounded, bounded_ms,
            "the numpy columns, the packed columns and the DataFrame are all built outside the timing; "
            "ours includes the budget charge and exact discrete noise"),
        Row("aggregation", label, "ms per 1M events", "Aggregator.add_batch + release (PackedColumn)",
            packed_ms, bounded, bounded_ms),
        Row("aggregation", label, "ms per 1M events", "Aggregator.add_batch + release (Python lists)",
            binding_ms, bounded, bounded_ms),
        Row("aggregation", label, "ms per 1M events", "Aggregator.add_batch + release (numpy columns, S64/S4)",
            numpy_ms, "pandas naive count + numpy noise (not private)", naive_ms,
            "no contribution bounding: one patron can move a count without limit, so no ε holds"),
    ]


# --- report -----------------------------------------------------------------


def versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    from importlib import metadata

    for name in ("numpy", "pandas", "opendp", "dp-accounting"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    import ilsprivacy

    parts.insert(0, f"ilsprivacy {ilsprivacy.version()}")
    return ", ".join(parts)


def markdown(rows: list[Row], quick: bool) -> str:
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Produced by `benches/peers/run.sh{' --quick' if quick else ''}` on {date}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {versions()}.",
        "",
        "| area | workload | ilsprivacy | peer | unit | ours | peer | peer / ours | faster |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        faster = "ilsprivacy" if r.ratio > 1 else "peer"
        lines.append(
            f"| {r.area} | {r.workload} | {r.ours_label} | {r.peer_label} | {r.unit} | "
            f"{r.ours:,.4g} | {r.peer:,.4g} | {r.ratio:,.3g}× | {faster} |"
        )
    notes = [f"- {r.peer_label}: {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "Notes:", ""] + sorted(set(notes))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short iteration counts (a smoke run)")
    parser.add_argument("--out", default=str(HERE / "results.md"), help="where to write the Markdown table")
    parser.add_argument("--areas", default="noise,tokenization,accounting,aggregation")
    args = parser.parse_args()
    areas = {"noise": noise, "tokenization": tokens, "accounting": accounting, "aggregation": aggregation}
    rows: list[Row] = []
    for name in args.areas.split(","):
        print(f"==> {name}", file=sys.stderr, flush=True)
        rows += areas[name](args.quick)
    text = markdown(rows, args.quick)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
