<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\AccountingMethod;
use IlsPrivacy\Aggregator;
use IlsPrivacy\Budget;
use IlsPrivacy\Cell;
use IlsPrivacy\Composition;
use IlsPrivacy\DateGranularity;
use IlsPrivacy\Key;
use IlsPrivacy\KeyEncoding;
use IlsPrivacy\Library;
use IlsPrivacy\Noise;
use IlsPrivacy\Normalization;
use IlsPrivacy\Period;
use IlsPrivacy\Status;
use IlsPrivacy\TableNoise;
use IlsPrivacy\TokenBody;
use IlsPrivacy\Tokenizer;
use IlsPrivacy\TokenKind;

/** The binding covers the whole C ABI and agrees with the header's constants. */
final class AbiCoverageTest extends TestCase
{
    /** Header constant groups (longest prefix first) and the enum that holds each. */
    private const ENUMS = [
        'TABLE_NOISE_' => TableNoise::class,
        'ACCOUNTING_' => AccountingMethod::class,
        'NOISE_' => Noise::class,
        'COMPOSITION_' => Composition::class,
        'PERIOD_' => Period::class,
        'DATE_' => DateGranularity::class,
        'CELL_' => Cell::class,
        'TOKEN_' => TokenKind::class,
        'BODY_' => TokenBody::class,
        'KEY_' => KeyEncoding::class,
        'NORM_' => Normalization::class,
        'ERR_' => Status::class,
    ];

    private function header(): string
    {
        return file_get_contents(dirname(__DIR__, 3) . '/include/ilsprivacy_ffi.h');
    }

    /** @return array<string, int> every #define ILSP_NAME value of the header, without the prefix. */
    private function defines(): array
    {
        preg_match_all('/^#define ILSP_(\w+) (\d+)$/m', $this->header(), $m, PREG_SET_ORDER);
        $defines = [];
        foreach ($m as [, $name, $value]) {
            $defines[$name] = (int) $value;
        }
        return $defines;
    }

    /** DISCRETE_GAUSSIAN -> DiscreteGaussian; the one irregular name is ERR_NULL -> NullPointer. */
    private static function caseName(string $rest): string
    {
        return $rest === 'NULL' ? 'NullPointer' : str_replace('_', '', ucwords(strtolower($rest), '_'));
    }

    public function testStatusConstantsMatchTheHeader(): void
    {
        preg_match_all('/^#define ILSP_(OK|ERR_\w+) (\d+)$/m', $this->header(), $m, PREG_SET_ORDER);
        $this->assertSame(13, count($m), 'status constants in the header');
        $this->assertSame(13, count(Status::cases()), 'Status cases');
        foreach ($m as [, $name, $value]) {
            $case = $name === 'OK' ? Status::Ok : constant(Status::class . '::' . self::caseName(substr($name, 4)));
            $this->assertSame((int) $value, $case->value, $name);
        }
    }

    /**
     * Every constant of the header is an enum case (or a class constant) with
     * its value, and every enum case is a constant of the header: a constant
     * added to the C ABI without a PHP name fails here.
     */
    public function testEveryHeaderConstantHasItsEnumCase(): void
    {
        $plain = [
            'OK' => Status::Ok->value,
            'COMPAT_TOKEN_LEN' => Tokenizer::COMPAT_TOKEN_LEN,
            'MIN_KEY_LEN' => Key::MIN_LEN,
            'MAX_KEY_LEN' => Key::MAX_LEN,
            'MAX_TEMPLATE_JSON_BYTES' => Budget::MAX_TEMPLATE_JSON_BYTES,
            'ROW_SUPPRESSED' => (new \ReflectionClassConstant(Aggregator::class, 'ROW_SUPPRESSED'))->getValue(),
            'ROW_HAS_SUM' => (new \ReflectionClassConstant(Aggregator::class, 'ROW_HAS_SUM'))->getValue(),
        ];
        $version = [];
        $seen = [];
        foreach ($this->defines() as $name => $value) {
            if (str_starts_with($name, 'VERSION_')) {
                $version[$name] = $value;
                continue;
            }
            if (array_key_exists($name, $plain)) {
                $this->assertSame($value, $plain[$name], "ILSP_$name");
                continue;
            }
            $enum = null;
            foreach (self::ENUMS as $prefix => $class) {
                if (str_starts_with($name, $prefix)) {
                    $enum = $class;
                    $case = self::caseName(substr($name, strlen($prefix)));
                    break;
                }
            }
            $this->assertNotNull($enum, "ILSP_$name has no enum or constant in the PHP binding");
            $this->assertTrue(defined("$enum::$case"), "ILSP_$name: $enum::$case exists");
            $this->assertSame($value, constant("$enum::$case")->value, "ILSP_$name");
            $seen["$enum::$case"] = true;
        }
        foreach (array_unique(array_values(self::ENUMS)) as $enum) {
            foreach ($enum::cases() as $case) {
                if ($enum === Status::class && $case === Status::Ok) {
                    continue;
                }
                $this->assertArrayHasKey("$enum::{$case->name}", $seen, "$enum::{$case->name} is a header constant");
            }
        }
        $this->assertSame(
            "{$version['VERSION_MAJOR']}.{$version['VERSION_MINOR']}.{$version['VERSION_PATCH']}",
            Library::load()->version(),
            'ILSP_VERSION_* and ilsp_version()'
        );
    }

    public function testEveryFunctionIsWrapped(): void
    {
        preg_match_all('/\b(ilsp_\w+)\(/', $this->header(), $m);
        $sources = '';
        foreach (glob(dirname(__DIR__) . '/src/*.php') as $file) {
            $sources .= file_get_contents($file);
        }
        $this->assertGreaterThan(90, count(array_unique($m[1])), 'functions in the header');
        foreach (array_unique($m[1]) as $fn) {
            $this->assertTrue(str_contains($sources, "->$fn("), "$fn is called by the PHP binding");
        }
    }

    /** One class, interface, trait or enum per file, named after it (PSR-4). */
    public function testOneDeclarationPerFileNamedAfterIt(): void
    {
        $files = glob(dirname(__DIR__) . '/src/*.php');
        $this->assertNotEmpty($files);
        foreach ($files as $file) {
            $tokens = \PhpToken::tokenize(file_get_contents($file));
            $declared = [];
            foreach ($tokens as $i => $token) {
                if ($token->is([T_CLASS, T_INTERFACE, T_TRAIT, T_ENUM])) {
                    // The next name token (skipping whitespace); `Foo::class` is not a declaration.
                    $prev = $tokens[$i - 1] ?? null;
                    if ($prev !== null && $prev->is(T_DOUBLE_COLON)) {
                        continue;
                    }
                    for ($j = $i + 1; $tokens[$j]->is(T_WHITESPACE); $j++);
                    if ($tokens[$j]->is(T_STRING)) {
                        $declared[] = $tokens[$j]->text;
                    }
                }
            }
            $this->assertSame([basename($file, '.php')], $declared, basename($file));
        }
    }
}
