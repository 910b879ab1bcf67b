<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Encodings of a versioned token's body (Tokenizer::setFormat()); the values are ILSP_BODY_*. */
enum TokenBody: int
{
    /** Lowercase hex. */
    case Hex = 0;

    /** Unpadded lowercase base32 (the default). */
    case Base32 = 1;
}
