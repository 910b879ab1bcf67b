# Hostile strings: NUL bytes in NUL-terminated text are refused before the
# call (never silently truncated), references and undef are refused,
# invalid UTF-8 in an ID is refused by the library.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use IlsPrivacy;

my $dir = tempdir(CLEANUP => 1);
my $b = IlsPrivacy::Budget->open("$dir/ledger");
$b->set_limit('circ', 1);

sub refused {
    my ($code, $class, $re, $name) = @_;
    ok(!eval { $code->(); 1 }, $name);
    isa_ok($@, $class, $name);
    like("$@", $re, "$name: message");
}

refused(sub { $b->set_limit("circ\0evil", 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/account contains a NUL/,
    'NUL in an account name');
refused(sub { $b->spend("circ\0", 0.1) }, 'IlsPrivacy::Error::InvalidArgument', qr/NUL/, 'NUL at the end of an account');
is(($b->spent('circ'))[0], 0, 'nothing was spent on "circ" by the truncated name');
refused(sub { IlsPrivacy::Budget->open("$dir/ledger\0.bak") }, 'IlsPrivacy::Error::InvalidArgument', qr/ledger_path/,
    'NUL in a ledger path');
opendir my $dh, $dir or die $!;
is_deeply([sort grep { !/^\./ } readdir $dh], ["ledger"], "no file was created");
refused(sub { $b->set_limit('circ', 1, 0, "why\0") }, 'IlsPrivacy::Error::InvalidArgument', qr/reason/, 'NUL in a reason');
refused(sub { $b->set_limit(undef, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/account must be a string/, 'undef account');
refused(sub { $b->set_limit([], 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/reference/, 'a reference as account');
refused(sub { IlsPrivacy::Key->from_env("A\0B") }, 'IlsPrivacy::Error::InvalidArgument', qr/NUL/, 'NUL in a variable name');
my $t = IlsPrivacy::Tokenizer->new('k' x 32);
refused(sub { $t->tokenize_with('x', key_id => "k1\0") }, 'IlsPrivacy::Error::InvalidArgument', qr/key_id/,
    'NUL in a key id');
refused(sub { $t->verify("abc\0", 'x') }, 'IlsPrivacy::Error::InvalidArgument', qr/token/, 'NUL in a token');
refused(sub { IlsPrivacy::Masking::mask_email("a\0\@b.org") }, 'IlsPrivacy::Error::InvalidArgument', qr/email/,
    'NUL in an e-mail');
refused(sub { IlsPrivacy::Policy->new(\'x') }, 'IlsPrivacy::Error::InvalidArgument', qr/reference/, 'a reference as text');

# Length-delimited IDs may hold NUL: distinct from the truncated ID.
isnt($t->tokenize("a\0b"), $t->tokenize('a'), 'an ID with NUL is hashed whole');
# Wide characters are encoded; a byte string is text in Latin-1.
is($t->tokenize("\xe9"), $t->tokenize("\x{e9}"), 'a Latin-1 string is its characters');

# Non-numeric and huge values.
refused(sub { $b->spend('circ', 'abc') }, 'IlsPrivacy::Error::InvalidArgument', qr/epsilon must be a number/,
    'a non-number as epsilon');
refused(sub { IlsPrivacy::Mechanisms::laplace('12 apples', 1, 1) }, 'IlsPrivacy::Error::InvalidArgument',
    qr/value must be a number/, 'a string that is not a number is never read as a number');
refused(sub { IlsPrivacy::Masking::age_band(2**40) },
    'IlsPrivacy::Error::InvalidArgument', qr/out of range/, 'a 32-bit parameter beyond its range');
refused(sub { IlsPrivacy::Aggregator->new(max_partitions_per_unit => '18446744073709551616') },
    'IlsPrivacy::Error::InvalidArgument', qr/out of range/, 'beyond 64 bits');

done_testing;
