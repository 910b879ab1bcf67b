package IlsPrivacy::EpochRing;

# A ring of epoch keys backed by a file: tokens per epoch (e.g. per academic
# year); retiring an epoch wipes its key, so its tokens can no longer be
# linked to patrons.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_epoch_ring_free }
sub _kind {'epoch ring'}

*_check = \&IlsPrivacy::Native::check;

# create($path): a new, empty ring file (mode 0600; it must not exist).
sub create {
    my ($class, $path) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_epoch_ring_create(IlsPrivacy::Native::c_text($path, 'path'), \$ptr));
    return $class->_wrap($ptr);
}

# open($path): an existing ring file.
sub open {
    my ($class, $path) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_epoch_ring_open(IlsPrivacy::Native::c_text($path, 'path'), \$ptr));
    return $class->_wrap($ptr);
}

# add($epoch, $root_key = undef): a new live epoch, its key derived from
# $root_key (at least 32 bytes) or drawn at random.
sub add {
    my ($self, $epoch, $root_key) = @_;
    my $e = IlsPrivacy::Native::c_text($epoch, 'epoch');
    my $k = defined $root_key ? IlsPrivacy::Native::raw_bytes($root_key, 'root_key') : undef;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_epoch_ring_add($_[0], $e, $k, defined $k ? length $k : 0)) });
    return;
}

# retire($epoch): wipes the epoch's key; returns the retirement time (Unix seconds).
sub retire {
    my ($self, $epoch) = @_;
    my $e = IlsPrivacy::Native::c_text($epoch, 'epoch');
    my $at = 0;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_epoch_ring_retire($_[0], $e, \$at)) });
    return $at;
}

# tokenize($epoch, $id): the token of $id in $epoch.
sub tokenize {
    my ($self, $epoch, $id) = @_;
    my $e = IlsPrivacy::Native::c_text($epoch, 'epoch');
    my $b = IlsPrivacy::Native::text_bytes($id, 'id');
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_epoch_ring_tokenize($h, $e, $b, length $b, @_) }, 128);
    });
}

# verify($token, $id): whether $token is $id's token in a live epoch.
sub verify {
    my ($self, $token, $id) = @_;
    my $t = IlsPrivacy::Native::text_bytes($token, 'token');
    my $b = IlsPrivacy::Native::text_bytes($id, 'id');
    my $m = 0;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_epoch_ring_verify($_[0], $t, length $t, $b, length $b, \$m)) });
    return $m ? 1 : 0;
}

1;
