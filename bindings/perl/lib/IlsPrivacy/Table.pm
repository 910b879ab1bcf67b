package IlsPrivacy::Table;

# A released, differentially private table (from IlsPrivacy::Aggregator's
# release). Its contents are public: they are the noisy release.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_table_free }
sub _kind {'table'}

use constant { ROW_SUPPRESSED => 1, ROW_HAS_SUM => 2 };

# row_count(): the number of rows.
sub row_count {
    my ($self) = @_;
    return $self->_with(sub { IlsPrivacy::Native::ilsp_table_rows($_[0]) });
}

# row($i): { partition, count, sum, suppressed } (count and sum undef when
# suppressed; sum undef when the release has no sums).
sub row {
    my ($self, $i) = @_;
    my $index = IlsPrivacy::Native::unsigned($i, 'i');
    return $self->_with(sub {
        my $h = $_[0];
        my ($count, $sum, $flags) = (0, 0, 0);
        my $partition = IlsPrivacy::Native::out_bytes(sub {
            my ($buf, $cap, $len) = @_;
            IlsPrivacy::Native::ilsp_table_row($h, $index, $buf, $cap, $len, \$count, \$sum, \$flags);
        }, 64);
        my $suppressed = $flags & ROW_SUPPRESSED ? 1 : 0;
        return {
            partition  => $partition,
            suppressed => $suppressed,
            count      => $suppressed ? undef : $count,
            sum        => (!$suppressed && $flags & ROW_HAS_SUM) ? $sum : undef,
        };
    });
}

# rows(): every row, as row() gives them.
sub rows {
    my ($self) = @_;
    return [map { $self->row($_) } 0 .. $self->row_count - 1];
}

# cost(): { epsilon, delta, rho } charged for the release.
sub cost {
    my ($self) = @_;
    my ($e, $d, $r) = (0.0, 0.0, 0.0);
    $self->_with(sub { IlsPrivacy::Native::check(IlsPrivacy::Native::ilsp_table_cost($_[0], \$e, \$d, \$r)) });
    return { epsilon => $e, delta => $d, rho => $r };
}

# noise(): { count_scale, sum_scale, max_partitions_per_unit,
# max_contributions_per_partition, selection_threshold }.
sub noise {
    my ($self) = @_;
    my ($cs, $ss, $l0, $linf, $thr) = (0.0, 0.0, 0, 0, 0);
    $self->_with(sub {
        IlsPrivacy::Native::check(IlsPrivacy::Native::ilsp_table_noise($_[0], \$cs, \$ss, \$l0, \$linf, \$thr));
    });
    return { count_scale => $cs, sum_scale => $ss, max_partitions_per_unit => $l0,
        max_contributions_per_partition => $linf, selection_threshold => $thr };
}

1;
