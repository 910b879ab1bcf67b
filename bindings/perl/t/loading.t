# Loading: ILSPRIVACY_LIB wins; one that names no file is an error, never
# skipped in favour of another library.
use strict;
use warnings;
use FindBin;
use Test::More;

my $lib = "$FindBin::Bin/../lib";
SKIP: {
    skip 'ILSPRIVACY_LIB is not set', 1 unless $ENV{ILSPRIVACY_LIB};
    my $got = `$^X -I$lib -MIlsPrivacy -e "print IlsPrivacy::library_path()"`;
    is($got, $ENV{ILSPRIVACY_LIB}, 'the library named by ILSPRIVACY_LIB is the one loaded');
}
{
    local $ENV{ILSPRIVACY_LIB} = '/nonexistent/libilsprivacy.so';
    my $out = `$^X -I$lib -MIlsPrivacy -e1 2>&1`;
    isnt($?, 0, 'a missing ILSPRIVACY_LIB fails to load');
    like($out, qr{ILSPRIVACY_LIB names /nonexistent/libilsprivacy.so, which is not a file}, 'and says why');
}
done_testing;
