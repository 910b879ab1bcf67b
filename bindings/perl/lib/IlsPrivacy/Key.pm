package IlsPrivacy::Key;

# Secret key material held by the library (at least 32 bytes), wiped when
# closed or destroyed. The object never shows key bytes.

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_key_free }
sub _kind {'key'}

*_check = \&IlsPrivacy::Native::check;

my %ENCODING = (raw => 0, hex => 1);
sub _encoding {
    my ($e) = @_;
    $e //= 'raw';
    return $ENCODING{$e} if exists $ENCODING{$e};
    return IlsPrivacy::Native::unsigned($e, 'encoding', 32) if $e =~ /\A[0-9]+\z/;
    IlsPrivacy::Error::InvalidArgument->throw("encoding must be 'raw' or 'hex', got $e");
}

# from_bytes($bytes): a copy of $bytes (32 to 65536 bytes).
sub from_bytes {
    my ($class, $bytes) = @_;
    my $b = IlsPrivacy::Native::raw_bytes($bytes, 'bytes');
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_key_from_bytes($b, length $b, \$ptr));
    return $class->_wrap($ptr);
}

# from_file($path, $encoding = 'raw'): key material from a file ('raw' or 'hex').
sub from_file {
    my ($class, $path, $encoding) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_key_from_file(IlsPrivacy::Native::c_text($path, 'path'), _encoding($encoding), \$ptr));
    return $class->_wrap($ptr);
}

# from_env($name, $encoding = 'raw'): key material from an environment variable.
sub from_env {
    my ($class, $name, $encoding) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_key_from_env(IlsPrivacy::Native::c_text($name, 'name'), _encoding($encoding), \$ptr));
    return $class->_wrap($ptr);
}

# generate($length = 32): fresh random key material.
sub generate {
    my ($class, $len) = @_;
    my $ptr;
    _check(IlsPrivacy::Native::ilsp_key_generate(IlsPrivacy::Native::unsigned($len // 32, 'length'), \$ptr));
    return $class->_wrap($ptr);
}

# derive($tenant, $purpose): a key derived from this one (HKDF).
sub derive {
    my ($self, $tenant, $purpose) = @_;
    my $t = IlsPrivacy::Native::c_text($tenant, 'tenant');
    my $p = IlsPrivacy::Native::c_text($purpose, 'purpose');
    my $ptr;
    $self->_with(sub { _check(IlsPrivacy::Native::ilsp_key_derive($_[0], $t, $p, \$ptr)) });
    return ref($self)->_wrap($ptr);
}

1;
