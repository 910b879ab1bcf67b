<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Statuses of a suppressed table's entries (Library::suppressSmallCells()); the values are ILSP_CELL_*. */
enum Cell: int
{
    /** A published entry. */
    case Published = 0;

    /** Hidden: a count from 1 to k - 1. */
    case Primary = 1;

    /** Hidden so that primary suppressions cannot be recomputed from the totals. */
    case Complementary = 2;
}
