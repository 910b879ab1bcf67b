<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** How a budget account adds up its spends (Budget::setComposition()); the values are ILSP_COMPOSITION_*. */
enum Composition: int
{
    /** Basic composition: epsilon and delta add up (the default). */
    case Basic = 0;

    /** zCDP composition: rho adds up (CKS20 bound for an (epsilon, delta) limit). */
    case Zcdp = 1;
}
