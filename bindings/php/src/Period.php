<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** The span a budget account's limit bounds (Budget::setPeriod()); the values are ILSP_PERIOD_*. */
enum Period: int
{
    /** Every spend ever made (the default). */
    case Lifetime = 0;

    /** The spends of the current UTC calendar year. */
    case CalendarYear = 1;

    /** The spends of the current UTC calendar month. */
    case CalendarMonth = 2;
}
