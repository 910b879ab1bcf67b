package IlsPrivacy::Error;

# Exceptions of the ilsprivacy binding: one class per C status code, each
# carrying the code and the library's message (which names the parameter at
# fault, never a patron identifier, a protected value or key bytes), plus
# IlsPrivacy::Error::ClosedHandle for a method called after close().
#
#   use Scalar::Util qw(blessed);
#   eval { $budget->spend('circ', 0.5) };
#   if (blessed $@ && $@->isa('IlsPrivacy::Error::BudgetExhausted')) { ... }
#   # $@->code == 3, $@->message is the library's text; "$@" adds
#   # " at FILE line N." (the caller outside the binding).

use strict;
use warnings;
use Carp ();

our $VERSION = '0.1.0';

use overload '""' => sub { $_[0]->message . $_[0]->where }, bool => sub { 1 }, fallback => 1;

# The status code => class name table (codes are fixed forever).
our %CLASS_BY_CODE = (
    1  => 'NullPointer',
    2  => 'InvalidArgument',
    3  => 'BudgetExhausted',
    4  => 'BufferTooSmall',
    5  => 'Encoding',
    6  => 'Key',
    7  => 'LedgerIo',
    8  => 'LedgerIntegrity',
    9  => 'Entropy',
    10 => 'Internal',
    11 => 'TemplateMismatch',
    12 => 'AccountSuspended',
);

for my $code (keys %CLASS_BY_CODE) {
    my $class = "IlsPrivacy::Error::$CLASS_BY_CODE{$code}";
    no strict 'refs';
    @{"${class}::ISA"} = ('IlsPrivacy::Error');
    *{"${class}::default_code"} = sub { $code };
}
@IlsPrivacy::Error::ClosedHandle::ISA = ('IlsPrivacy::Error');
sub IlsPrivacy::Error::ClosedHandle::default_code { undef }

# The code an exception of this class carries when none is given.
sub default_code { undef }

# Creates an exception: ->new(message => ..., code => ...).
sub new {
    my ($class, %args) = @_;
    my $code = exists $args{code} ? $args{code} : $class->default_code;
    return bless { message => $args{message} // '', code => $code }, $class;
}

# Dies with an exception of this class and $message, adding the caller's
# location as croak does.
sub throw {
    my ($class, $message, %args) = @_;
    my $self = $class->new(message => $message, %args);
    # The caller's location outside the binding, as croak gives it.
    my $i = 0;
    while (my ($pkg, $file, $line) = caller($i++)) {
        next if $pkg =~ /\AIlsPrivacy(?:::|\z)/;
        $self->{where} = " at $file line $line.\n";
        last;
    }
    die $self;
}

# Dies with the exception class of a non-zero C status.
sub throw_status {
    my ($class, $status, $message) = @_;
    my $name = $CLASS_BY_CODE{$status};
    return IlsPrivacy::Error->throw("unknown status $status: $message", code => $status) unless $name;
    return "IlsPrivacy::Error::$name"->throw($message, code => $status);
}

# The C status code (undef for ClosedHandle, which is raised by the binding).
sub code { $_[0]{code} }

# The library's message.
sub message { $_[0]{message} }

# Where the failing call was made (" at FILE line N.\n"; "" if unknown).
sub where { $_[0]{where} // '' }

1;
