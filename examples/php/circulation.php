<?php
/**
 * Checkouts per branch with differential privacy, from PHP.
 *
 * Patron IDs are tokenized (HMAC-SHA256; PHP's hash_hmac gives the library's
 * tokens), each patron's contribution is bounded (at most 2 branches, at most
 * 30 items per branch), two shards are merged through their serialized state
 * (as two PHP-FPM workers or cron jobs would), and the table is released once,
 * charging the budget once. Run from the repository root after
 * `cargo build --release`:
 *
 *     php examples/php/circulation.php
 */

declare(strict_types=1);

// The binding's own autoloader; in a Composer project, vendor/autoload.php.
require dirname(__DIR__, 2) . '/bindings/php/autoload.php';

use IlsPrivacy\Aggregator;
use IlsPrivacy\Budget;

$branches = ['CENTRAL', 'EAST', 'WEST', 'NORTH'];
$keyHex = getenv('ILSPRIVACY_TOKEN_KEY');
$key = $keyHex !== false ? hex2bin($keyHex) : 'ilsprivacy PUBLIC DEMO KEY - not secret, never use in production';
if ($keyHex === false) {
    echo "tokenizing with the PUBLIC DEMO KEY: set ILSPRIVACY_TOKEN_KEY to a secret key (hex) for real data\n";
}

// A synthetic export: 20,000 checkouts of 800 patrons, a few of them very active.
mt_srand(2025);
$rows = [];
for ($i = 0; $i < 20000; $i++) {
    $patron = (int) floor(800 * (mt_rand() / mt_getrandmax()) ** 3);
    $branch = mt_rand(0, 4) === 0 ? $branches[mt_rand(0, 3)] : $branches[$patron % 4];
    $rows[] = [sprintf('21234%09d', $patron), $branch];
}

$job = new Aggregator(2, null, $branches);
$states = [];
foreach (array_chunk($rows, 10000) as $part) {     // two workers' parts
    $shard = $job->newShard();
    $tokens = array_map(fn ($r) => hash_hmac('sha256', $r[0], $key), $part);
    $shard->addBatch($tokens, array_column($part, 1));
    $states[] = $shard->toBytes();                  // e.g. stored in a queue or a file
}
foreach ($states as $state) {
    $job->merge(Aggregator::fromBytes($state));
}

$budget = new Budget();                             // new Budget('/var/lib/ils/privacy.ledger') persists
$budget->setLimit('circulation', 1.0, 0.0);
$table = $job->release($budget, 'circulation', 30, 0.5);

// Exact figures go to the operator (standard error, labelled), never into
// the published output.
fwrite(STDERR, "[operator diagnostic, exact, not for publication] 20,000 checkouts\n");
printf("released at epsilon = %g, noise scale %g\n", $table['epsilon'], $table['count_scale']);
foreach ($table['rows'] as $row) {
    printf("  %-8s %7d\n", $row['partition'], $row['count']);
}
[$spent] = $budget->spent('circulation');
printf("budget: epsilon %g of 1 spent\n", $spent);
