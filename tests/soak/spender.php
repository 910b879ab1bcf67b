<?php
/**
 * A budget spender for the mixed-language soak test (budget_soak.py), through
 * the PHP binding: spends epsilon, then releases a Laplace-noised value, until
 * refused; prints "<seq> <value>" only after each release. Exit status: 0 when
 * refused, 3 on a ledger I/O error, 2 on anything else.
 */

declare(strict_types=1);

require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

use IlsPrivacy\Budget;
use IlsPrivacy\BudgetExhaustedException;
use IlsPrivacy\LedgerIoException;
use IlsPrivacy\Library;

[, $ledger, $account, $epsilon] = $argv;
$epsilon = (float) $epsilon;
try {
    $budget = new Budget($ledger);
} catch (LedgerIoException $e) {
    exit(3);
}
$lib = Library::load();
$out = fopen('php://stdout', 'w');
try {
    while (true) {
        $seq = $budget->spend($account, $epsilon);
        $value = $lib->laplace(100.0, 1.0, $epsilon);
        fwrite($out, sprintf("%d %.17g\n", $seq, $value));
        fflush($out);
    }
} catch (BudgetExhaustedException $e) {
    exit(0);
} catch (LedgerIoException $e) {
    exit(3);
} catch (\Throwable $e) {
    fwrite(STDERR, 'spender.php: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(2);
}
