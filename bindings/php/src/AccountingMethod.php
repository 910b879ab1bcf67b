<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Composition methods of the accountant and the planning helpers; the values are ILSP_ACCOUNTING_*. */
enum AccountingMethod: int
{
    /** Basic composition: the sum of the epsilons and of the deltas of the releases. */
    case Basic = 0;

    /** Advanced composition (Dwork, Rothblum, Vadhan); pure and (epsilon, delta) releases only. */
    case Advanced = 1;

    /** Optimal composition of k identical (epsilon0, delta0) releases (Kairouz, Oh, Viswanath). */
    case OptimalHomogeneous = 2;

    /** zCDP (exact for Gaussian-only sequences, CKS20 conversion otherwise). */
    case Zcdp = 3;

    /** Renyi DP with the CKS20 conversion. */
    case Rdp = 4;

    /** Privacy-loss distributions (pessimistic grid, FFT composition). */
    case Pld = 5;

    /** The best (smallest) result of the methods that apply (the default). */
    case Best = 6;
}
