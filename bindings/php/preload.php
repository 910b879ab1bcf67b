<?php
/**
 * opcache.preload script of the ilsprivacy binding, for PHP-FPM and other
 * long-running servers: it compiles every class of the binding into opcache
 * and defines the FFI scope ILSPRIVACY, which IlsPrivacy\Library::load() then
 * uses. With ffi.enable=preload (PHP's default) only preloaded code may use
 * FFI outside the CLI, and no request parses the header again.
 *
 * php.ini, when the server's master process runs as an ordinary user:
 *
 *     ffi.enable=preload
 *     opcache.preload=/srv/app/vendor/ilsprivacy/ilsprivacy/preload.php
 *
 * When the master runs as root, PHP requires opcache.preload_user and then
 * refuses FFI::load() in the preload script; write the scoped header once
 * with bin/ilsprivacy-ffi-header and name it in ffi.preload, which PHP loads
 * at startup, before preloading (this script then only compiles the classes):
 *
 *     ffi.enable=preload
 *     ffi.preload=/etc/php/ilsprivacy.h
 *     opcache.preload=/srv/app/vendor/ilsprivacy/ilsprivacy/preload.php
 *     opcache.preload_user=www-data
 *
 * The library and header are found as IlsPrivacy\Library::locate() describes
 * (ILSPRIVACY_LIB, ILSPRIVACY_HEADER, ILSPRIVACY_PREFIX in the server's
 * environment, the checkout, /usr/local, /usr).
 */

declare(strict_types=1);

require __DIR__ . '/autoload.php';

(static function (): void {
    foreach (glob(__DIR__ . '/src/*.php') as $file) {
        $name = 'IlsPrivacy\\' . basename($file, '.php');
        if (!class_exists($name) && !interface_exists($name) && !trait_exists($name) && !enum_exists($name)) {
            throw new \LogicException("$file does not declare $name");
        }
    }
    try {
        \FFI::scope(IlsPrivacy\Library::SCOPE);
        return; // ffi.preload has defined it
    } catch (\FFI\Exception) {
        // Not defined yet: define it below.
    }
    $text = IlsPrivacy\Library::scopedHeader();
    // FFI::load() takes a file name. tempnam() creates the file (mode 0600)
    // under a name no one else can take, so nobody can swap in another header.
    $header = tempnam(sys_get_temp_dir(), 'ilsprivacy-ffi-');
    if ($header === false) {
        throw new \RuntimeException('cannot create a temporary file for the FFI header');
    }
    try {
        if (file_put_contents($header, $text) !== strlen($text)) {
            throw new \RuntimeException("cannot write the FFI header to $header");
        }
        $ffi = \FFI::load($header);
    } catch (\FFI\Exception $e) {
        throw new \RuntimeException(
            "cannot define the FFI scope ILSPRIVACY: {$e->getMessage()} (with opcache.preload_user, "
            . 'write the header with bin/ilsprivacy-ffi-header and set ffi.preload to it: see the README)',
            0,
            $e
        );
    } finally {
        @unlink($header);
    }
    if ($ffi === null) {
        throw new \RuntimeException('FFI::load() could not load the ilsprivacy definitions');
    }
})();
