# Misuse: every handle type croaks IlsPrivacy::Error::ClosedHandle after
# close(), double close is harmless, a close during a call is deferred until
# the call returns, and a new ithread never sees (or frees) a handle.
use strict;
use warnings;
use Config;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Digest::SHA ();
use Scalar::Util qw(blessed);
use Test::More;
use IlsPrivacy;

my $dir = tempdir(CLEANUP => 1);
my $KEY = 'k' x 32;
my $ring_n = 0;
my $POLICY = do {
    open my $fh, '<', "$FindBin::Bin/../../../examples/policies/public-library.toml" or die $!;
    local $/;
    <$fh>;
};

# Each handle type: how to make one, and a method call to try after close.
my @cases = (
    [budget     => sub { IlsPrivacy::Budget->in_memory },               sub { $_[0]->spent('a') }],
    [accountant => sub { IlsPrivacy::Accountant->new },                 sub { $_[0]->epsilon(1e-6) }],
    [tokenizer  => sub { IlsPrivacy::Tokenizer->new($KEY) },            sub { $_[0]->tokenize('x') }],
    [key        => sub { IlsPrivacy::Key->generate },                   sub { $_[0]->derive('t', 'p') }],
    [aggregator => sub { IlsPrivacy::Aggregator->new },                 sub { $_[0]->add('u', 'p') }],
    [table      => sub {
        my $b = IlsPrivacy::Budget->in_memory;
        $b->set_limit('a', 1);
        IlsPrivacy::Aggregator->new(public_partitions => ['p'])->release($b, 'a', count_param => 0.5);
    }, sub { $_[0]->rows }],
    [counter    => sub { IlsPrivacy::Counter->laplace(4, 1, 1) },        sub { $_[0]->push(1) }],
    [export_schema => sub { IlsPrivacy::ExportSchema->new('{"fields": {}}') },
        sub { $_[0]->apply(IlsPrivacy::Tokenizer->new($KEY), {}) }],
    [policy     => sub { IlsPrivacy::Policy->new($POLICY) },
        sub { $_[0]->retention('circulation_history', '2025-01-01', {}) }],
    [epoch_ring => sub { IlsPrivacy::EpochRing->create("$dir/ring" . $ring_n++) }, sub { $_[0]->tokenize('e', 'x') }],
);

for my $case (@cases) {
    my ($name, $make, $use) = @$case;
    my $h = $make->();
    ok(!$h->closed, "$name: open");
    $h->close;
    ok($h->closed, "$name: closed");
    ok(!eval { $use->($h); 1 }, "$name: a method after close croaks");
    my $err = $@;
    ok(blessed $err && $err->isa('IlsPrivacy::Error::ClosedHandle'), "$name: with IlsPrivacy::Error::ClosedHandle")
      or diag "$err";
    like("$err", qr/is closed/, "$name: message");
    ok(eval { $h->close; $h->close; 1 }, "$name: closing again is harmless");
    undef $h;    # DESTROY after close frees nothing twice
}

# A closed handle passed as an argument to another handle's method croaks too.
my $budget = IlsPrivacy::Budget->in_memory;
$budget->set_limit('a', 1);
my $agg = IlsPrivacy::Aggregator->new(public_partitions => ['p']);
$budget->close;
ok(!eval { $agg->release($budget, 'a', count_param => 0.5); 1 }, 'a closed budget as argument croaks');
isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');
my $t = IlsPrivacy::Tokenizer->new($KEY);
my $key = IlsPrivacy::Key->generate;
$key->close;
ok(!eval { $t->add_key('k2', $key); 1 }, 'a closed key as argument croaks');
isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');
ok(!eval { IlsPrivacy::Tokenizer->new('k', $key); 1 }, 'a closed key to the tokenizer constructor croaks');
isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');

# Methods on things that are not handles croak rather than dereferencing.
ok(!eval { IlsPrivacy::Tokenizer::tokenize('IlsPrivacy::Tokenizer', 'x'); 1 }, 'a class name as object croaks');
isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');
ok(!eval { $agg->release('not a budget', 'a', count_param => 0.5); 1 }, 'a non-budget argument croaks');
isa_ok($@, 'IlsPrivacy::Error::InvalidArgument');

# A close made while a call holds the handle (as a signal handler or a
# DESTROY running inside the call could) is deferred until the call returns.
{
    my $tok = IlsPrivacy::Tokenizer->new($KEY);
    my $freed = 0;
    no warnings 'redefine';
    my $orig = \&IlsPrivacy::Native::ilsp_tokenizer_free;
    local *IlsPrivacy::Tokenizer::_free_function = sub { sub { $freed++; $orig->(@_) } };
    my $token = $tok->_with(sub {
        my $ptr = $_[0];
        $tok->close;    # inside the call
        is($freed, 0, 'close inside a call does not free yet');
        ok($tok->closed, 'but the handle is closed for new calls');
        ok(!eval { $tok->tokenize('y'); 1 }, 'a new call croaks');
        isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_tokenize($ptr, 'x', 1, @_) }, 65);
    });
    is($token, Digest::SHA::hmac_sha256_hex('x', $KEY), 'the running call completed on live memory');
    is($freed, 1, 'freed once the call returned');
    $tok->close;
    undef $tok;
    is($freed, 1, 'and only once (close again, DESTROY)');
}

# Croaking inside a held call still releases the hold.
{
    my $tok = IlsPrivacy::Tokenizer->new($KEY);
    ok(!eval { $tok->_with(sub { die "boom\n" }); 1 }, 'a failing body');
    is($tok->_users, 0, 'the use count returns to 0');
    $tok->close;
    ok($tok->closed, 'and close frees at once');
}

# A copy of a handle object is not a second owner: it is closed, and
# destroying it frees nothing.
{
    my $tok = IlsPrivacy::Tokenizer->new($KEY);
    my $expected = $tok->tokenize('c');
    my $copy = bless {%$tok}, ref $tok;
    ok($copy->closed, 'a hash copy of a handle is closed');
    ok(!eval { $copy->tokenize('c'); 1 }, 'and croaks');
    isa_ok($@, 'IlsPrivacy::Error::ClosedHandle');
    undef $copy;
    is($tok->tokenize('c'), $expected, 'destroying the copy freed nothing');
    SKIP: {
        skip 'perl without ithreads', 2 unless $Config{useithreads};
        require threads;
        require threads::shared;
        my $shared = threads::shared::shared_clone($tok);
        ok(!eval { $shared->tokenize('c'); 1 }, 'a shared_clone copy croaks');
        undef $shared;
        is($tok->tokenize('c'), $expected, 'and its destruction frees nothing');
    }
}

# ithreads: a new thread gets no usable copy of a handle, so it can neither
# use nor free the parent's object; the parent's handle keeps working.
SKIP: {
    skip 'perl without ithreads', 4 unless $Config{useithreads};
    require threads;
    my $tok = IlsPrivacy::Tokenizer->new($KEY);
    my $expected = $tok->tokenize('z');
    my $thr = threads->create({ context => "list" }, sub {
        my $ok = eval { $tok->tokenize('z'); 1 };
        my $own = IlsPrivacy::Tokenizer->new($KEY)->tokenize('z');
        return ($ok ? 1 : 0, (blessed($tok) // 'unblessed'), $own);
    });
    my ($used, $class, $own) = $thr->join;
    is($used, 0, 'a thread cannot call the parent\'s handle');
    is($class, 'unblessed', 'the thread\'s copy is not a handle (CLONE_SKIP)');
    is($own, $expected, 'a handle made inside the thread works');
    is($tok->tokenize('z'), $expected, 'the parent\'s handle still works after the thread ended');
}

done_testing;
