package IlsPrivacy::Policy;

# A checked data-lifecycle policy (TOML, or JSON starting with "{"):
# retention per record class, and role-based access masking.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;
use JSON::PP ();

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_policy_free }
sub _kind {'policy'}

# new($text): parses and checks the policy.
sub new {
    my ($class, $text) = @_;
    my $b = IlsPrivacy::Native::text_bytes($text, 'text');
    my $ptr;
    IlsPrivacy::Native::check(IlsPrivacy::Native::ilsp_policy_new($b, length $b, \$ptr));
    return $class->_wrap($ptr);
}

sub _record {
    my ($record) = @_;
    return ref $record ? JSON::PP->new->utf8->canonical->encode($record) : IlsPrivacy::Native::text_bytes($record, 'record');
}

# retention($class, $as_of, $record): the actions per field on date $as_of
# (YYYY-MM-DD), as a hash reference ({class, as_of, actions, audit}).
sub retention {
    my ($self, $class_name, $as_of, $record) = @_;
    my $c = IlsPrivacy::Native::c_text($class_name, 'class_name');
    my $d = IlsPrivacy::Native::c_text($as_of, 'as_of');
    my $r = _record($record);
    my $text = $self->_with(sub {
        my $p = $_[0];
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_retention_evaluate($p, $c, $d, $r, length $r, @_) }, 1024);
    });
    return JSON::PP->new->decode($text);
}

# mask($role, $record, $tokenizer = undef): the record as $role may see it
# ({record, fields, directory_opt_out, unreadable}).
sub mask {
    my ($self, $role, $record, $tokenizer) = @_;
    my $ro = IlsPrivacy::Native::c_text($role, 'role');
    my $r = _record($record);
    my $run = sub {
        my ($p, $t) = @_;
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_access_mask($p, $ro, $t, $r, length $r, @_) },
            length($r) * 2 + 512);
    };
    my $text = $self->_with(sub {
        my $p = $_[0];
        return $run->($p, undef) unless defined $tokenizer;
        IlsPrivacy::Error::InvalidArgument->throw('tokenizer must be an IlsPrivacy::Tokenizer')
          unless Scalar::Util::blessed($tokenizer) && $tokenizer->isa('IlsPrivacy::Tokenizer');
        $tokenizer->_with(sub { $run->($p, $_[0]) });
    });
    return JSON::PP->new->decode($text);
}

require Scalar::Util;

1;
