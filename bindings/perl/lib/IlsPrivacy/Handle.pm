package IlsPrivacy::Handle;

# Base class of every object the library owns behind an opaque pointer
# (budget, tokenizer, key, aggregator, table, accountant, counter, policy,
# export schema, epoch ring).
#
# The rule, for every handle type:
#  - close() frees the native object exactly once (later calls, and DESTROY,
#    do nothing); after close() every method croaks with
#    IlsPrivacy::Error::ClosedHandle, before any C call is made.
#  - Each method holds the handle for its duration (a use count). A close()
#    made while a call holds it (from a %SIG handler, a DESTROY or a tied
#    variable running inside the call) marks the handle closed at once but
#    frees it only when the last call in progress returns: nothing is ever
#    freed under a running call.
#  - The pointer lives outside the object (see %STATE): a copy of the
#    object's hash is a closed handle, never a second owner.
#  - Perl ithreads: a handle belongs to the interpreter (thread) that made
#    it. CLONE_SKIP makes a new thread's copy an unblessed, empty value, so a
#    thread can neither call into nor free the parent's native object (no
#    double free when both interpreters are destroyed). Make the objects a
#    thread needs inside that thread. A copy made by threads::shared's
#    shared_clone is a closed handle (it croaks ClosedHandle; sharing a live
#    handle between threads is not supported).

use strict;
use warnings;
use IlsPrivacy::Error;

our $VERSION = '0.1.0';

# Subclasses: the C free function (a code ref) and the name errors use.
sub _free_function { die 'subclass must define _free_function' }
sub _kind {'object'}

# The state of every live handle, keyed by the object's address: the
# pointer, the use count, whether close() has started. Kept outside the
# object, so a copy of the object's hash (bless {%$h}, threads::shared's
# shared_clone, Storable's dclone) holds no pointer: it is a closed handle
# that can neither call the library nor free the object.
my %STATE;

# Wraps a pointer returned by an ilsp_*_new/open call.
sub _wrap {
    my ($class, $ptr) = @_;
    IlsPrivacy::Error::Internal->throw("the library returned a NULL $class") unless $ptr;
    my $self = bless {}, $class;
    $STATE{ Scalar::Util::refaddr($self) } = { ptr => $ptr, users => 0, closing => 0 };
    return $self;
}

# Handles are never cloned into a new ithread (see the rule above), and the
# new thread's copy of the state table is emptied: its addresses are the
# parent's, which the thread's own new objects could reuse.
sub CLONE_SKIP {1}
sub CLONE { %STATE = () }

sub _state {
    my ($self) = @_;
    return ref $self ? $STATE{ Scalar::Util::refaddr($self) } : undef;
}

# Runs $body->($ptr) holding the handle; croaks ClosedHandle if it is
# closed. Returns what $body returns (list context).
sub _with {
    my ($self, $body) = @_;
    my $ptr = $self->_acquire;
    my @result;
    my $ok = eval { @result = $body->($ptr); 1 };
    my $err = $@;
    $self->_release;
    die $err unless $ok;
    return wantarray ? @result : $result[0];
}

sub _acquire {
    my ($self) = @_;
    my $st = _state($self);
    my $kind = eval { $self->_kind } // 'object';
    IlsPrivacy::Error::ClosedHandle->throw("the $kind is closed") if !$st || $st->{closing} || !$st->{ptr};
    $st->{users}++;
    return $st->{ptr};
}

sub _release {
    my ($self) = @_;
    my $st = _state($self) or return;
    $st->{users}--;
    $self->_free_now if $st->{closing} && $st->{users} == 0;
}

sub _free_now {
    my ($self) = @_;
    my $st = delete $STATE{ Scalar::Util::refaddr($self) } or return;
    $self->_free_function->($st->{ptr}) if $st->{ptr};
}

# The number of calls holding the handle now (0 when closed).
sub _users {
    my $st = _state($_[0]);
    return $st ? $st->{users} : 0;
}

# Frees the native object (idempotent). Deferred until the last call in
# progress on this handle returns, if any.
sub close {
    my ($self) = @_;
    my $st = _state($self) or return;
    $st->{closing} = 1;
    $self->_free_now if !$st->{users};
    return;
}

# Whether close() has been called (or this object is a copy, never open).
sub closed {
    my $st = _state($_[0]);
    return !$st || $st->{closing} ? 1 : 0;
}

sub DESTROY {
    my ($self) = @_;
    local ($@, $!, $?);
    # No call can hold an object being destroyed (each call holds a
    # reference to it), so close() frees now; a copy has no state and frees
    # nothing.
    $self->close;
}

require Scalar::Util;

1;
