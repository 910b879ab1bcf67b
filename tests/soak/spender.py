"""A budget spender for the mixed-language soak test (budget_soak.py), through
the Python binding: spends epsilon, then releases a Laplace-noised value,
until refused; prints "<seq> <value>" only after each release. Exit status:
0 when refused, 3 on a ledger I/O error, 2 on anything else."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))

import ilsprivacy  # noqa: E402


def main() -> int:
    ledger, account, epsilon = sys.argv[1], sys.argv[2], float(sys.argv[3])
    try:
        budget = ilsprivacy.Budget(ledger)
    except ilsprivacy.LedgerIOError:
        return 3
    try:
        while True:
            seq = budget.spend(account, epsilon)
            value = ilsprivacy.laplace(100.0, 1.0, epsilon)
            os.write(1, f"{seq} {value!r}\n".encode())
    except ilsprivacy.BudgetExhaustedError:
        return 0
    except ilsprivacy.LedgerIOError:
        return 3
    finally:
        budget.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001
        print(f"spender.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
