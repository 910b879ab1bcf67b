# The budget and its ledger file: spends until exhausted, refusals record
# nothing, the ledger verifies and reopens with the same totals.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Scalar::Util qw(blessed);
use Test::More;
use IlsPrivacy;

my $dir = tempdir(CLEANUP => 1);
my $path = "$dir/privacy.ledger";

my $budget = IlsPrivacy::Budget->open($path);
$budget->set_limit('circ', 1.0, 0, 'annual statistics');
my @seqs;
for (1 .. 4) {
    push @seqs, $budget->spend('circ', 0.25);
}
is_deeply([map { $seqs[$_] > $seqs[$_ - 1] ? 1 : 0 } 1 .. 3], [1, 1, 1], 'spend sequence numbers increase');
my ($eps, $delta) = $budget->spent('circ');
is(sprintf('%.12f', $eps), '1.000000000000', 'four spends of 0.25 spent 1');
my ($before, undef) = $budget->spent('circ');
my $ok = eval { $budget->spend('circ', 0.001); 1 };
my $err = $@;
ok(!$ok, 'a spend beyond the limit is refused');
ok(blessed $err && $err->isa('IlsPrivacy::Error::BudgetExhausted'), 'with IlsPrivacy::Error::BudgetExhausted')
  or diag "$err";
is($err->code, 3, 'code ILSP_ERR_BUDGET_EXHAUSTED');
like($err->message, qr/budget exhausted on account "circ"/, 'the message names the account');
is(($budget->spent('circ'))[0], $before, 'nothing recorded after the refusal');
ok(!eval { $budget->laplace('circ', 10, 1, 0.1); 1 }, 'a charged release is refused too');
isa_ok($@, 'IlsPrivacy::Error::BudgetExhausted');
my ($re, $rd, $rr) = $budget->remaining('circ');
cmp_ok($re, '<=', 1e-12, 'nothing remains');

# Charged releases on another account.
$budget->set_limit('gate', 1.0, 1e-5);
my $noisy = $budget->laplace('gate', 100, 1, 0.4);
ok($noisy == $noisy, 'charged laplace gives a number');
my $g = $budget->gaussian('gate', 100, 1, 0.5, 1e-6);
ok($g == $g, 'charged gaussian gives a number');
ok(!eval { $budget->laplace('gate', 100, 1, 0.2); 1 }, 'a release that does not fit is refused');
isa_ok($@, 'IlsPrivacy::Error::BudgetExhausted');
is(sprintf('%.9f', ($budget->spent('gate'))[0]), '0.900000000', 'only the released spends were charged');
my $seq = $budget->spend('gate', 0.05, 0, correlation_id => 'report-42');
ok($seq > 0, 'correlated spend');

# Dry runs record nothing.
my ($all, $statuses) = $budget->check_spends([['gate', 0.04, 0], ['gate', 0.5, 0], ['nope', 0.1, 0]]);
is($all, 0, 'not all fit');
is_deeply($statuses, [0, 3, 3], 'per-spend statuses');
is(sprintf('%.9f', ($budget->spent('gate'))[0]), '0.950000000', 'a dry run records nothing');

# zCDP account, alerts, governance.
$budget->set_composition('z', IlsPrivacy::COMPOSITION_ZCDP);
$budget->set_limit_rho('z', 0.5, 'zcdp account');
$budget->spend_rho('z', 0.2);
is(sprintf('%.6f', $budget->spent_rho('z')), '0.200000', 'rho spent');
$budget->set_alert_threshold('gate', 0.5);
my ($alerted, $used) = $budget->alert_status('gate');
is($alerted, 1, 'alert above the threshold');
$budget->set_limit('gov', 1);
$budget->suspend('gov', 'audit');
ok(!eval { $budget->spend('gov', 0.1); 1 }, 'a suspended account refuses spends');
isa_ok($@, 'IlsPrivacy::Error::AccountSuspended');
is($budget->governance_status('gov')->{suspended}, 1, 'governance status shows the suspension');
$budget->resume('gov', 'audit done');
$budget->set_templates_only('gov', 1, 'templates from now');
ok(!eval { $budget->spend('gov', 0.1); 1 }, 'a templates-only account refuses an untemplated spend');
isa_ok($@, 'IlsPrivacy::Error::TemplateMismatch');
$budget->set_templates_only('gov', 0);
$budget->set_burn_plan('gov', 0.5, 86400, 2);
$budget->set_period('gov', IlsPrivacy::PERIOD_CALENDAR_YEAR);
like($budget->metrics, qr/ilsprivacy_/, 'metrics text');
like($budget->export_ledger, qr/circ/, 'ledger export names the accounts');
like($budget->recent_events, qr/"circ"|circ/, 'recent events');
$budget->close;

# The ledger verifies and a reopened budget has the same totals.
my ($entries, $head) = IlsPrivacy::Budget->verify_ledger($path);
cmp_ok($entries, '>=', 10, 'the ledger has the entries');
like($head, qr/^[0-9a-f]{64}$/, 'the chain head is a hash');
my $check = IlsPrivacy::Budget->check_ledger($path);
is($check->{head}, $head, 'check_ledger agrees');
is($check->{torn_tail_bytes}, 0, 'no torn tail');
my $again = IlsPrivacy::Budget->open($path, lock_timeout_ms => 1000);
is(sprintf('%.12f', ($again->spent('circ'))[0]), '1.000000000000', 'totals survive reopening');
ok(!eval { $again->spend('circ', 0.01); 1 }, 'and the limit still holds');

# A damaged ledger is refused.
$again->close;
open my $fh, '+<', $path or die $!;
my $text = do { local $/; <$fh> };
$text =~ s/0\.25/0.15/ or die 'no spend to tamper with';
seek $fh, 0, 0;
print $fh $text;
close $fh;
ok(!eval { IlsPrivacy::Budget->verify_ledger($path); 1 }, 'a tampered ledger fails verification');
isa_ok($@, 'IlsPrivacy::Error::LedgerIntegrity');
ok(!eval { IlsPrivacy::Budget->open($path); 1 }, 'and does not open');
isa_ok($@, 'IlsPrivacy::Error::LedgerIntegrity');
ok(!eval { IlsPrivacy::Budget->open("$dir/missing/dir/ledger"); 1 }, 'a ledger in a missing directory');
isa_ok($@, 'IlsPrivacy::Error::LedgerIo');

# In memory.
my $mem = IlsPrivacy::Budget->in_memory;
$mem->set_limit('a', 0.5);
$mem->spend('a', 0.5);
ok(!eval { $mem->spend('a', 0.1); 1 }, 'in-memory budgets enforce limits');
ok(!eval { $mem->spend('unknown', 0.1); 1 }, 'an account without a limit refuses');
isa_ok($@, 'IlsPrivacy::Error::BudgetExhausted');

done_testing;
