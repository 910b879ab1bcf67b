<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Granularities of Library::coarsenDate(); the values are ILSP_DATE_*. */
enum DateGranularity: int
{
    /** YYYY-MM-DD. */
    case Day = 0;

    /** ISO 8601 week YYYY-Www. */
    case IsoWeek = 1;

    /** YYYY-MM. */
    case Month = 2;
}
