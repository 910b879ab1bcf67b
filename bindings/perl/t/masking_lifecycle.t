# Masking, export schemas, lifecycle policies and epoch rings.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use IlsPrivacy;
use IlsPrivacy::Masking qw(:all);

my $KEY = 'library-pipeline-key-0123456789!';
my $dir = tempdir(CLEANUP => 1);

is(mask_email('jane.doe@example.org'), 'j***@***.org', 'e-mail redaction');
is(mask_email('jane.doe@Example.org', 1), 'j***@example.org', 'e-mail keeping the domain');
ok(!eval { mask_email('not-an-email'); 1 }, 'a malformed e-mail');
isa_ok($@, 'IlsPrivacy::Error::InvalidArgument');
is(coarsen_date('2026-03-14', 'iso_week'), '2026-W11', 'ISO week');
is(coarsen_date('2026-03-14', 'month'), '2026-03', 'month');
ok(!eval { coarsen_date('2026-02-30'); 1 }, 'not a calendar day');
is(age_band(37), '30-39', 'age band');
is(age_band(95), '90+', 'top band');
is(truncate_postcode('SW1A 1AA', 4), 'SW1A', 'postcode');
my $s = suppress_small_cells([[1, 10], [20, 30]], 5);
is($s->{status}[0][0], IlsPrivacy::CELL_PRIMARY, 'the small cell is a primary suppression');
is($s->{values}[0][0], undef, 'its value is hidden');
is($s->{values}[2][2], 61, 'the grand total is published');
is(scalar(grep { $_ == IlsPrivacy::CELL_COMPLEMENTARY } map {@$_} @{ $s->{status} }) >= 1, 1,
    'complementary suppressions protect it');
ok(!eval { suppress_small_cells([[1, 2], [3]]); 1 }, 'a ragged table is refused');

my $schema = IlsPrivacy::ExportSchema->new({
    unknown_fields => 'reject',
    pii_fields     => 'strip',
    fields         => {
        patron_id => { rule => 'tokenize', normalize => ['trim', 'strip_separators'], required => JSON::PP::true() },
        email     => { rule => 'email' },
        checkout  => { rule => 'date', granularity => 'iso_week' },
        age       => { rule => 'age_band', width => 10, top => 90 },
        branch    => { rule => 'keep', type => 'string' },
        name      => { rule => 'pii' },
    },
});
my $t = IlsPrivacy::Tokenizer->new($KEY);
my $ok = $schema->apply($t, { patron_id => ' 21234-000123456 ', email => 'jane.doe@example.org',
    checkout => '2026-03-14', age => 37, branch => 'Central', name => 'Jane Doe' });
is($ok->{quarantined}, 0, 'a clean record');
is_deeply($ok->{record}, { patron_id => 'v1.k1.qyhwmumgr5qp4dovv5mrp7doie', email => 'j***@***.org',
    checkout => '2026-W11', age => '30-39', branch => 'Central' }, 'the same record as the Python binding exports');
my $bad = $schema->apply($t, { patron_id => 'P-1', email => 'jane-secret', ssn => '078-05-1120', age => -3 });
is($bad->{quarantined}, 1, 'a bad record is quarantined');
is_deeply({ map { $_->{field} => $_->{reason} } @{ $bad->{issues} } },
    { email => 'malformed', ssn => 'unknown_field', age => 'wrong_type' }, 'reasons name fields');
unlike(JSON::PP->new->canonical->encode($bad), qr/secret|078/, 'never values');
is($schema->apply($t, '{"patron_id": "jane@x.org"')->{issues}[0]{reason}, 'not_an_object', 'broken JSON');
ok(!eval { IlsPrivacy::ExportSchema->new({ fields => { a => { rule => 'nope' } } }); 1 }, 'a bad schema');
like("$@", qr/unknown variant/, 'names the problem');

# Policies.
my $root = "$FindBin::Bin/../../../examples/policies";
my $read = sub { open my $fh, '<', $_[0] or die $!; local $/; <$fh> };
my $public = IlsPrivacy::Policy->new($read->("$root/public-library.toml"));
my $school = IlsPrivacy::Policy->new($read->("$root/school-library.toml"));
my $loan = { checkout_date => '2024-02-01', returned_on => '2024-02-29', patron_id => '21234000123456' };
is($public->retention('circulation_history', '2025-02-27', $loan)->{actions}{checkout_date}, 'keep', 'retention before');
my $on = $public->retention('circulation_history', '2025-02-28', $loan);
is($on->{actions}{checkout_date}, 'coarsen:date:month', 'retention on the day');
is($on->{actions}{patron_id}, 'pseudonymize', 'pseudonymize');
ok(!eval { $public->retention('loans', '2025-02-28', $loan); 1 }, 'unknown class');
like("$@", qr/is not a record class/, 'message');
my $student = { student_id => 'S-1', name => 'Ada', grade_level => 7, disciplinary_notes => 'detention',
    directory_opt_out => 'yes' };
is_deeply($school->mask('teacher', $student)->{record}, { student_id => 'S-1', name => 'Ada', grade_level => '7' },
    'teacher view');
like($school->mask('vendor-analytics', $student, $t)->{record}{student_id}, qr/^v1\.k1\./, 'tokenized for a vendor');
ok(!eval { $school->mask('vendor-analytics', $student); 1 }, 'tokenizing without a tokenizer');
isa_ok($@, 'IlsPrivacy::Error::Key');
ok(!eval { IlsPrivacy::Policy->new("[policy]\nname = 1\n"); 1 }, 'a bad policy');
isa_ok($@, 'IlsPrivacy::Error::InvalidArgument');

# Epoch rings.
my $ring = IlsPrivacy::EpochRing->create("$dir/ring");
$ring->add('2025', 'r' x 32);
$ring->add('2026');
my $tok = $ring->tokenize('2025', 'P-1');
ok($ring->verify($tok, 'P-1'), 'an epoch token verifies');
ok(!$ring->verify($tok, 'P-2'), 'not for another ID');
$ring->close;
my $again = IlsPrivacy::EpochRing->open("$dir/ring");
is($again->tokenize('2025', 'P-1'), $tok, 'the ring file keeps the keys');
ok($again->retire('2025') > 0, 'retire gives a time');
ok(!eval { $again->tokenize('2025', 'P-1'); 1 }, 'a retired epoch no longer tokenizes');
isa_ok($@, 'IlsPrivacy::Error::Key');
ok(!eval { IlsPrivacy::EpochRing->create("$dir/ring"); 1 }, 'create refuses an existing file');
isa_ok($@, 'IlsPrivacy::Error::LedgerIo');

done_testing;
