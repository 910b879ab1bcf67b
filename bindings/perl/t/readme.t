# The example of bindings/perl/README.md runs (ledger path and key replaced
# by temporary ones).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $readme = "$FindBin::Bin/../README.md";
open my $fh, '<', $readme or die "$readme: $!";
my $text = do { local $/; <$fh> };
my ($code) = $text =~ /^```perl\n(.*?)^```/ms or die 'no perl block in the README';
my $dir = tempdir(CLEANUP => 1);
$code =~ s{/var/lib/koha/privacy\.ledger}{$dir/privacy.ledger}g or die 'the example has no ledger path';
open my $out, '>', "$dir/example.pl" or die $!;
print $out $code;
close $out;
local $ENV{ILSP_KEY} = 'k' x 32;
my $lib = "$FindBin::Bin/../lib";
my $output = `$^X -I$lib $dir/example.pl 2>&1`;
is($?, 0, 'the README example runs') or diag $output;
like($output, qr/^Central -?\d+$/m, 'it prints a released row');
like($output, qr/refused: privacy budget exhausted/, 'and reports the refused spend');
ok(-s "$dir/privacy.ledger", 'it wrote the ledger');
done_testing;
