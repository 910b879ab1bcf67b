package IlsPrivacy::Counter;

# A continual counter: running totals over a fixed number of periods, each
# published total differentially private (binary tree mechanism). Start it
# on a budget account (which pays once for all periods), then push one value
# per period.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_counter_free }
sub _kind {'counter'}

*_check = \&IlsPrivacy::Native::check;

# laplace($periods, $sensitivity, $epsilon): ε-DP over all periods.
sub laplace {
    my ($class, $periods, $sensitivity, $epsilon) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_counter_new_laplace(IlsPrivacy::Native::unsigned($periods, 'periods'),
        IlsPrivacy::Native::signed($sensitivity, 'sensitivity'), IlsPrivacy::Native::number($epsilon, 'epsilon'), \$ptr));
    return $class->_wrap($ptr);
}

# gaussian($periods, $sensitivity, $rho): ρ-zCDP over all periods.
sub gaussian {
    my ($class, $periods, $sensitivity, $rho) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_counter_new_gaussian(IlsPrivacy::Native::unsigned($periods, 'periods'),
        IlsPrivacy::Native::signed($sensitivity, 'sensitivity'), IlsPrivacy::Native::number($rho, 'rho'), \$ptr));
    return $class->_wrap($ptr);
}

# start($budget, $account): charges the whole series to $account.
sub start {
    my ($self, $budget, $account) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('budget must be an IlsPrivacy::Budget')
      unless Scalar::Util::blessed($budget) && $budget->isa('IlsPrivacy::Budget');
    my $acc = IlsPrivacy::Native::c_text($account, 'account');
    $self->_with(sub {
        my $c = $_[0];
        $budget->_with(sub { _check(IlsPrivacy::Native::ilsp_budget_start_counter($_[0], $acc, $c)) });
    });
    return;
}

# push($value): this period's value; returns the noisy running total.
sub push {
    my ($self, $value) = @_;
    my $v = IlsPrivacy::Native::signed($value, 'value');
    my $total = 0;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_counter_push($_[0], $v, \$total)) });
    return $total;
}

# error_bound($beta): a bound on every total's error with probability 1 − β.
sub error_bound {
    my ($self, $beta) = @_;
    my $out = 0.0;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_counter_error_bound($_[0], IlsPrivacy::Native::number($beta, 'beta'), \$out));
    });
    return $out;
}

require Scalar::Util;

1;
