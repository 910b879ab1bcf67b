# The binding covers the whole C ABI: every ilsp_ function of
# include/ilsprivacy.h is attached with types matching its prototype and
# called by one of the binding's modules, and every constant matches.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Spec;
use Test::More;
use IlsPrivacy;

my $root = File::Spec->catdir($FindBin::Bin, '..', '..', '..');
my $header_path = File::Spec->catfile($root, 'include', 'ilsprivacy.h');
open my $fh, '<', $header_path or die "cannot read $header_path: $!";
my $header = do { local $/; <$fh> };
close $fh;

# Functions not wrapped yet, each with the reason. Empty: every function is
# wrapped. A function that is neither wrapped nor listed here fails the test.
my %NOT_WRAPPED = (
);

# The prototypes: return type, name, parameters (one per line after cbindgen
# formatting, so match across newlines up to ");").
sub prototypes {
    my ($text) = @_;
    my %found;
    while ($text =~ /^((?:const\s+)?\w+\s*\*?)\s*\b(ilsp_\w+)\(([^)]*)\);/mg) {
        my ($ret, $name, $args) = ($1, $2, $3);
        $ret =~ s/\s+/ /g;
        $ret =~ s/\s+$//;
        my @params;
        for my $p (split /,/, $args) {
            $p =~ s/\s+/ /g;
            $p =~ s/^\s+|\s+$//g;
            next if $p eq '' || $p eq 'void';
            $p =~ /^(.*?)\s*(\w+)$/ or die "unparsed parameter $p of $name";
            (my $type = $1) =~ s/\s*\*/ */g;
            $type =~ s/\* \*/**/g;
            push @params, $type;
        }
        $found{$name} = { ret => $ret, params => \@params };
    }
    return \%found;
}

my %SCALAR = (int32_t => 'sint32', uint32_t => 'uint32', int64_t => 'sint64', uint64_t => 'uint64',
    size_t => 'size_t', double => 'double', ilsp_status => 'sint32');

# The FFI::Platypus types accepted for a C type.
sub accepted {
    my ($c) = @_;
    return ('void') if $c eq 'void';
    return ($SCALAR{$c}) if $SCALAR{$c};
    return ('string') if $c eq 'const char *' && @_ > 1;    # a return value
    return ('opaque*') if $c =~ /\*\*$/;
    return ('opaque') if $c =~ /^(const )?ilsp_\w+ \*$/;
    return ('string', 'opaque') if $c eq 'const char *' || $c eq 'const uint8_t *';
    return ('opaque') if $c =~ /^const .* \*$/;              # packed input arrays
    if ($c =~ /^(\w+) \*$/) {
        my $base = $1;
        return ('opaque') if $base eq 'char' || $base eq 'uint8_t';
        return ($SCALAR{$base} . '*', 'opaque') if $SCALAR{$base};    # scalar out or array
    }
    return ();
}

# What the binding misses, as messages (empty when it covers the header).
sub problems {
    my ($protos, $signatures, $attached, $sources, $not_wrapped) = @_;
    my @out;
    for my $name (sort keys %$protos) {
        next if exists $not_wrapped->{$name};
        my $sig = $signatures->{$name};
        if (!$sig || !$attached->{$name}) {
            push @out, "$name is not attached";
            next;
        }
        my ($args, $ret) = @$sig;
        my $p = $protos->{$name};
        if (@$args != @{ $p->{params} }) {
            push @out, "$name has " . scalar(@$args) . ' arguments, the header ' . scalar(@{ $p->{params} });
        } else {
            for my $i (0 .. $#$args) {
                my @ok = accepted($p->{params}[$i]);
                push @out, "$name argument $i is $args->[$i], the header's $p->{params}[$i] wants one of (@ok)"
                  unless grep { $_ eq $args->[$i] } @ok;
            }
        }
        my @ok_ret = accepted($p->{ret}, 'return');
        push @out, "$name returns $ret, the header's $p->{ret} wants (@ok_ret)" unless grep { $_ eq $ret } @ok_ret;
        push @out, "$name is attached but no module of the binding calls it"
          unless $sources =~ /\b\Q$name\E\b/ || $name eq 'ilsp_last_error';
    }
    for my $name (sort keys %$not_wrapped) {
        push @out, "$name is listed as not wrapped but is not in the header" unless $protos->{$name};
        push @out, "$name is listed as not wrapped but is attached: remove it from the list" if $attached->{$name};
    }
    for my $name (sort keys %$signatures) {
        push @out, "$name is declared but not in the header" unless $protos->{$name};
    }
    return @out;
}

# The binding's module sources, without Native.pm (which only declares).
my $sources = '';
for my $file (glob(File::Spec->catfile($FindBin::Bin, '..', 'lib', 'IlsPrivacy', '*.pm'))) {
    next if $file =~ /Native\.pm$/;
    open my $in, '<', $file or die $!;
    $sources .= do { local $/; <$in> };
}
(my $native_src = do { local @ARGV = ($INC{'IlsPrivacy/Native.pm'}); local $/; <> }) =~ s/^.*?our %SIGNATURES//s;
$sources .= $native_src;    # last_error and the helpers

my $protos = prototypes($header);
cmp_ok(scalar(keys %$protos), '>=', 100, 'the header parses into prototypes') or diag('parsed ' . scalar(keys %$protos));
my @all_names = $header =~ /^[^\/#\n][^\n]*?\b(ilsp_\w+)\(/mg;
is_deeply([sort keys %$protos], [sort { $a cmp $b } keys %{ { map { $_ => 1 } @all_names } }],
    'every function declaration in the header was parsed');

my @problems = problems($protos, \%IlsPrivacy::Native::SIGNATURES, \%IlsPrivacy::Native::ATTACHED, $sources, \%NOT_WRAPPED);
ok(!@problems, 'every ilsp_ function is attached with matching types and wrapped') or diag(join("\n", @problems));

# The check itself catches what it must.
{
    my %sig = %IlsPrivacy::Native::SIGNATURES;
    my %att = %IlsPrivacy::Native::ATTACHED;
    my %extra = (%$protos, ilsp_brand_new => { ret => 'ilsp_status', params => ['double'] });
    is_deeply([problems(\%extra, \%sig, \%att, $sources, {})], ['ilsp_brand_new is not attached'],
        'a header function the binding lacks is reported');
    my %wrong = %sig;
    $wrong{ilsp_laplace} = [['double', 'double', 'sint32', 'double*'], 'sint32'];
    like(join("\n", problems($protos, \%wrong, \%att, $sources, {})), qr/ilsp_laplace argument 2 is sint32/,
        'a mistyped argument is reported');
    like(join("\n", problems($protos, \%sig, \%att, $sources =~ s/ilsp_quantile\b/gone/gr, {})),
        qr/ilsp_quantile is attached but no module/, 'an attached but unused function is reported');
    is_deeply([problems(\%extra, \%sig, \%att, $sources, { ilsp_brand_new => 'reason' })], [],
        'a listed exclusion is accepted');
}

# Constants.
my %header_constants = $header =~ /^#define ILSP_(\w+) (-?\d+)$/mg;
for my $name (sort keys %header_constants) {
    next if $name =~ /^(OK|ERR_\w+|VERSION_\w+)$/;
    is(eval { IlsPrivacy->can($name)->() }, $header_constants{$name}, "IlsPrivacy::$name");
}
for my $name (grep {/^ERR_/} keys %header_constants) {
    my $code = $header_constants{$name};
    ok($IlsPrivacy::Error::CLASS_BY_CODE{$code}, "ILSP_$name ($code) has an exception class");
}
is(IlsPrivacy::version(), join('.', @header_constants{qw(VERSION_MAJOR VERSION_MINOR VERSION_PATCH)}),
    'the library version matches the header');

done_testing;
