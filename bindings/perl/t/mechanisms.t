# Noise mechanisms without a budget, the accountant and planning.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use IlsPrivacy;
use IlsPrivacy::Mechanisms qw(:all);

sub finite { my ($x) = @_; return defined $x && $x == $x && $x != 9**9**9 && $x != -9**9**9 }

sub throws_ok {
    my ($code, $class, $re, $name) = @_;
    my $ok = eval { $code->(); 1 };
    my $err = $@;
    subtest $name => sub {
        ok(!$ok, 'croaks');
        isa_ok($err, $class);
        like("$err", $re, 'message');
        ok(defined $err->code || $class eq 'IlsPrivacy::Error::ClosedHandle', 'carries the status code')
          if ref $err;
    };
    return $err;
}

for (1 .. 50) {
    ok(finite(laplace(100, 1, 0.5)), 'laplace is finite') or last;
}
ok(finite(gaussian(100, 1, 0.5, 1e-6)), 'gaussian is finite');
my @l = map { laplace(0, 1, 1) } 1 .. 2000;
my $mean = 0; $mean += $_ / @l for @l;
cmp_ok(abs($mean), '<', 0.3, 'laplace(0, 1, 1) averages near 0 over 2000 draws (sd of the mean 0.032)');
isnt(scalar(keys %{ { map { $_ => 1 } @l[0 .. 9] } }), 1, 'draws differ');

like(laplace_i64(10, 1, 1), qr/^-?\d+$/, 'laplace_i64 gives an integer');
like(gaussian_i64(10, 1, 1, 1e-6), qr/^-?\d+$/, 'gaussian_i64 gives an integer');
my $batch = laplace_batch([1, 2, 3, 4], 1, 1);
is(scalar(@$batch), 4, 'laplace_batch keeps the length');
ok(!(grep { !finite($_) } @$batch), 'laplace_batch values finite');
is(scalar(@{ gaussian_batch([1, 2], 1, 1, 1e-6) }), 2, 'gaussian_batch keeps the length');
is_deeply(laplace_batch([], 1, 1), [], 'empty batch');
my $rr = randomized_response(2, 5, 1);
ok($rr >= 0 && $rr < 5, 'randomized response stays in its categories');
my $q = quantile([map { $_ / 10 } 1 .. 1000], 0.5, 0, 100, 100, 1);
ok($q >= 0 && $q <= 100, 'quantile within [lo, hi]');
is(clamp(5, 0, 3), 3, 'clamp');
my ($clipped, $factor) = clip_l1([3, -1], 2);
is_deeply([map { sprintf '%.6f', $_ } @$clipped], ['1.500000', '-0.500000'], 'clip_l1 scales to the bound');
is(sprintf('%.6f', $factor), '0.500000', 'clip_l1 factor');
($clipped) = clip_l2([3, 4], 10);
is_deeply($clipped, [3, 4], 'clip_l2 leaves a short vector');

throws_ok(sub { laplace(1, 1, -1) }, 'IlsPrivacy::Error::InvalidArgument', qr/epsilon must be finite and > 0/,
    'negative epsilon');
throws_ok(sub { laplace(1, 0, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/sensitivity/, 'zero sensitivity');
throws_ok(sub { laplace('nan', 1, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/value/, 'NaN value');
throws_ok(sub { laplace(9**9**9, 1, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/value/, 'infinite value');
throws_ok(sub { gaussian(1, 1, 1, 1.5) }, 'IlsPrivacy::Error::InvalidArgument', qr/delta/, 'delta above 1');
throws_ok(sub { gaussian(1, 1, 1, 0) }, 'IlsPrivacy::Error::InvalidArgument', qr/delta/, 'delta 0');
throws_ok(sub { laplace(undef, 1, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/value must be a number/, 'undef value');
throws_ok(sub { laplace_i64(1.5, 1, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/value must be an integer/,
    'a fraction where an integer is wanted');
throws_ok(sub { laplace_i64('9223372036854775808', 1, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/out of range/,
    'an integer beyond int64');
throws_ok(sub { randomized_response(-1, 3, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/non-negative/,
    'a negative unsigned');
throws_ok(sub { randomized_response(5, 3, 1) }, 'IlsPrivacy::Error::InvalidArgument', qr/value|categor/,
    'a value outside its categories');
throws_ok(sub { clamp(1, 3, 0) }, 'IlsPrivacy::Error::InvalidArgument', qr/lo|hi/, 'lo > hi');
my $err = throws_ok(sub { laplace(1, 1, 0) }, 'IlsPrivacy::Error::InvalidArgument', qr/epsilon/, 'epsilon 0');
is($err->code, 2, 'InvalidArgument carries ILSP_ERR_INVALID_ARGUMENT');
is($err->message, IlsPrivacy::last_error(), 'the message is the library\'s last error');
like("$err", qr/\A\Q@{[$err->message]}\E at \S*mechanisms\.t line \d+\.\n\z/,
    'it stringifies as the message and the caller\'s location');

# Accountant and planning.
my $acc = IlsPrivacy::Accountant->new;
$acc->add_pure_dp(0.5, 2);
is(sprintf('%.9f', $acc->epsilon(1e-9, IlsPrivacy::ACCOUNTING_BASIC)), '1.000000000', 'two pure 0.5 releases compose to 1');
$acc->add_approximate_dp(0.1, 1e-7);
$acc->add_zcdp(0.01);
$acc->add_noise(IlsPrivacy::NOISE_GAUSSIAN, 1, 5, 3);
$acc->add_sampled_noise(IlsPrivacy::NOISE_LAPLACE, 1, 10, 0.1, 2);
ok(finite($acc->epsilon(1e-5)), 'accountant epsilon');
my $d = $acc->delta(5);
ok($d >= 0 && $d <= 1, 'accountant delta');
throws_ok(sub { $acc->add_pure_dp(-1) }, 'IlsPrivacy::Error::InvalidArgument', qr/epsilon/, 'accountant refuses bad epsilon');
my $e10 = IlsPrivacy::Accountant::plan_epsilon(IlsPrivacy::NOISE_LAPLACE, 1, 10, 10, 1e-6, IlsPrivacy::ACCOUNTING_BASIC);
is(sprintf('%.6f', $e10), '1.000000', 'ten Laplace(10) releases cost 1 under basic composition');
ok(IlsPrivacy::Accountant::plan_delta(IlsPrivacy::NOISE_GAUSSIAN, 1, 5, 4, 1) > 0, 'plan_delta');
is(IlsPrivacy::Accountant::plan_max_releases(IlsPrivacy::NOISE_LAPLACE, 1, 10.5, 1, 1e-6, IlsPrivacy::ACCOUNTING_BASIC), 10,
    'plan_max_releases: 10 releases of Laplace(10.5) fit in 1, not 11');
my $scale = IlsPrivacy::Accountant::plan_noise_scale(IlsPrivacy::NOISE_LAPLACE, 1, 10, 1, 1e-6, IlsPrivacy::ACCOUNTING_BASIC);
ok($scale >= 10 && $scale < 10.001, 'plan_noise_scale') or diag $scale;
ok(IlsPrivacy::Accountant::plan_sampled_noise_scale(IlsPrivacy::NOISE_LAPLACE, 1, 0.1, 10, 1, 1e-6,
    IlsPrivacy::ACCOUNTING_BASIC) < $scale, 'sampling lowers the scale');
throws_ok(sub { IlsPrivacy::Accountant::plan_epsilon(99, 1, 1, 1, 1e-6) }, 'IlsPrivacy::Error::InvalidArgument', qr/noise/,
    'unknown noise kind');

done_testing;
