# Streaming aggregation: events in, a released table out, charged to a budget.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use IlsPrivacy;

my $dir = tempdir(CLEANUP => 1);
my $budget = IlsPrivacy::Budget->open("$dir/ledger");
$budget->set_limit('circ', 2.0, 1e-5);

# Public partitions, Laplace counts and sums.
my $agg = IlsPrivacy::Aggregator->new(max_partitions_per_unit => 2, sum_values => 1, value_lo => 0, value_hi => 10,
    public_partitions => ['Central', 'North', "S\x{fc}d"]);
for my $i (1 .. 300) {
    $agg->add("patron-$i", $i % 3 == 0 ? 'Central' : $i % 3 == 1 ? 'North' : "S\x{fc}d", 1, $i % 11);
}
$agg->add_batch(['p-a', 'p-b'], ['Central', 'Elsewhere'], [1, 1], [5, 5]);
my $stats = $agg->stats;
is($stats->{events}, 302, 'events counted');
is($stats->{events_outside_public}, 1, 'an event outside the public list is counted apart');
my $table = $agg->release($budget, 'circ', count_param => 0.5, sum_param => 0.5);
my $rows = $table->rows;
is(scalar(@$rows), 3, 'one row per public partition');
is_deeply([sort map { $_->{partition} } @$rows], [sort 'Central', 'North', "S\xc3\xbcd"],
    'partitions come back as the bytes given (UTF-8)');
for my $row (@$rows) {
    cmp_ok(abs($row->{count} - 100), '<', 60, "count of $row->{partition} near 100");
    ok(defined $row->{sum}, 'a sum is released');
}
is($table->row_count, 3, 'row_count');
my $cost = $table->cost;
is(sprintf('%.9f', $cost->{epsilon}), '1.000000000', 'the table cost epsilon 1');
is(sprintf('%.9f', ($budget->spent('circ'))[0]), '1.000000000', 'the budget was charged what the table cost');
is($table->noise->{max_partitions_per_unit}, 2, 'noise parameters');
ok(!eval { $table->row(3); 1 }, 'a row out of range');
isa_ok($@, 'IlsPrivacy::Error::InvalidArgument');

# A release that does not fit records nothing.
ok(!eval { $agg->release($budget, 'circ', count_param => 1.5); 1 }, 'a release beyond the limit is refused');
isa_ok($@, 'IlsPrivacy::Error::BudgetExhausted');
is(sprintf('%.9f', ($budget->spent('circ'))[0]), '1.000000000', 'nothing recorded');

# Partitions from the data: private selection.
my $sel = IlsPrivacy::Aggregator->new(max_partitions_per_unit => 1);
$sel->add("u$_", 'popular') for 1 .. 500;
$sel->add('lonely-patron', 'rare');
my $t2 = $sel->release($budget, 'circ', count_param => 0.4, selection_epsilon => 0.4, selection_delta => 1e-6);
my @parts = map { $_->{partition} } @{ $t2->rows };
is_deeply(\@parts, ['popular'], 'a partition with one patron is not selected');

# Shards, serialization.
my $shard = $sel->new_shard;
$shard->add('u-new', 'popular');
$sel->merge($shard);
is($sel->stats->{events}, 502, 'merge adds the shard\'s events');
my $state = $sel->to_bytes;
my $copy = IlsPrivacy::Aggregator->from_bytes($state);
is($copy->stats->{events}, 502, 'the state round-trips');
ok(!eval { IlsPrivacy::Aggregator->from_bytes(substr($state, 0, 10)); 1 }, 'a truncated state is refused');
ok(!eval { IlsPrivacy::Aggregator->new(max_partitions_per_unit => 0); 1 }, 'L0 = 0 is refused');
isa_ok($@, 'IlsPrivacy::Error::InvalidArgument');
ok(!eval { $agg->add('', 'Central'); 1 }, 'an empty unit is refused');
ok(!eval { $agg->add_batch(['a'], []); 1 }, 'mismatched batch lengths are refused');

# Continual counter charged to the budget.
$budget->set_limit('daily', 1.0);
my $counter = IlsPrivacy::Counter->laplace(16, 1, 1.0);
$counter->start($budget, 'daily');
is(sprintf('%.6f', ($budget->spent('daily'))[0]), '1.000000', 'the counter paid for all periods at start');
my $total = $counter->push(5) for 1 .. 4;
ok($counter->error_bound(0.05) > 0, 'error bound');
ok(!eval { IlsPrivacy::Counter->gaussian(16, 1, 0.1)->start($budget, 'daily'); 1 }, 'a second counter does not fit');

done_testing;
