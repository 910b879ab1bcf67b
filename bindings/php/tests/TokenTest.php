<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Cell;
use IlsPrivacy\DateGranularity;
use IlsPrivacy\EncodingException;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Key;
use IlsPrivacy\KeyEncoding;
use IlsPrivacy\KeyException;
use IlsPrivacy\LedgerIoException;
use IlsPrivacy\Library;
use IlsPrivacy\Normalization;
use IlsPrivacy\Status;
use IlsPrivacy\TokenBody;
use IlsPrivacy\TokenKind;
use IlsPrivacy\Tokenizer;

/** Tokenization through the PHP binding, compared with PHP's own hash_hmac(). */
final class TokenTest extends TestCase
{
    private const KEY = 'library-pipeline-key-0123456789!';

    /** UTF-8 encoding of a code point (no mbstring needed). */
    private static function utf8(int $cp): string
    {
        return match (true) {
            $cp < 0x80 => chr($cp),
            $cp < 0x800 => chr(0xc0 | $cp >> 6) . chr(0x80 | $cp & 0x3f),
            $cp < 0x10000 => chr(0xe0 | $cp >> 12) . chr(0x80 | $cp >> 6 & 0x3f) . chr(0x80 | $cp & 0x3f),
            default => chr(0xf0 | $cp >> 18) . chr(0x80 | $cp >> 12 & 0x3f) . chr(0x80 | $cp >> 6 & 0x3f) . chr(0x80 | $cp & 0x3f),
        };
    }

    /** A random valid UTF-8 string: ASCII, 2-, 3- and 4-byte characters, controls. */
    private static function randomId(int $maxChars): string
    {
        $s = '';
        $n = mt_rand(0, $maxChars);
        for ($i = 0; $i < $n; $i++) {
            $s .= match (mt_rand(0, 5)) {
                0, 1 => chr(mt_rand(0x20, 0x7e)),
                2 => self::utf8(mt_rand(0xa0, 0x7ff)),
                3 => self::utf8(mt_rand(0x800, 0xd7ff)),
                4 => self::utf8(mt_rand(0x10000, 0x10ffff)),
                default => chr(mt_rand(0, 0x1f)),
            };
        }
        return $s;
    }

    public function testTenThousandRandomIdsMatchHashHmac(): void
    {
        mt_srand(4231);
        $ids = [''];
        for ($i = 0; $i < 9998; $i++) {
            $ids[] = match ($i % 4) {
                0 => (string) mt_rand(1000000000, 99999999999999),
                1 => self::randomId(20),
                2 => self::randomId(70),
                default => self::randomId(300),
            };
        }
        $ids[] = str_repeat('x', 1 << 20);
        $key = random_bytes(48);
        $t = new Tokenizer($key);
        $batch = $t->tokenizeMany($ids);
        $this->assertSame(10000, count($batch), 'batch size');
        foreach ($ids as $i => $id) {
            $expected = hash_hmac('sha256', $id, $key);
            $this->assertSame($expected, $t->tokenize($id), "single $i");
            $this->assertSame($expected, $batch[$i], "batch $i");
        }
    }

    /** The vectors from CPython's hmac, when test-all.sh provides them. */
    public function testPythonHmacVectors(): void
    {
        $path = getenv('ILSP_TOKEN_VECTORS');
        if ($path === false || $path === '') {
            $this->markTestSkipped('ILSP_TOKEN_VECTORS is not set (scripts/test-all.sh sets it)');
        }
        $lines = explode("\n", rtrim(file_get_contents($path), "\n"));
        $key = hex2bin(substr(array_shift($lines), 4));
        $t = new Tokenizer($key);
        $ids = [];
        $expected = [];
        foreach ($lines as $line) {
            [$hex, $token] = explode(' ', $line);
            $ids[] = $hex === '-' ? '' : hex2bin($hex);
            $expected[] = $token;
        }
        $this->assertSame(10000, count($ids), 'vector count');
        $this->assertSame($expected, $t->tokenizeMany($ids), 'batch');
        foreach ($ids as $i => $id) {
            $this->assertSame($expected[$i], $t->tokenize($id), "single $i");
        }
    }

    public function testErrorsNameNeitherIdNorKey(): void
    {
        $this->assertThrows(KeyException::class, Status::Key,
            'key must be at least 32 bytes, got 14', fn () => new Tokenizer('hunter2-secret'));
        $t = new Tokenizer(self::KEY);
        $e = $this->assertThrows(EncodingException::class, Status::Encoding,
            'id is not valid UTF-8 (first invalid byte at offset 7)', fn () => $t->tokenize("secret-\xff"));
        $this->assertTrue(!str_contains($e->getMessage(), 'secret'), 'no ID in the message');
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'id must not be empty for a versioned token', fn () => $t->tokenizeVersioned(''));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'ids entry 1 must not be empty', fn () => $t->tokenizeMany(['a', '', 'b'], TokenKind::V1));
        $this->assertThrows(KeyException::class, Status::Key,
            'unknown key id: key_id (4 bytes) names no key in the ring', fn () => $t->tokenizeVersioned('patron-secret', 'nope'));
        // A patron ID passed where a key id goes is never echoed.
        $e = $this->assertThrows(KeyException::class, Status::Key,
            '(14 bytes)', fn () => $t->tokenizeVersioned('x', '21234000123456'));
        $this->assertTrue(!str_contains($e->getMessage(), '21234000123456'), 'no key id in the message');
        // Too-small buffers report the capacity needed.
        $ffi = Library::load()->ffi;
        $out = $ffi->new('char[10]');
        $len = $ffi->new('size_t');
        $this->assertSame(Status::BufferTooSmall->value, $t->native()->use(
            fn (\FFI\CData $h) => $ffi->ilsp_tokenize($h, '42', 2, $out, 10, \FFI::addr($len))
        ));
        $this->assertSame(65, $len->cdata);
        $this->assertSame('out is too small: 65 bytes needed, 10 given', Library::load()->lastError());
    }

    public function testVersionedTokensAndNormalisation(): void
    {
        $t = new Tokenizer(self::KEY);
        $this->assertSame('v1.k1.qyhwmumgr5qp4dovv5mrp7doie', $t->tokenizeVersioned('21234000123456'));
        $this->assertSame($t->tokenizeVersioned('21234000123456'),
            $t->tokenizeVersioned(' 21234-00012-3456 ', null, Normalization::Barcode));
        // A list of steps combines their flags.
        $this->assertSame($t->tokenizeVersioned(' 21234-00012-3456 ', null, Normalization::Barcode),
            $t->tokenizeVersioned(' 21234-00012-3456 ', null,
                [Normalization::Trim, Normalization::CaseFold, Normalization::StripSeparators]));
        $this->assertSame($t->tokenizeVersioned('ab'), $t->tokenizeVersioned('AB', null, [Normalization::CaseFold]));
        $this->assertThrows(\TypeError::class, null, 'normalization steps must be IlsPrivacy\Normalization cases, got int',
            fn () => $t->tokenizeVersioned('x', null, [Normalization::Trim, 2]));
        $this->assertSame(hash_hmac('sha256', '', self::KEY), $t->tokenize(''));
        $t->setFormat(TokenBody::Hex, 160);
        $this->assertSame('v1.k1.860f6651868f60fe0dd5af5917fc6e41539e184a', $t->tokenizeVersioned('21234000123456'));
        $this->assertSame(46, $t->tokenLen());
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'bits must be a multiple of 8', fn () => $t->setFormat(TokenBody::Hex, 64));
    }

    public function testKeysFromFileEnvAndDerivation(): void
    {
        $path = tempnam(sys_get_temp_dir(), 'ilsp-key-');
        file_put_contents($path, bin2hex(self::KEY) . "\n");
        $t = new Tokenizer(Key::fromFile($path, KeyEncoding::Hex), 'file');
        $this->assertSame(hash_hmac('sha256', '42', self::KEY), $t->tokenize('42'));
        unlink($path);
        $this->assertThrows(LedgerIoException::class, Status::Io, $path, fn () => Key::fromFile($path));

        putenv('ILSP_PHP_TEST_KEY=' . self::KEY);
        $t = new Tokenizer(Key::fromEnv('ILSP_PHP_TEST_KEY'));
        $this->assertSame(hash_hmac('sha256', '42', self::KEY), $t->tokenize('42'));
        putenv('ILSP_PHP_TEST_KEY');
        $this->assertThrows(KeyException::class, Status::Key,
            'ILSP_PHP_TEST_KEY is not set', fn () => Key::fromEnv('ILSP_PHP_TEST_KEY'));

        // HKDF-SHA256 per the documented info layout, with PHP's hash_hkdf.
        $info = "ilsprivacy/v1/tenant-key\0" . pack('n', 8) . 'branch-7' . pack('n', 9) . 'patron_id';
        $tenantKey = hash_hkdf('sha256', self::KEY, 32, $info, '');
        $tenant = Key::fromBytes(self::KEY)->derive('branch-7', 'patron_id');
        $this->assertSame(hash_hmac('sha256', 'P-1', $tenantKey), (new Tokenizer($tenant))->tokenize('P-1'));
        $this->assertSame(['key' => '<secret>'], $tenant->__debugInfo());
        $this->assertThrows(KeyException::class, Status::Key, 'got 8', fn () => Key::generate(8));
        $this->assertTrue((new Tokenizer(Key::generate()))->tokenize('42') !== $t->tokenize('42'), 'random keys differ');
    }

    public function testRotation(): void
    {
        $id = '21234000123456';
        $t = new Tokenizer(self::KEY, '2026a');
        $oldCompat = $t->tokenize($id);
        $oldV1 = $t->tokenizeVersioned($id);
        $t->addKey('2027a', Key::generate());
        $this->assertSame(['2026a', '2027a'], $t->keyIds());
        $this->assertSame('2026a', $t->activeKeyId());
        $window = $t->tokenizeAll($id);
        $this->assertSame($oldV1, $window['2026a']);
        $rows = $t->bridge([$id, 'P-7'], '2026a', '2027a');
        $this->assertSame([$oldCompat, $window['2027a']], $rows[0]);
        $t->activate('2027a');
        $this->assertSame($window['2027a'], $t->tokenizeVersioned($id));
        $this->assertTrue($t->verify($oldV1, $id), 'old v1 verifies in the window');
        $this->assertTrue($t->verify($oldCompat, $id), 'old compat verifies in the window');
        $this->assertTrue(!$t->verify($oldV1, 'P-7'), 'wrong ID');
        $this->assertSame(1, $t->lookup(['junk', $oldV1, $window['2027a']], $id));
        $this->assertSame(null, $t->lookup(['junk'], $id));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'is the active key', fn () => $t->retire('2027a'));
        $t->retire('2026a');
        $this->assertThrows(KeyException::class, Status::Key,
            'unknown key id: token names a key (5 bytes) that is not in the ring', fn () => $t->verify($oldV1, $id));
        $this->assertSame($t->tokenizeAddress('12, Main Street'), $t->tokenizeAddress('12 MAIN ST'));
    }

    public function testConstantsMatchTheHeader(): void
    {
        $header = file_get_contents(dirname(__DIR__, 3) . '/include/ilsprivacy_ffi.h');
        preg_match_all('/^#define ILSP_(\w+) (\d+)$/m', $header, $m, PREG_SET_ORDER);
        $defines = [];
        foreach ($m as [, $name, $value]) {
            $defines[$name] = (int) $value;
        }
        $pairs = [
            'TOKEN_COMPAT' => TokenKind::Compat->value, 'TOKEN_V1' => TokenKind::V1->value,
            'BODY_HEX' => TokenBody::Hex->value, 'BODY_BASE32' => TokenBody::Base32->value,
            'NORM_NONE' => Normalization::None->value, 'NORM_TRIM' => Normalization::Trim->value,
            'NORM_CASE_FOLD' => Normalization::CaseFold->value, 'NORM_STRIP_SEPARATORS' => Normalization::StripSeparators->value,
            'NORM_BARCODE' => Normalization::Barcode->value, 'COMPAT_TOKEN_LEN' => Tokenizer::COMPAT_TOKEN_LEN,
            'KEY_RAW' => KeyEncoding::Raw->value, 'KEY_HEX' => KeyEncoding::Hex->value,
            'MIN_KEY_LEN' => Key::MIN_LEN, 'MAX_KEY_LEN' => Key::MAX_LEN,
            'DATE_DAY' => DateGranularity::Day->value, 'DATE_ISO_WEEK' => DateGranularity::IsoWeek->value,
            'DATE_MONTH' => DateGranularity::Month->value, 'CELL_PUBLISHED' => Cell::Published->value,
            'CELL_PRIMARY' => Cell::Primary->value, 'CELL_COMPLEMENTARY' => Cell::Complementary->value,
        ];
        foreach ($pairs as $name => $value) {
            $this->assertSame($defines[$name] ?? null, $value, "ILSP_$name");
        }
    }
}
