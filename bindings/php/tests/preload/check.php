<?php
/**
 * Run by PreloadTest in a PHP started with opcache.preload=preload.php
 * (staged next to autoload.php): prints, as JSON, whether the binding's
 * classes were preloaded, where Library::load() took its definitions from,
 * two calls through them, and whether FFI is open to this (not preloaded)
 * script.
 */

declare(strict_types=1);

$out = ['preloaded' => class_exists('IlsPrivacy\Library', false) && enum_exists('IlsPrivacy\Status', false)
    && interface_exists('IlsPrivacy\Exception', false) && trait_exists('IlsPrivacy\Masking', false)];
if (!$out['preloaded']) {
    require __DIR__ . '/autoload.php';
}
try {
    $ils = IlsPrivacy\Library::load();
    $out['source'] = $ils->loadedFrom();
    $out['clamp'] = $ils->clamp(12.5, 0.0, 10.0);
    $key = str_repeat('k', 32);
    $t = new IlsPrivacy\Tokenizer($key);
    $out['token'] = $t->tokenize('42') === hash_hmac('sha256', '42', $key);
    $t->close();
} catch (Throwable $e) {
    $out['error'] = get_class($e) . ': ' . $e->getMessage();
}
try {
    FFI::cdef('int abs(int);');
    $out['direct_ffi'] = 'allowed';
} catch (Throwable $e) {
    $out['direct_ffi'] = 'refused';
}
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION), "\n";
