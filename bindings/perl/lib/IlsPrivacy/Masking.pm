package IlsPrivacy::Masking;

# Deterministic masking for exports and displays (not differential
# privacy): partial e-mail redaction, date coarsening, age bands, postcode
# truncation and small-cell suppression of count tables.

use strict;
use warnings;
use Exporter 'import';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';
our @EXPORT_OK = qw(mask_email coarsen_date age_band truncate_postcode suppress_small_cells);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my %GRANULARITY = (day => 0, iso_week => 1, week => 1, month => 2);

sub _u32 { IlsPrivacy::Native::unsigned($_[0], $_[1], 32) }

# mask_email($email, $keep_domain = 0): "j***@***.org" or "j***@example.org".
sub mask_email {
    my ($email, $keep) = @_;
    my $e = IlsPrivacy::Native::c_text($email, 'email');
    my $k = $keep ? 1 : 0;
    return IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_mask_email($e, $k, @_) }, length($e) + 16);
}

# coarsen_date($date, $granularity = 'day'|'iso_week'|'month').
sub coarsen_date {
    my ($date, $granularity) = @_;
    my $d = IlsPrivacy::Native::c_text($date, 'date');
    $granularity //= 'day';
    my $g = exists $GRANULARITY{$granularity} ? $GRANULARITY{$granularity} : _u32($granularity, 'granularity');
    return IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_mask_date($d, $g, @_) }, 16);
}

# age_band($age, $width = 10, $top = 90): "30-39", or "90+".
sub age_band {
    my ($age, $width, $top) = @_;
    my @a = (_u32($age, 'age'), _u32($width // 10, 'width'), _u32($top // 90, 'top'));
    return IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_mask_age_band(@a, @_) }, 16);
}

# truncate_postcode($postcode, $keep): the first $keep characters.
sub truncate_postcode {
    my ($postcode, $keep) = @_;
    my $p = IlsPrivacy::Native::c_text($postcode, 'postcode');
    my $k = IlsPrivacy::Native::unsigned($keep, 'keep');
    return IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_mask_postcode($p, $k, @_) }, length($p) + 1);
}

# suppress_small_cells(\@rows_of_counts, $k = 5): { values => grid, status
# => grid }, (rows + 1) x (cols + 1) with margins; a hidden value is undef;
# statuses CELL_PUBLISHED, CELL_PRIMARY, CELL_COMPLEMENTARY.
sub suppress_small_cells {
    my ($counts, $k) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('counts must be an array reference of rows')
      unless ref $counts eq 'ARRAY' && !grep { ref $_ ne 'ARRAY' } @$counts;
    my $rows = @$counts;
    my $cols = $rows ? @{ $counts->[0] } : 0;
    IlsPrivacy::Error::InvalidArgument->throw('counts must be a rectangular table') if grep { @$_ != $cols } @$counts;
    my $flat = pack('Q*', map { IlsPrivacy::Native::unsigned($_, 'counts') } map {@$_} @$counts);
    $flat = "\0" x 8 if $flat eq '';
    my $n = ($rows + 1) * ($cols + 1);
    my $values = "\0" x (8 * $n);
    my $status = "\0" x $n;
    my $len = 0;
    IlsPrivacy::Native::check(IlsPrivacy::Native::ilsp_suppress_small_cells(IlsPrivacy::Native::address($flat), $rows, $cols,
        IlsPrivacy::Native::unsigned($k // 5, 'k'), IlsPrivacy::Native::address($values), IlsPrivacy::Native::address($status),
        $n, \$len));
    my @v = unpack("Q$n", $values);
    my @s = unpack("C$n", $status);
    my $w = $cols + 1;
    my (@vg, @sg);
    for my $r (0 .. $rows) {
        push @sg, [@s[$r * $w .. $r * $w + $w - 1]];
        push @vg, [map { $s[$_] == 0 ? $v[$_] : undef } $r * $w .. $r * $w + $w - 1];
    }
    return { values => \@vg, status => \@sg };
}

1;
