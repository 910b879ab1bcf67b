<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * Normalisation steps applied to an ID before it is tokenized; the values are
 * the ILSP_NORM_* flags. Methods of Tokenizer take one case or a list of
 * cases (their flags are combined): [Normalization::Trim, Normalization::CaseFold].
 */
enum Normalization: int
{
    /** No normalisation: IDs are hashed byte for byte. */
    case None = 0;

    /** Remove leading and trailing whitespace. */
    case Trim = 1;

    /** Unicode lowercase. */
    case CaseFold = 2;

    /** Remove whitespace and barcode separators (-._/: and Unicode dashes). */
    case StripSeparators = 4;

    /** For library barcodes: trim, case fold and strip separators. */
    case Barcode = 7;

    /**
     * The flags of $steps combined, as the C functions take them.
     *
     * @param Normalization|list<Normalization> $steps
     * @throws \TypeError if a list entry is not a Normalization.
     */
    public static function flags(Normalization|array $steps): int
    {
        if ($steps instanceof self) {
            return $steps->value;
        }
        $flags = 0;
        foreach ($steps as $step) {
            if (!$step instanceof self) {
                throw new \TypeError('normalization steps must be IlsPrivacy\Normalization cases, got ' . get_debug_type($step));
            }
            $flags |= $step->value;
        }
        return $flags;
    }
}
