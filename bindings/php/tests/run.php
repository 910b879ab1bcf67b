<?php
declare(strict_types=1);

require __DIR__ . '/harness.php';
require dirname(__DIR__) . '/src/IlsPrivacy.php';

$files = glob(__DIR__ . '/*Test.php');
foreach ($files as $file) {
    require_once $file;
}
$ran = 0;
$failed = 0;
foreach (get_declared_classes() as $class) {
    if (!is_subclass_of($class, IlsPrivacy\Tests\TestCase::class)) {
        continue;
    }
    foreach (get_class_methods($class) as $method) {
        if (!str_starts_with($method, 'test')) {
            continue;
        }
        $ran++;
        try {
            (new $class())->$method();
            echo "ok   $class::$method\n";
        } catch (\Throwable $e) {
            $failed++;
            echo "FAIL $class::$method: " . get_class($e) . ': ' . $e->getMessage() . "\n";
        }
    }
}
echo "$ran tests, $failed failed\n";
exit(($failed === 0 && $ran > 0) ? 0 : 1);
