"""Soak test of one budget ledger shared by spenders in three languages, under
random SIGKILLs and random write failures.

Batches of spender processes — C (spender.c, built here against the shared
library), Python (spender.py, through bindings/python) and PHP (spender.php,
through bindings/php) — spend on accounts of one ledger file at once. Some
are killed with SIGKILL at a random moment; some run under RLIMIT_FSIZE a
random number of bytes past the ledger's end (SIGXFSZ ignored, so a write
past it fails with EFBIG) and are cut in the middle of a spend, or of a
repair of an earlier cut spend. Each spender prints "<seq> <value>" only
after the value left the library.

Checked, independently of the library (by reading the ledger's lines):

- the ledger always verifies after a batch, and always opens;
- every released value has its spend entry in the ledger (same account and
  sequence number), so released values never exceed recorded spends;
- no account is ever charged past its limit (exact decimals), and what the
  library reports as spent is the sum of the ledger's spend and torn-tail
  entries;
- every cut spend is charged: each spend left cut at the end of the file
  after a batch (recorded before anything repairs it), and each unfinished
  write kept in the ledger, is charged its cost if the cut bytes show it,
  everything the account had if they show only the account.

Usage: budget_soak.py --lib target/release/libilsprivacy.so [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bindings" / "python"))

CANCEL = b"\x18"
LIMIT = Decimal("0.2")
EPSILONS = ["0.004", "0.01", "0.02"]
SPEND_START = b'{"v":1,"kind":"spend","account":"'


def fail(message: str) -> None:
    print(f"budget soak: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def entries(ledger: Path) -> list[tuple[list[bytes], dict]]:
    """The ledger's entries, each with the cancelled lines (unfinished writes
    kept in place) right before it; cancelled lines must precede an entry."""
    out, cancelled = [], []
    data = ledger.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for i, line in enumerate(lines):
        if line.endswith(CANCEL):
            cancelled.append(line[:-1])
            continue
        try:
            v = json.loads(line)
        except ValueError:
            if i == len(lines) - 1 and not data.endswith(b"\n"):
                break  # an unfinished write not yet repaired
            fail(f"line {i} is neither an entry nor a cancelled fragment")
        out.append((cancelled, v))
        cancelled = []
    return out


def cut_spend(fragment: bytes) -> tuple[str, Decimal | None] | None:
    """(account, epsilon or None) of a cut spend line, if its account shows."""
    if not fragment.startswith(SPEND_START):
        return None
    rest = fragment[len(SPEND_START) :].decode("utf-8", "replace")
    if '",' not in rest:
        return None
    account, rest = rest.split('",', 1)
    eps = None
    if rest.startswith('"epsilon":"') and '","delta":"' in rest:
        e, after = rest[len('"epsilon":"') :].split('","delta":"', 1)
        if '",' in after:
            eps = Decimal(e)
    return account, eps


def tail_of(ledger: Path) -> tuple[int, bytes]:
    data = ledger.read_bytes()
    start = data.rfind(b"\n") + 1
    return start, data[start:]


def limit_file_size(max_bytes: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return preexec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    lib = Path(args.lib).resolve()
    os.environ["ILSPRIVACY_LIB"] = str(lib)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    print(f"budget soak: seed {seed}, {args.seconds:.0f} s")

    import ilsprivacy  # after ILSPRIVACY_LIB is set

    work = Path(tempfile.mkdtemp(prefix="ilsp-soak-"))
    try:
        spender_c = work / "spender"
        # The C spender loads the library by its SONAME (libilsprivacy.so.X.Y),
        # which the build directory does not hold: link one next to it.
        libdir = work / "lib"
        libdir.mkdir()
        dynamic = subprocess.run(["readelf", "-d", str(lib)], check=True, capture_output=True, text=True).stdout
        soname = re.search(r"\(SONAME\).*\[(.+)\]", dynamic)
        if soname is None:
            raise SystemExit(f"budget soak: {lib} has no SONAME")
        (libdir / soname.group(1)).symlink_to(lib.resolve())
        (libdir / "libilsprivacy.so").symlink_to(lib.resolve())
        subprocess.run(
            ["cc", "-Wall", "-Wextra", "-Werror", "-std=c99", f"-I{ROOT / 'include'}",
             str(ROOT / "tests" / "soak" / "spender.c"), f"-L{libdir}", "-lilsprivacy",
             f"-Wl,-rpath,{libdir}", "-o", str(spender_c)],
            check=True,
        )
        commands = {
            "c": [str(spender_c)],
            "python": [sys.executable, str(ROOT / "tests" / "soak" / "spender.py")],
            "php": ["php", str(ROOT / "tests" / "soak" / "spender.php")],
        }
        ledger = work / "soak.ledger"
        accounts: list[str] = []

        def new_account() -> None:
            accounts.append(f"soak/{len(accounts)}")
            with ilsprivacy.Budget(str(ledger)) as b:
                b.set_limit(accounts[-1], float(LIMIT), reason="soak")
            released[accounts[-1]] = set()

        released: dict[str, set[int]] = {}
        for _ in range(6):
            new_account()
        cut_at_end: dict[int, tuple[str, Decimal | None]] = {}
        stats = {"spenders": 0, "killed": 0, "size_limited": 0, "io_errors": 0, "batches": 0}
        by_language = {k: 0 for k in commands}
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            stats["batches"] += 1
            size = ledger.stat().st_size
            batch = []
            # Now and then a lone spender with little room: cut mid-spend.
            solo = rng.random() < 0.25
            for _ in range(1 if solo else rng.randint(3, 6)):
                language = rng.choice(list(commands))
                account = rng.choice(accounts[-6:])
                eps = rng.choice(EPSILONS)
                limited = solo or rng.random() < 0.3
                room = rng.randrange(0, 600 if solo else 3000)
                preexec = limit_file_size(size + room) if limited else None
                p = subprocess.Popen(
                    commands[language] + [str(ledger), account, eps],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    preexec_fn=preexec,
                )
                kill_after = rng.uniform(0.0, 0.5) if rng.random() < 0.4 else None
                batch.append((p, language, account, limited, kill_after, time.monotonic()))
                by_language[language] += 1
                stats["spenders"] += 1
                stats["size_limited"] += limited
            for p, language, account, limited, kill_after, started in batch:
                if kill_after is not None:
                    time.sleep(max(0.0, started + kill_after - time.monotonic()))
                    p.send_signal(signal.SIGKILL)
                out, err = p.communicate(timeout=120)
                code = p.returncode
                if code == -signal.SIGKILL:
                    stats["killed"] += 1
                elif code == 3 and limited:
                    stats["io_errors"] += 1
                elif code != 0:
                    fail(f"a {language} spender ended with {code}: {err.decode(errors='replace')}")
                # One write per line (atomic on a pipe): a kill never cuts one.
                for line in out.decode().splitlines():
                    seq, value = line.split(" ", 1)
                    float(value)
                    released[account].add(int(seq))
            # What a cut spend left at the end, before anything repairs it.
            start, tail = tail_of(ledger)
            spend = cut_spend(tail.rstrip(CANCEL))
            if spend is not None:
                cut_at_end.setdefault(start, spend)
            try:
                ilsprivacy.Budget.check_ledger(str(ledger))
            except ilsprivacy.IlsPrivacyError as e:
                fail(f"after batch {stats['batches']} the ledger does not verify: {e}")
            if rng.random() < 0.3:
                ilsprivacy.Budget(str(ledger)).close()  # repairs now and then
            new_account()  # fresh budget to spend

        with ilsprivacy.Budget(str(ledger)) as b:
            spent = {a: b.spent(a)[0] for a in accounts}
        checked = ilsprivacy.Budget.check_ledger(str(ledger))
        if checked["torn_tail_bytes"] != 0:
            fail("an open left an unfinished write")

        # Independent accounting from the ledger's lines.
        spends: dict[str, set[int]] = {a: set() for a in accounts}
        charged = {a: Decimal(0) for a in accounts}
        recorded = {a: Decimal(0) for a in accounts}
        kept_fragments = 0
        for cancelled, v in entries(ledger):
            kind, account = v["kind"], v.get("account")
            if kind == "spend":
                spends[account].add(v["seq"])
                charged[account] += Decimal(v["epsilon"])
                recorded[account] += Decimal(v["epsilon"])
            elif kind == "torn_tail":
                if account is not None:
                    charged[account] += Decimal(v.get("epsilon", "0"))
                if cancelled:
                    kept_fragments += 1
                    shown = cut_spend(cancelled[0])
                    if shown is not None:
                        a, eps = shown
                        if v.get("account") != a:
                            fail(f"a cut spend on {a} was charged to {v.get('account')}")
                        if eps is not None and (v["charge"] != "recovered" or Decimal(v["epsilon"]) != eps):
                            fail(f"a cut spend of {eps} on {a} was charged {v}")
                        if eps is None and v["charge"] != "remaining":
                            fail(f"a cut spend on {a} without its cost was charged {v}")
            elif cancelled:
                fail("cancelled lines before an entry that is not a torn_tail")
        total_released = 0
        for a in accounts:
            missing = released[a] - spends[a]
            if missing:
                fail(f"{a}: values released without a spend: {sorted(missing)[:5]}")
            total_released += len(released[a])
            if charged[a] > LIMIT:
                fail(f"{a}: charged {charged[a]} past the limit {LIMIT}")
            if abs(Decimal(repr(spent[a])) - charged[a]) > Decimal("1e-12"):
                fail(f"{a}: the library reports {spent[a]}, the ledger sums to {charged[a]}")
            least, everything = recorded[a], False
            for account, eps in cut_at_end.values():
                if account == a:
                    if eps is None:
                        everything = True
                    else:
                        least += eps
            if everything and charged[a] != LIMIT:
                fail(f"{a}: a cut spend showed only the account, yet {charged[a]} < {LIMIT} charged")
            if charged[a] < min(least, LIMIT):
                fail(f"{a}: charged {charged[a]} < {least} recorded and cut")
        print(
            "budget soak: ok: {batches} batches, {spenders} spenders ({langs}), {killed} killed, "
            "{size_limited} under a file-size limit ({io_errors} cut by EFBIG); {released} values "
            "released, {spends} spends recorded, {cut} cut spends seen at the end, {kept} unfinished "
            "writes kept and charged".format(
                langs=", ".join(f"{n} {k}" for k, n in by_language.items()),
                released=total_released,
                spends=sum(len(s) for s in spends.values()),
                cut=len(cut_at_end),
                kept=kept_fragments,
                **stats,
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
