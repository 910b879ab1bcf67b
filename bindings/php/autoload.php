<?php
/**
 * The binding's autoloader for use without Composer (Composer users need not
 * include it: vendor/autoload.php maps IlsPrivacy\ to src/ the same way,
 * PSR-4). preload.php uses it too.
 *
 *     require '/path/to/bindings/php/autoload.php';
 *     $ils = IlsPrivacy\Library::load();
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'IlsPrivacy\\';
    if (!str_starts_with($class, $prefix)) {
        return;
    }
    $name = substr($class, strlen($prefix));
    // Top-level names only (the binding has no sub-namespaces): nothing outside src/ can be named.
    if (preg_match('/^[A-Za-z_][A-Za-z0-9_]*$/', $name) !== 1) {
        return;
    }
    $file = __DIR__ . "/src/$name.php";
    if (is_file($file)) {
        require $file;
    }
});
