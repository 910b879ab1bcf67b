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
#  - Perl ithreads: a handle belongs to the interpreter (thread) that made
#    it. CLONE_SKIP makes a new thread's copy an unblessed, empty value, so a
#    thread can neither call into nor free the parent's native object (no
#    double free when both interpreters are destroyed). Make the objects a
#    thread needs inside that thread. Sharing a handle through
#    threads::shared is not supported.

use strict;
use warnings;
use IlsPrivacy::Error;

our $VERSION = '0.1.0';

# Subclasses: the C free function (a code ref) and the name errors use.
sub _free_function { die 'subclass must define _free_function' }
sub _kind {'object'}

# Wraps a pointer returned by an ilsp_*_new/open call.
sub _wrap {
    my ($class, $ptr) = @_;
    IlsPrivacy::Error::Internal->throw("the library returned a NULL $class") unless $ptr;
    return bless { ptr => $ptr, users => 0, closing => 0 }, $class;
}

# Handles are never cloned into a new ithread (see the rule above).
sub CLONE_SKIP {1}

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
    IlsPrivacy::Error::ClosedHandle->throw('the ' . $self->_kind . ' is closed')
      if !ref($self) || !Scalar::Util::reftype($self) || Scalar::Util::reftype($self) ne 'HASH'
      || $self->{closing} || !$self->{ptr};
    $self->{users}++;
    return $self->{ptr};
}

sub _release {
    my ($self) = @_;
    $self->{users}--;
    $self->_free_now if $self->{closing} && $self->{users} == 0;
}

sub _free_now {
    my ($self) = @_;
    my $ptr = delete $self->{ptr};
    return unless $ptr;
    $self->_free_function->($ptr);
}

# Frees the native object (idempotent). Deferred until the last call in
# progress on this handle returns, if any.
sub close {
    my ($self) = @_;
    return unless ref $self && Scalar::Util::reftype($self) eq 'HASH';
    $self->{closing} = 1;
    $self->_free_now if !$self->{users};
    return;
}

# Whether close() has been called.
sub closed {
    my ($self) = @_;
    return $self->{closing} || !$self->{ptr} ? 1 : 0;
}

sub DESTROY {
    my ($self) = @_;
    local ($@, $!, $?);
    $self->close;
}

require Scalar::Util;

1;
