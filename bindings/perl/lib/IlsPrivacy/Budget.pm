package IlsPrivacy::Budget;

# A privacy budget: named accounts with limits, persisted in an append-only,
# hash-chained ledger file (or in memory). Spends that do not fit are refused
# with IlsPrivacy::Error::BudgetExhausted and nothing is recorded or
# released.
#
#   my $budget = IlsPrivacy::Budget->open('/var/lib/koha/privacy.ledger');
#   $budget->set_limit('circulation-stats', 1.0);
#   my $noisy = $budget->laplace('circulation-stats', $count, 1, 0.1);
#
# The C handle is thread-safe; see IlsPrivacy::Handle for the close rule.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_budget_free }
sub _kind {'budget'}

*_n = \&IlsPrivacy::Native::number;
*_u = \&IlsPrivacy::Native::unsigned;
*_check = \&IlsPrivacy::Native::check;
*_text = \&IlsPrivacy::Native::c_text;
sub _i32 { IlsPrivacy::Native::signed($_[0], $_[1], 32) }

# open($ledger_path, lock_timeout_ms => $ms): the ledger file (created if
# absent; its directory must exist), or in memory when $ledger_path is undef.
# Without lock_timeout_ms the library waits up to 10 s for another
# process's lock.
sub open {
    my ($class, $path, %opt) = @_;
    my $p = _text($path, 'ledger_path', 1);
    my $ptr;
    if (defined $opt{lock_timeout_ms}) {
        _check(IlsPrivacy::Native::ilsp_budget_open_with_timeout($p, _u($opt{lock_timeout_ms}, 'lock_timeout_ms', 32), \$ptr));
    } else {
        _check(IlsPrivacy::Native::ilsp_budget_open($p, \$ptr));
    }
    return $class->_wrap($ptr);
}

# An in-memory budget (nothing persists).
sub in_memory { $_[0]->open(undef) }

sub _call {
    my ($self, $fn, @args) = @_;
    $self->_with(sub { _check($fn->($_[0], @args)) });
    return;
}

# set_limit($account, $epsilon, $delta = 0, $reason = undef).
sub set_limit {
    my ($self, $account, $epsilon, $delta, $reason) = @_;
    my @a = (_text($account, 'account'), _n($epsilon, 'epsilon'), _n($delta // 0, 'delta'));
    if (defined $reason) {
        $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_limit_with_reason, @a, _text($reason, 'reason'));
    } else {
        $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_limit, @a);
    }
}

# set_limit_rho($account, $rho, $reason = undef): a zCDP account's limit.
sub set_limit_rho {
    my ($self, $account, $rho, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_limit_rho, _text($account, 'account'), _n($rho, 'rho'),
        _text($reason, 'reason', 1));
}

# set_composition($account, COMPOSITION_BASIC | COMPOSITION_ZCDP).
sub set_composition {
    my ($self, $account, $rule) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_composition, _text($account, 'account'), _i32($rule, 'rule'));
}

# set_period($account, PERIOD_LIFETIME | PERIOD_CALENDAR_YEAR | PERIOD_CALENDAR_MONTH).
sub set_period {
    my ($self, $account, $period) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_period, _text($account, 'account'), _i32($period, 'period'));
}

# set_alert_threshold($account, $fraction).
sub set_alert_threshold {
    my ($self, $account, $threshold) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_alert_threshold, _text($account, 'account'), _n($threshold, 'threshold'));
}

# alert_status($account): ($alerted, $used_fraction).
sub alert_status {
    my ($self, $account) = @_;
    my ($alerted, $used) = (0, 0.0);
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_alert_status, _text($account, 'account'), \$alerted, \$used);
    return ($alerted ? 1 : 0, $used);
}

# spend($account, $epsilon, $delta = 0, correlation_id => $id): records a
# spend for a release the caller then performs; returns its ledger sequence.
sub spend {
    my ($self, $account, $epsilon, $delta, %opt) = @_;
    my $seq = 0;
    my @a = (_text($account, 'account'), _n($epsilon, 'epsilon'), _n($delta // 0, 'delta'));
    if (defined $opt{correlation_id}) {
        $self->_call(\&IlsPrivacy::Native::ilsp_budget_spend_correlated, @a, _text($opt{correlation_id}, 'correlation_id'), \$seq);
    } else {
        $self->_call(\&IlsPrivacy::Native::ilsp_budget_spend, @a, \$seq);
    }
    return $seq;
}

# spend_rho($account, $rho): a zCDP spend; returns its ledger sequence.
sub spend_rho {
    my ($self, $account, $rho) = @_;
    my $seq = 0;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_spend_rho, _text($account, 'account'), _n($rho, 'rho'), \$seq);
    return $seq;
}

# laplace($account, $value, $sensitivity, $epsilon): spends ε and returns
# the noisy value (nothing is released if the spend is refused).
sub laplace {
    my ($self, $account, $value, $sensitivity, $epsilon) = @_;
    my $out = 0.0;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_laplace, _text($account, 'account'), _n($value, 'value'),
        _n($sensitivity, 'sensitivity'), _n($epsilon, 'epsilon'), \$out);
    return $out;
}

# gaussian($account, $value, $l2_sensitivity, $epsilon, $delta).
sub gaussian {
    my ($self, $account, $value, $l2, $epsilon, $delta) = @_;
    my $out = 0.0;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_gaussian, _text($account, 'account'), _n($value, 'value'),
        _n($l2, 'l2_sensitivity'), _n($epsilon, 'epsilon'), _n($delta, 'delta'), \$out);
    return $out;
}

# spent($account): ($epsilon, $delta) spent.
sub spent {
    my ($self, $account) = @_;
    my ($e, $d) = (0.0, 0.0);
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_spent, _text($account, 'account'), \$e, \$d);
    return ($e, $d);
}

# spent_rho($account): ρ spent on a zCDP account.
sub spent_rho {
    my ($self, $account) = @_;
    my $rho = 0.0;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_spent_rho, _text($account, 'account'), \$rho);
    return $rho;
}

# remaining($account): ($epsilon, $delta, $rho) left.
sub remaining {
    my ($self, $account) = @_;
    my ($e, $d, $r) = (0.0, 0.0, 0.0);
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_remaining, _text($account, 'account'), \$e, \$d, \$r);
    return ($e, $d, $r);
}

# set_template($account, $template_json, $reason = undef).
sub set_template {
    my ($self, $account, $json, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_template, _text($account, 'account'), _text($json, 'template_json'),
        _text($reason, 'reason', 1));
}

# remove_template($account, $name, $reason = undef).
sub remove_template {
    my ($self, $account, $name, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_remove_template, _text($account, 'account'), _text($name, 'name'),
        _text($reason, 'reason', 1));
}

# set_templates_only($account, $enabled, $reason = undef).
sub set_templates_only {
    my ($self, $account, $enabled, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_templates_only, _text($account, 'account'), $enabled ? 1 : 0,
        _text($reason, 'reason', 1));
}

# suspend($account, $reason).
sub suspend {
    my ($self, $account, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_suspend, _text($account, 'account'), _text($reason, 'reason'));
}

# resume($account, $reason).
sub resume {
    my ($self, $account, $reason) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_resume, _text($account, 'account'), _text($reason, 'reason'));
}

# governance_status($account): { suspended, templates_only, burn_alerted, burn_alerts }.
sub governance_status {
    my ($self, $account) = @_;
    my ($s, $t, $b, $n) = (0, 0, 0, 0);
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_governance_status, _text($account, 'account'), \$s, \$t, \$b, \$n);
    return { suspended => $s ? 1 : 0, templates_only => $t ? 1 : 0, burn_alerted => $b ? 1 : 0, burn_alerts => $n };
}

# check_spends([[$account, $epsilon, $delta], ...]): a dry run, recording
# nothing. Returns ($all_fit, \@statuses), each status what spend() would
# return (0 = fits, else an IlsPrivacy::Error code).
sub check_spends {
    my ($self, $spends) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('spends must be an array reference') unless ref $spends eq 'ARRAY';
    my $n = @$spends;
    my @names = map {
        IlsPrivacy::Error::InvalidArgument->throw('each spend must be [account, epsilon, delta]') unless ref $_ eq 'ARRAY';
        _text($_->[0], 'account') . "\0"
    } @$spends;
    my $pointers = pack('Q*', map { IlsPrivacy::Native::address($_) } @names);
    my $eps = pack('d*', map { _n($_->[1], 'epsilon') } @$spends);
    my $dels = pack('d*', map { _n($_->[2] // 0, 'delta') } @$spends);
    my $statuses = "\0" x (4 * $n || 4);
    my $all = 0;
    my @ptrs = $n ? map { IlsPrivacy::Native::address($_) } ($pointers, $eps, $dels) : (undef, undef, undef);
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_check_spends, @ptrs, $n, IlsPrivacy::Native::address($statuses), \$all);
    return ($all ? 1 : 0, [unpack("l$n", $statuses)]);
}

# set_burn_plan($account, $planned, $window_seconds, $factor).
sub set_burn_plan {
    my ($self, $account, $planned, $window, $factor) = @_;
    $self->_call(\&IlsPrivacy::Native::ilsp_budget_set_burn_plan, _text($account, 'account'), _n($planned, 'planned'),
        _u($window, 'window_seconds'), _n($factor, 'factor'));
}

sub _text_out {
    my ($self, $fn, $cap) = @_;
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub { $fn->($h, @_) }, $cap);
    });
}

# metrics(): Prometheus text exposition of the ledger's figures.
sub metrics { $_[0]->_text_out(\&IlsPrivacy::Native::ilsp_budget_metrics, 4096) }

# export_ledger(): the ledger's entries as text (JSON lines).
sub export_ledger { $_[0]->_text_out(\&IlsPrivacy::Native::ilsp_budget_ledger_export, 4096) }

# recent_events(): the handle's recent events as JSON lines (telemetry).
sub recent_events { $_[0]->_text_out(\&IlsPrivacy::Native::ilsp_budget_recent_events, 4096) }

# IlsPrivacy::Budget->verify_ledger($path): ($entries, $head_hash); croaks
# LedgerIntegrity or LedgerIo on a damaged or unreadable ledger.
sub verify_ledger {
    my ($class, $path) = @_;
    my $p = _text($path, 'ledger_path');
    my $entries = 0;
    my $head = IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_budget_ledger_verify($p, \$entries, @_) }, 128);
    return ($entries, $head);
}

# IlsPrivacy::Budget->check_ledger($path): { entries, accounts, torn_tail_bytes, head }.
sub check_ledger {
    my ($class, $path) = @_;
    my $p = _text($path, 'ledger_path');
    my ($entries, $accounts, $torn) = (0, 0, 0);
    my $head = IlsPrivacy::Native::out_text(
        sub { IlsPrivacy::Native::ilsp_budget_ledger_check($p, \$entries, \$accounts, \$torn, @_) }, 128);
    return { entries => $entries, accounts => $accounts, torn_tail_bytes => $torn, head => $head };
}

1;
