<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Noise kinds of the accountant and the planning helpers; the values are ILSP_NOISE_*. */
enum Noise: int
{
    /** Laplace noise: the sensitivity is the L1 sensitivity, the scale b. */
    case Laplace = 0;

    /** Gaussian noise: the sensitivity is the L2 sensitivity, the scale the standard deviation sigma. */
    case Gaussian = 1;

    /** Discrete Laplace noise on integers: L1 sensitivity and scale t. */
    case DiscreteLaplace = 2;

    /** Discrete Gaussian noise: the sensitivity is the L2 sensitivity, the scale the standard deviation sigma. */
    case DiscreteGaussian = 3;
}
