<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Noise of Aggregator::release(); the values are ILSP_TABLE_NOISE_*. */
enum TableNoise: int
{
    /** Discrete Laplace; the parameters are epsilon. */
    case Laplace = 0;

    /** Discrete Gaussian; the parameters are rho (zCDP accounts). */
    case Gaussian = 1;
}
