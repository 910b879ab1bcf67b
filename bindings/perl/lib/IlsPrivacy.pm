package IlsPrivacy;

# ilsprivacy for Perl: differential privacy, a persistent privacy budget
# (ledger), patron-ID tokenization and streaming aggregation for library
# software (Koha, Evergreen), over the library's C ABI with FFI::Platypus.
#
#   use IlsPrivacy;
#   my $budget = IlsPrivacy::Budget->open('/var/lib/koha/privacy.ledger');
#   $budget->set_limit('circ-stats', 1.0);
#   my $noisy = $budget->laplace('circ-stats', 1234, 1, 0.1);
#   my $token = IlsPrivacy::Tokenizer->new($key_bytes)->tokenize($cardnumber);
#
# Errors croak with IlsPrivacy::Error::* objects (one class per C status,
# carrying ->code and ->message); a method on a closed object croaks with
# IlsPrivacy::Error::ClosedHandle. See bindings/perl/README.md.
#
# The library is loaded from $ENV{ILSPRIVACY_LIB} if set, else the build
# output of the checkout this module belongs to (target/release, then
# target/debug), else the system library search path.

use strict;
use warnings;
use IlsPrivacy::Error;
use IlsPrivacy::Native;
use IlsPrivacy::Handle;
use IlsPrivacy::Mechanisms;
use IlsPrivacy::Accountant;
use IlsPrivacy::Budget;
use IlsPrivacy::Counter;
use IlsPrivacy::Key;
use IlsPrivacy::Tokenizer;
use IlsPrivacy::Aggregator;
use IlsPrivacy::Table;
use IlsPrivacy::Masking;
use IlsPrivacy::ExportSchema;
use IlsPrivacy::Policy;
use IlsPrivacy::EpochRing;

our $VERSION = '0.1.0';

# The constants of include/ilsprivacy.h without their ILSP_ prefix, e.g.
# IlsPrivacy::NOISE_GAUSSIAN, IlsPrivacy::ACCOUNTING_BEST, IlsPrivacy::NORM_BARCODE.
our %CONSTANTS = (
    ACCOUNTING_BASIC => 0,
    ACCOUNTING_ADVANCED => 1,
    ACCOUNTING_OPTIMAL_HOMOGENEOUS => 2,
    ACCOUNTING_ZCDP => 3,
    ACCOUNTING_RDP => 4,
    ACCOUNTING_PLD => 5,
    ACCOUNTING_BEST => 6,
    NOISE_LAPLACE => 0,
    NOISE_GAUSSIAN => 1,
    NOISE_DISCRETE_LAPLACE => 2,
    NOISE_DISCRETE_GAUSSIAN => 3,
    TABLE_NOISE_LAPLACE => 0,
    TABLE_NOISE_GAUSSIAN => 1,
    ROW_SUPPRESSED => 1,
    ROW_HAS_SUM => 2,
    COMPOSITION_BASIC => 0,
    COMPOSITION_ZCDP => 1,
    PERIOD_LIFETIME => 0,
    PERIOD_CALENDAR_YEAR => 1,
    PERIOD_CALENDAR_MONTH => 2,
    MAX_TEMPLATE_JSON_BYTES => 4096,
    DATE_DAY => 0,
    DATE_ISO_WEEK => 1,
    DATE_MONTH => 2,
    CELL_PUBLISHED => 0,
    CELL_PRIMARY => 1,
    CELL_COMPLEMENTARY => 2,
    TOKEN_COMPAT => 0,
    TOKEN_V1 => 1,
    COMPAT_TOKEN_LEN => 64,
    BODY_HEX => 0,
    BODY_BASE32 => 1,
    KEY_RAW => 0,
    KEY_HEX => 1,
    MIN_KEY_LEN => 32,
    MAX_KEY_LEN => 65536,
    NORM_NONE => 0,
    NORM_TRIM => 1,
    NORM_CASE_FOLD => 2,
    NORM_STRIP_SEPARATORS => 4,
    NORM_BARCODE => 7,
);
require constant;
constant->import(\%CONSTANTS);

# The library's version string ("0.1.0").
sub version { IlsPrivacy::Native::ilsp_version() }

# This thread's message for the last failed call ("" after a success).
sub last_error { IlsPrivacy::Native::last_error() }

# The path (or system name) of the loaded shared library.
sub library_path { $IlsPrivacy::Native::LIBRARY_PATH }

1;
