package IlsPrivacy::Aggregator;

# Streaming aggregation: events (privacy unit, partition, count, value) are
# added as they come, bounded per unit, mergeable across shards; release()
# spends from a budget and returns a differentially private table
# (IlsPrivacy::Table).
#
#   my $agg = IlsPrivacy::Aggregator->new(max_partitions_per_unit => 3);
#   $agg->add($patron_token, $branch);
#   my $table = $agg->release($budget, 'circ', count_param => 0.5,
#       selection_epsilon => 0.5, selection_delta => 1e-6);
#   for my $row (@{ $table->rows }) { print "$row->{partition} $row->{count}\n" }
#
# Units and partitions are byte strings (text is encoded as UTF-8).

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;
use IlsPrivacy::Table;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_aggregator_free }
sub _kind {'aggregator'}

*_check = \&IlsPrivacy::Native::check;
*_n = \&IlsPrivacy::Native::number;
*_s = \&IlsPrivacy::Native::signed;
*_u = \&IlsPrivacy::Native::unsigned;
*_b = \&IlsPrivacy::Native::text_bytes;

# new(max_partitions_per_unit => 1, sum_values => 0, value_lo => 0,
#     value_hi => 0, public_partitions => [keys] or undef).
sub new {
    my ($class, %opt) = @_;
    my $public = $opt{public_partitions};
    my ($joined, $offsets, $n) = ('', pack('Q', 0), 0);
    if (defined $public) {
        IlsPrivacy::Error::InvalidArgument->throw('public_partitions must be an array reference') unless ref $public eq 'ARRAY';
        ($joined, $offsets) = IlsPrivacy::Native::pack_strings(map { _b($_, 'public_partitions') } @$public);
        $n = @$public;
    }
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_aggregator_new(_u($opt{max_partitions_per_unit} // 1, 'max_partitions_per_unit', 32),
        $opt{sum_values} ? 1 : 0, _s($opt{value_lo} // 0, 'value_lo'), _s($opt{value_hi} // 0, 'value_hi'),
        $n ? $joined : undef, $n ? IlsPrivacy::Native::address($offsets) : undef, $n, \$ptr));
    return $class->_wrap($ptr);
}

# from_bytes($state): an aggregator from to_bytes() output.
sub from_bytes {
    my ($class, $state) = @_;
    my $b = IlsPrivacy::Native::raw_bytes($state, 'state');
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_aggregator_deserialize($b, length $b, \$ptr));
    return $class->_wrap($ptr);
}

# new_shard(): an empty aggregator of the same job (mergeable with this one).
sub new_shard {
    my ($self) = @_;
    my $ptr;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_aggregator_new_shard($_[0], \$ptr)) });
    return ref($self)->_wrap($ptr);
}

# add($unit, $partition, $count = 1, $value = 0).
sub add {
    my ($self, $unit, $partition, $count, $value) = @_;
    my $u = _b($unit, 'unit');
    my $p = _b($partition, 'partition');
    my $c = _u($count // 1, 'count');
    my $v = _s($value // 0, 'value');
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_aggregator_add($_[0], $u, length $u, $p, length $p, $c, $v)) });
    return;
}

# add_batch(\@units, \@partitions, \@counts = all 1, \@values = all 0).
sub add_batch {
    my ($self, $units, $partitions, $counts, $values) = @_;
    for ([$units, 'units'], [$partitions, 'partitions']) {
        IlsPrivacy::Error::InvalidArgument->throw("$_->[1] must be an array reference") unless ref $_->[0] eq 'ARRAY';
    }
    my $n = @$units;
    IlsPrivacy::Error::InvalidArgument->throw('units and partitions must have the same length') unless @$partitions == $n;
    for ([$counts, 'counts'], [$values, 'values']) {
        next unless defined $_->[0];
        IlsPrivacy::Error::InvalidArgument->throw("$_->[1] must be an array reference of the units' length")
          unless ref $_->[0] eq 'ARRAY' && @{ $_->[0] } == $n;
    }
    return unless $n;
    my ($uj, $uo) = IlsPrivacy::Native::pack_strings(map { _b($_, 'units') } @$units);
    my ($pj, $po) = IlsPrivacy::Native::pack_strings(map { _b($_, 'partitions') } @$partitions);
    my $cp = defined $counts ? pack('Q*', map { _u($_, 'counts') } @$counts) : undef;
    my $vp = defined $values ? pack('q*', map { _s($_, 'values') } @$values) : undef;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_aggregator_add_batch($_[0], $n, $uj, IlsPrivacy::Native::address($uo), $pj,
            IlsPrivacy::Native::address($po), defined $cp ? IlsPrivacy::Native::address($cp) : undef,
            defined $vp ? IlsPrivacy::Native::address($vp) : undef));
    });
    return;
}

# merge($other): adds another shard's events to this one.
sub merge {
    my ($self, $other) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('other must be an IlsPrivacy::Aggregator')
      unless Scalar::Util::blessed($other) && $other->isa(__PACKAGE__);
    $self->_with(sub {
        my $a = $_[0];
        $other->_with(sub { _check(IlsPrivacy::Native::ilsp_aggregator_merge($a, $_[0])) });
    });
    return;
}

# to_bytes(): the state (with the patrons' tokens: protect it as such).
sub to_bytes {
    my ($self) = @_;
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_bytes(sub { IlsPrivacy::Native::ilsp_aggregator_serialize($h, @_) }, 4096);
    });
}

# stats(): { events, events_outside_public, units, partitions } (exact:
# operator diagnostics, not for publication).
sub stats {
    my ($self) = @_;
    my ($e, $o, $u, $p) = (0, 0, 0, 0);
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_aggregator_stats($_[0], \$e, \$o, \$u, \$p)) });
    return { events => $e, events_outside_public => $o, units => $u, partitions => $p };
}

# release($budget, $account, max_contributions_per_partition => 1,
#   noise => TABLE_NOISE_LAPLACE, count_param => ε or ρ, sum_param => 0,
#   selection_epsilon => 0, selection_delta => 0, suppress_below => 0,
#   bound_quantile => q, bound_epsilon => ε (both: sums' bound chosen
#   privately)): spends from $budget and returns an IlsPrivacy::Table.
sub release {
    my ($self, $budget, $account, %opt) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('budget must be an IlsPrivacy::Budget')
      unless Scalar::Util::blessed($budget) && $budget->isa('IlsPrivacy::Budget');
    my @args = (IlsPrivacy::Native::c_text($account, 'account'),
        _u($opt{max_contributions_per_partition} // 1, 'max_contributions_per_partition', 32),
        IlsPrivacy::Native::signed($opt{noise} // 0, 'noise', 32), _n($opt{count_param}, 'count_param'),
        _n($opt{sum_param} // 0, 'sum_param'), _n($opt{selection_epsilon} // 0, 'selection_epsilon'),
        _n($opt{selection_delta} // 0, 'selection_delta'), _s($opt{suppress_below} // 0, 'suppress_below'));
    my $private_bound = defined $opt{bound_quantile} || defined $opt{bound_epsilon};
    push @args, _n($opt{bound_quantile}, 'bound_quantile'), _n($opt{bound_epsilon}, 'bound_epsilon') if $private_bound;
    my $ptr;
    $self->_with(sub {
        my $a = $_[0];
        $budget->_with(sub {
            _check($private_bound
                ? IlsPrivacy::Native::ilsp_aggregator_release_private_bound($a, $_[0], @args, \$ptr)
                : IlsPrivacy::Native::ilsp_aggregator_release($a, $_[0], @args, \$ptr));
        });
    });
    return IlsPrivacy::Table->_wrap($ptr);
}

require Scalar::Util;

1;
