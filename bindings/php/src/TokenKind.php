<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Kinds of token (Tokenizer); the values are ILSP_TOKEN_*. */
enum TokenKind: int
{
    /** Compatibility tokens: the 64 lowercase hex characters of HMAC-SHA256(key, id). */
    case Compat = 0;

    /** Versioned tokens: v1.<key id>.<body>. */
    case V1 = 1;
}
