package IlsPrivacy::Tokenizer;

# Patron-ID tokenization: a key ring with one active key. tokenize() gives
# the compatibility token (64 lowercase hex characters of
# HMAC-SHA256(key, id)); tokenize_with() versioned tokens "v1.<key id>.<body>".
#
#   my $t = IlsPrivacy::Tokenizer->new($key_bytes);   # key id "k1"
#   my $token = $t->tokenize($borrowernumber);
#
# IDs are text (encoded as UTF-8; NUL characters are allowed in IDs, which
# are passed with their length). The C handle is thread-safe.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_tokenizer_free }
sub _kind {'tokenizer'}

*_check = \&IlsPrivacy::Native::check;
*_text = \&IlsPrivacy::Native::c_text;
*_id = \&IlsPrivacy::Native::text_bytes;
sub _u32 { IlsPrivacy::Native::unsigned($_[0], $_[1], 32) }

my %KIND = (compat => 0, v1 => 1);
my %BODY = (hex => 0, base32 => 1);
sub _pick {
    my ($table, $value, $param, $default) = @_;
    $value //= $default;
    return $table->{$value} if exists $table->{$value};
    return _u32($value, $param) if $value =~ /\A[0-9]+\z/;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be one of " . join(', ', sort keys %$table) . ", got $value");
}

# new($key_bytes): a tokenizer with one key (32 to 65536 bytes), id "k1".
# new($key_id, $key): with an IlsPrivacy::Key under $key_id; new($key):
# the same under "k1".
sub new {
    my ($class, @args) = @_;
    my $ptr;
    @args = ('k1', $args[0]) if @args == 1 && Scalar::Util::blessed($args[0]);
    if (@args == 2) {
        my ($kid, $key) = @args;
        my $k = _text($kid, 'key_id');
        IlsPrivacy::Error::InvalidArgument->throw('key must be an IlsPrivacy::Key')
          unless Scalar::Util::blessed($key) && $key->isa('IlsPrivacy::Key');
        $key->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_new_with_key($k, $_[0], \$ptr)) });
    } else {
        my $b = IlsPrivacy::Native::raw_bytes($args[0], 'key');
        _check(IlsPrivacy::Native::ilsp_tokenizer_new($b, length $b, \$ptr));
    }
    return $class->_wrap($ptr);
}

# tokenize($id): the compatibility token of $id under the active key.
sub tokenize {
    my ($self, $id) = @_;
    my $b = _id($id, 'id');
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_tokenize($h, $b, length $b, @_) }, 65);
    });
}

# tokenize_with($id, kind => 'v1'|'compat', key_id => undef (active),
# normalize => NORM_* bits).
sub tokenize_with {
    my ($self, $id, %opt) = @_;
    my $b = _id($id, 'id');
    my $kid = _text($opt{key_id}, 'key_id', 1);
    my $kind = _pick(\%KIND, $opt{kind}, 'kind', 'v1');
    my $norm = _u32($opt{normalize} // 0, 'normalize');
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(
            sub { IlsPrivacy::Native::ilsp_tokenize_with($h, $kid, $kind, $norm, $b, length $b, @_) }, 128);
    });
}

# token_len(kind => 'v1', key_id => undef): the length of such tokens.
sub token_len {
    my ($self, %opt) = @_;
    my $kid = _text($opt{key_id}, 'key_id', 1);
    my $kind = _pick(\%KIND, $opt{kind}, 'kind', 'v1');
    my $n = 0;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_token_len($_[0], $kid, $kind, \$n)) });
    return $n;
}

# tokenize_many(\@ids, kind => 'compat', key_id => undef, normalize => 0):
# the tokens of many IDs in one call (all or nothing).
sub tokenize_many {
    my ($self, $ids, %opt) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('ids must be an array reference') unless ref $ids eq 'ARRAY';
    my $kid = _text($opt{key_id}, 'key_id', 1);
    my $kind = _pick(\%KIND, $opt{kind}, 'kind', 'compat');
    my $norm = _u32($opt{normalize} // 0, 'normalize');
    my ($joined, $offsets) = IlsPrivacy::Native::pack_strings(map { _id($_, 'ids') } @$ids);
    my $n = @$ids;
    return [] unless $n;
    return $self->_with(sub {
        my $h = $_[0];
        my $width = 0;
        _check(IlsPrivacy::Native::ilsp_tokenizer_token_len($h, $kid, $kind, \$width));
        my $text = IlsPrivacy::Native::out_text(sub {
            IlsPrivacy::Native::ilsp_tokenize_batch($h, $kid, $kind, $norm, $joined, length $joined,
                IlsPrivacy::Native::address($offsets), $n, @_);
        }, $n * $width + 1);
        return [unpack("(a$width)$n", $text)];
    });
}

# bridge(\@ids, from => {kind, key_id, normalize}, to => {...}): pairs
# [old token, new token] for moving stored tokens to another key or kind.
sub bridge {
    my ($self, $ids, %opt) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('ids must be an array reference') unless ref $ids eq 'ARRAY';
    my ($from, $to) = ($opt{from} // {}, $opt{to} // {});
    my @f = (_text($from->{key_id}, 'from key_id', 1), _pick(\%KIND, $from->{kind}, 'from kind', 'compat'),
        _u32($from->{normalize} // 0, 'from normalize'));
    my @t = (_text($to->{key_id}, 'to key_id', 1), _pick(\%KIND, $to->{kind}, 'to kind', 'v1'),
        _u32($to->{normalize} // 0, 'to normalize'));
    my ($joined, $offsets) = IlsPrivacy::Native::pack_strings(map { _id($_, 'ids') } @$ids);
    my $n = @$ids;
    return [] unless $n;
    my $text = $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub {
            IlsPrivacy::Native::ilsp_tokenize_bridge($h, @f, @t, $joined, length $joined,
                IlsPrivacy::Native::address($offsets), $n, @_);
        }, $n * 200 + 1);
    });
    return [map { [split /,/, $_, 2] } split /\n/, $text];
}

# verify($token, $id, normalize => 0): whether $token is $id's token under a live key.
sub verify {
    my ($self, $token, $id, %opt) = @_;
    my $tok = _text($token, 'token');
    my $b = _id($id, 'id');
    my $m = 0;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_token_verify($_[0], $tok, _u32($opt{normalize} // 0, 'normalize'), $b, length $b, \$m));
    });
    return $m ? 1 : 0;
}

# lookup(\@tokens, $id, normalize => 0): the index of the first token of
# $id in @tokens, or undef (every entry is compared in constant time).
sub lookup {
    my ($self, $tokens, $id, %opt) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('tokens must be an array reference') unless ref $tokens eq 'ARRAY';
    my ($joined, $offsets) = IlsPrivacy::Native::pack_strings(map { _id($_, 'tokens') } @$tokens);
    my $n = @$tokens;
    my $b = _id($id, 'id');
    my $index = 0;
    $self->_with(sub {
        _check(IlsPrivacy::Native::ilsp_token_lookup($_[0], $joined, length $joined, IlsPrivacy::Native::address($offsets), $n,
            _u32($opt{normalize} // 0, 'normalize'), $b, length $b, \$index));
    });
    return $index < $n ? $index : undef;
}

# tokenize_address($address): the token of a normalised postal address.
sub tokenize_address {
    my ($self, $address) = @_;
    my $a = _text($address, 'address');
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_tokenize_address($h, $a, @_) }, 128);
    });
}

# set_format($encoding = 'base32', $bits = 128): versioned-token bodies.
sub set_format {
    my ($self, $encoding, $bits) = @_;
    my $e = _pick(\%BODY, $encoding, 'encoding', 'base32');
    my $b = _u32($bits // 128, 'bits');
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_set_format($_[0], $e, $b)) });
    return;
}

# add_key($key_id, $key): adds an IlsPrivacy::Key (or raw key bytes) under $key_id.
sub add_key {
    my ($self, $kid, $key) = @_;
    my $k = _text($kid, 'key_id');
    my $owned;
    unless (Scalar::Util::blessed($key) && $key->isa('IlsPrivacy::Key')) {
        $owned = IlsPrivacy::Key->from_bytes($key);
        $key = $owned;
    }
    $self->_with(sub {
        my $h = $_[0];
        $key->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_add_key($h, $k, $_[0])) });
    });
    $owned->close if $owned;
    return;
}

# activate($key_id): new tokens use this key.
sub activate {
    my ($self, $kid) = @_;
    my $k = _text($kid, 'key_id');
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_activate($_[0], $k)) });
    return;
}

# retire($key_id): the key is wiped; its tokens no longer verify.
sub retire {
    my ($self, $kid) = @_;
    my $k = _text($kid, 'key_id');
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_tokenizer_retire($_[0], $k)) });
    return;
}

# key_ids(): the ids of the keys in the ring.
sub key_ids {
    my ($self) = @_;
    return $self->_with(sub {
        my $h = $_[0];
        my $n = 0;
        _check(IlsPrivacy::Native::ilsp_tokenizer_key_count($h, \$n));
        return [map { my $i = $_; IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_tokenizer_key_id($h, $i, @_) }, 40) }
              0 .. $n - 1];
    });
}

# active_key_id(): the id of the active key.
sub active_key_id {
    my ($self) = @_;
    return $self->_with(sub {
        my $h = $_[0];
        IlsPrivacy::Native::out_text(sub { IlsPrivacy::Native::ilsp_tokenizer_active_key_id($h, @_) }, 40);
    });
}

require Scalar::Util;
require IlsPrivacy::Key;

1;
