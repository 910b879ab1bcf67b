package IlsPrivacy::Mechanisms;

# Noise mechanisms without a budget (the caller accounts for ε and δ; see
# IlsPrivacy::Budget for charged releases): Laplace and Gaussian on doubles
# and on integers, batches, randomized response, the DP quantile, and the
# clamping/clipping helpers. Each croaks with IlsPrivacy::Error::* on bad
# parameters (the library's message names the parameter).

use strict;
use warnings;
use Exporter 'import';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';
our @EXPORT_OK = qw(laplace gaussian laplace_i64 gaussian_i64 laplace_batch gaussian_batch
  randomized_response quantile clamp clip_l1 clip_l2);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

*_n = \&IlsPrivacy::Native::number;
*_check = \&IlsPrivacy::Native::check;

# laplace($value, $sensitivity, $epsilon): $value plus Laplace noise, ε-DP
# for a query of L1 sensitivity $sensitivity.
sub laplace {
    my ($value, $sensitivity, $epsilon) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_laplace(_n($value, 'value'), _n($sensitivity, 'sensitivity'), _n($epsilon, 'epsilon'), \$out));
    return $out;
}

# gaussian($value, $l2_sensitivity, $epsilon, $delta): (ε, δ)-DP Gaussian noise.
sub gaussian {
    my ($value, $l2, $epsilon, $delta) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_gaussian(_n($value, 'value'), _n($l2, 'l2_sensitivity'), _n($epsilon, 'epsilon'),
        _n($delta, 'delta'), \$out));
    return $out;
}

# laplace_i64($value, $sensitivity, $epsilon): discrete Laplace on an integer.
sub laplace_i64 {
    my ($value, $sensitivity, $epsilon) = @_;
    my $out = 0;
    _check(IlsPrivacy::Native::ilsp_laplace_i64(IlsPrivacy::Native::signed($value, 'value'),
        IlsPrivacy::Native::signed($sensitivity, 'sensitivity'), _n($epsilon, 'epsilon'), \$out));
    return $out;
}

# gaussian_i64($value, $l2_sensitivity, $epsilon, $delta): discrete Gaussian on an integer.
sub gaussian_i64 {
    my ($value, $l2, $epsilon, $delta) = @_;
    my $out = 0;
    _check(IlsPrivacy::Native::ilsp_gaussian_i64(IlsPrivacy::Native::signed($value, 'value'),
        IlsPrivacy::Native::signed($l2, 'l2_sensitivity'), _n($epsilon, 'epsilon'), _n($delta, 'delta'), \$out));
    return $out;
}

sub _doubles {
    my ($values, $param) = @_;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be an array reference")
      unless ref $values eq 'ARRAY';
    return pack('d*', map { _n($_, $param) } @$values);
}

# laplace_batch(\@values, $sensitivity, $epsilon): a list of noisy values,
# each ε-DP for its own query (the caller composes them).
sub laplace_batch {
    my ($values, $sensitivity, $epsilon) = @_;
    my $in = _doubles($values, 'values');
    my $n = @$values;
    my $out = "\0" x (8 * $n || 8);
    _check(IlsPrivacy::Native::ilsp_laplace_batch($n ? IlsPrivacy::Native::address($in) : undef, $n,
        _n($sensitivity, 'sensitivity'), _n($epsilon, 'epsilon'), IlsPrivacy::Native::address($out)));
    return [unpack("d$n", $out)];
}

# gaussian_batch(\@values, $l2_sensitivity, $epsilon, $delta).
sub gaussian_batch {
    my ($values, $l2, $epsilon, $delta) = @_;
    my $in = _doubles($values, 'values');
    my $n = @$values;
    my $out = "\0" x (8 * $n || 8);
    _check(IlsPrivacy::Native::ilsp_gaussian_batch($n ? IlsPrivacy::Native::address($in) : undef, $n,
        _n($l2, 'l2_sensitivity'), _n($epsilon, 'epsilon'), _n($delta, 'delta'), IlsPrivacy::Native::address($out)));
    return [unpack("d$n", $out)];
}

# randomized_response($value, $categories, $epsilon): a category in
# 0 .. $categories - 1, ε-DP (local).
sub randomized_response {
    my ($value, $categories, $epsilon) = @_;
    my $out = 0;
    _check(IlsPrivacy::Native::ilsp_randomized_response(IlsPrivacy::Native::unsigned($value, 'value'),
        IlsPrivacy::Native::unsigned($categories, 'categories'), _n($epsilon, 'epsilon'), \$out));
    return $out;
}

# quantile(\@values, $q, $lo, $hi, $bins, $epsilon): an ε-DP estimate of the
# q-quantile of values clamped to [lo, hi] on $bins bins.
sub quantile {
    my ($values, $q, $lo, $hi, $bins, $epsilon) = @_;
    my $in = _doubles($values, 'values');
    my $n = @$values;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_quantile($n ? IlsPrivacy::Native::address($in) : undef, $n, _n($q, 'quantile'),
        _n($lo, 'lo'), _n($hi, 'hi'), IlsPrivacy::Native::unsigned($bins, 'bins', 32), _n($epsilon, 'epsilon'), \$out));
    return $out;
}

# clamp($value, $lo, $hi): $value limited to [lo, hi].
sub clamp {
    my ($value, $lo, $hi) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_clamp(_n($value, 'value'), _n($lo, 'lo'), _n($hi, 'hi'), \$out));
    return $out;
}

sub _clip {
    my ($fn, $values, $bound) = @_;
    my $buf = _doubles($values, 'values');
    my $n = @$values;
    my $factor = 0.0;
    $buf = "\0" x 8 unless $n;
    _check($fn->(IlsPrivacy::Native::address($buf), $n, _n($bound, 'bound'), \$factor));
    return ([unpack("d$n", $buf)], $factor);
}

# clip_l1(\@values, $bound): (\@scaled, $factor), the vector scaled so its
# L1 norm is at most $bound.
sub clip_l1 { _clip(\&IlsPrivacy::Native::ilsp_clip_l1, @_) }

# clip_l2(\@values, $bound): as clip_l1 for the L2 norm.
sub clip_l2 { _clip(\&IlsPrivacy::Native::ilsp_clip_l2, @_) }

1;
