<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** How key material is stored in a file or environment variable (Key::fromFile(), Key::fromEnv()); the values are ILSP_KEY_*. */
enum KeyEncoding: int
{
    /** The bytes themselves. */
    case Raw = 0;

    /** Hexadecimal text. */
    case Hex = 1;
}
