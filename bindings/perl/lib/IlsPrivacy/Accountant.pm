package IlsPrivacy::Accountant;

# An accountant: a sequence of releases whose total (ε, δ) can be queried
# under a composition method; and the planning functions (ε, δ, release
# count or noise scale for a planned series of releases).
#
#   my $acc = IlsPrivacy::Accountant->new;
#   $acc->add_noise(IlsPrivacy::NOISE_GAUSSIAN, 1, 4.0, 10);
#   my $eps = $acc->epsilon(1e-6);      # method: ACCOUNTING_BEST

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_accountant_free }
sub _kind {'accountant'}

*_n = \&IlsPrivacy::Native::number;
*_u = \&IlsPrivacy::Native::unsigned;
*_check = \&IlsPrivacy::Native::check;
sub _i32 { IlsPrivacy::Native::signed($_[0], $_[1], 32) }

use constant BEST => 6;

# An empty accountant.
sub new {
    my ($class) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_accountant_new(\$ptr));
    return $class->_wrap($ptr);
}

# add_noise($noise, $sensitivity, $scale, $releases = 1); $noise is NOISE_*.
sub add_noise {
    my ($self, $noise, $sensitivity, $scale, $releases) = @_;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_add_noise($_[0], _i32($noise, 'noise'), _n($sensitivity, 'sensitivity'),
            _n($scale, 'scale'), _u($releases // 1, 'releases')));
    });
    return;
}

# add_sampled_noise($noise, $sensitivity, $scale, $rate, $releases = 1).
sub add_sampled_noise {
    my ($self, $noise, $sensitivity, $scale, $rate, $releases) = @_;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_add_sampled_noise($_[0], _i32($noise, 'noise'),
            _n($sensitivity, 'sensitivity'), _n($scale, 'scale'), _n($rate, 'rate'), _u($releases // 1, 'releases')));
    });
    return;
}

# add_pure_dp($epsilon, $releases = 1).
sub add_pure_dp {
    my ($self, $epsilon, $releases) = @_;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_add_pure_dp($_[0], _n($epsilon, 'epsilon'), _u($releases // 1, 'releases')));
    });
    return;
}

# add_approximate_dp($epsilon, $delta, $releases = 1).
sub add_approximate_dp {
    my ($self, $epsilon, $delta, $releases) = @_;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_add_approximate_dp($_[0], _n($epsilon, 'epsilon'), _n($delta, 'delta'),
            _u($releases // 1, 'releases')));
    });
    return;
}

# add_zcdp($rho, $releases = 1).
sub add_zcdp {
    my ($self, $rho, $releases) = @_;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_add_zcdp($_[0], _n($rho, 'rho'), _u($releases // 1, 'releases')));
    });
    return;
}

# epsilon($delta, $method = ACCOUNTING_BEST): the total ε at $delta.
sub epsilon {
    my ($self, $delta, $method) = @_;
    my $out = 0.0;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_epsilon($_[0], _n($delta, 'delta'), _i32($method // BEST, 'method'), \$out));
    });
    return $out;
}

# delta($epsilon, $method = ACCOUNTING_BEST): the total δ at $epsilon.
sub delta {
    my ($self, $epsilon, $method) = @_;
    my $out = 0.0;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_accountant_delta($_[0], _n($epsilon, 'epsilon'), _i32($method // BEST, 'method'), \$out));
    });
    return $out;
}

# Planning (class functions, no handle).

# plan_epsilon($noise, $sensitivity, $scale, $releases, $delta, $method = BEST).
sub plan_epsilon {
    my ($noise, $sensitivity, $scale, $releases, $delta, $method) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_plan_epsilon(_i32($noise, 'noise'), _n($sensitivity, 'sensitivity'), _n($scale, 'scale'),
        _u($releases, 'releases'), _n($delta, 'delta'), _i32($method // BEST, 'method'), \$out));
    return $out;
}

# plan_delta($noise, $sensitivity, $scale, $releases, $epsilon, $method = BEST).
sub plan_delta {
    my ($noise, $sensitivity, $scale, $releases, $epsilon, $method) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_plan_delta(_i32($noise, 'noise'), _n($sensitivity, 'sensitivity'), _n($scale, 'scale'),
        _u($releases, 'releases'), _n($epsilon, 'epsilon'), _i32($method // BEST, 'method'), \$out));
    return $out;
}

# plan_max_releases($noise, $sensitivity, $scale, $epsilon, $delta, $method = BEST).
sub plan_max_releases {
    my ($noise, $sensitivity, $scale, $epsilon, $delta, $method) = @_;
    my $out = 0;
    _check(IlsPrivacy::Native::ilsp_plan_max_releases(_i32($noise, 'noise'), _n($sensitivity, 'sensitivity'), _n($scale, 'scale'),
        _n($epsilon, 'epsilon'), _n($delta, 'delta'), _i32($method // BEST, 'method'), \$out));
    return $out;
}

# plan_noise_scale($noise, $sensitivity, $releases, $epsilon, $delta, $method = BEST).
sub plan_noise_scale {
    my ($noise, $sensitivity, $releases, $epsilon, $delta, $method) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_plan_noise_scale(_i32($noise, 'noise'), _n($sensitivity, 'sensitivity'),
        _u($releases, 'releases'), _n($epsilon, 'epsilon'), _n($delta, 'delta'), _i32($method // BEST, 'method'), \$out));
    return $out;
}

# plan_sampled_noise_scale($noise, $sensitivity, $rate, $releases, $epsilon, $delta, $method = BEST).
sub plan_sampled_noise_scale {
    my ($noise, $sensitivity, $rate, $releases, $epsilon, $delta, $method) = @_;
    my $out = 0.0;
    _check(IlsPrivacy::Native::ilsp_plan_sampled_noise_scale(_i32($noise, 'noise'), _n($sensitivity, 'sensitivity'),
        _n($rate, 'rate'), _u($releases, 'releases'), _n($epsilon, 'epsilon'), _n($delta, 'delta'),
        _i32($method // BEST, 'method'), \$out));
    return $out;
}

1;
