package IlsPrivacy::Native;

# Loading of the ilsprivacy shared library, the declaration of every C
# function, and the helpers the other modules share (status checks, text and
# buffer conversion). Not part of the public interface: use IlsPrivacy and its
# submodules.

use strict;
use warnings;
use Carp ();
use Cwd ();
use Encode ();
use File::Basename ();
use File::Spec ();
use Scalar::Util ();
use FFI::Platypus 2.00;
use FFI::Platypus::Buffer qw(scalar_to_buffer);
use IlsPrivacy::Error;

our $VERSION = '0.1.0';

my $LIB_NAME = 'libilsprivacy.so';

# The repository root if this file is bindings/perl/lib/IlsPrivacy/Native.pm
# of an ilsprivacy checkout, else undef (an installed module).
sub _checkout_root {
    my $here = Cwd::abs_path(__FILE__) // return undef;
    my $dir = File::Basename::dirname($here);    # .../bindings/perl/lib/IlsPrivacy
    my @parts = File::Spec->splitdir($dir);
    return undef if @parts < 5;
    return undef unless join('/', @parts[-4 .. -1]) eq 'bindings/perl/lib/IlsPrivacy';
    my $root = File::Spec->catdir(@parts[0 .. $#parts - 4]);
    return -f File::Spec->catfile($root, 'Cargo.toml') ? $root : undef;
}

# Where to look, in order: $ENV{ILSPRIVACY_LIB}; the build output of the
# checkout this module is part of (target/release, then target/debug); the
# system's library search path (FFI::CheckLib). An ILSPRIVACY_LIB that names
# no file is an error, never skipped in favour of a different library.
sub _candidates {
    my @found;
    my $env = $ENV{ILSPRIVACY_LIB};
    if (defined $env && length $env) {
        Carp::croak("ILSPRIVACY_LIB names $env, which is not a file") unless -f $env;
        return ($env);
    }
    if (my $root = _checkout_root()) {
        push @found, grep { -f } map { File::Spec->catfile($root, 'target', $_, $LIB_NAME) } qw(release debug);
    }
    return @found if @found;
    require FFI::CheckLib;
    my @system = FFI::CheckLib::find_lib(lib => 'ilsprivacy');
    return @system;
}

our $LIBRARY_PATH;
my @candidates = _candidates();
Carp::croak('cannot find the ilsprivacy shared library: set ILSPRIVACY_LIB, build it with '
      . '`cargo build --release` in the checkout, or install it (scripts/install.sh)')
  unless @candidates;
$LIBRARY_PATH = $candidates[0];

use Config ();
Carp::croak("this binding packs size_t as 64 bits; this perl has $Config::Config{sizesize}-byte size_t")
  unless $Config::Config{sizesize} == 8;

our $FFI = FFI::Platypus->new(api => 2, lib => [$LIBRARY_PATH]);

# Every C function of include/ilsprivacy.h: name => [[argument types], return type].
# Types: handles are 'opaque' (a pointer held by a blessed object), a handle
# out-parameter 'opaque*'; input text and bytes 'string' (always passed as
# UTF-8 bytes with an explicit length, or checked free of NUL when the C side
# reads up to a NUL); output buffers and arrays 'opaque' (the address of a
# Perl scalar's buffer sized beforehand, see out_text and packed arrays);
# scalar out-parameters 'TYPE*' (a reference to a Perl scalar).
our %SIGNATURES = (
    ilsp_plan_epsilon => [['sint32', 'double', 'double', 'uint64', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_plan_delta => [['sint32', 'double', 'double', 'uint64', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_plan_max_releases => [['sint32', 'double', 'double', 'double', 'double', 'sint32', 'uint64*'], 'sint32'],
    ilsp_plan_noise_scale => [['sint32', 'double', 'uint64', 'double', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_plan_sampled_noise_scale => [['sint32', 'double', 'double', 'uint64', 'double', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_accountant_new => [['opaque*'], 'sint32'],
    ilsp_accountant_free => [['opaque'], 'void'],
    ilsp_accountant_add_noise => [['opaque', 'sint32', 'double', 'double', 'uint64'], 'sint32'],
    ilsp_accountant_add_sampled_noise => [['opaque', 'sint32', 'double', 'double', 'double', 'uint64'], 'sint32'],
    ilsp_accountant_add_pure_dp => [['opaque', 'double', 'uint64'], 'sint32'],
    ilsp_accountant_add_approximate_dp => [['opaque', 'double', 'double', 'uint64'], 'sint32'],
    ilsp_accountant_add_zcdp => [['opaque', 'double', 'uint64'], 'sint32'],
    ilsp_accountant_epsilon => [['opaque', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_accountant_delta => [['opaque', 'double', 'sint32', 'double*'], 'sint32'],
    ilsp_aggregator_new => [['uint32', 'sint32', 'sint64', 'sint64', 'string', 'opaque', 'size_t', 'opaque*'], 'sint32'],
    ilsp_aggregator_new_shard => [['opaque', 'opaque*'], 'sint32'],
    ilsp_aggregator_free => [['opaque'], 'void'],
    ilsp_aggregator_add => [['opaque', 'string', 'size_t', 'string', 'size_t', 'uint64', 'sint64'], 'sint32'],
    ilsp_aggregator_add_batch => [['opaque', 'size_t', 'string', 'opaque', 'string', 'opaque', 'opaque', 'opaque'], 'sint32'],
    ilsp_aggregator_merge => [['opaque', 'opaque'], 'sint32'],
    ilsp_aggregator_serialize => [['opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_aggregator_deserialize => [['string', 'size_t', 'opaque*'], 'sint32'],
    ilsp_aggregator_stats => [['opaque', 'uint64*', 'uint64*', 'uint64*', 'uint64*'], 'sint32'],
    ilsp_aggregator_release => [['opaque', 'opaque', 'string', 'uint32', 'sint32', 'double', 'double', 'double', 'double', 'sint64', 'opaque*'], 'sint32'],
    ilsp_aggregator_release_private_bound => [['opaque', 'opaque', 'string', 'uint32', 'sint32', 'double', 'double', 'double', 'double', 'sint64', 'double', 'double', 'opaque*'], 'sint32'],
    ilsp_table_rows => [['opaque'], 'size_t'],
    ilsp_table_row => [['opaque', 'size_t', 'opaque', 'size_t', 'size_t*', 'sint64*', 'sint64*', 'uint32*'], 'sint32'],
    ilsp_table_cost => [['opaque', 'double*', 'double*', 'double*'], 'sint32'],
    ilsp_table_noise => [['opaque', 'double*', 'double*', 'uint32*', 'uint32*', 'sint64*'], 'sint32'],
    ilsp_table_free => [['opaque'], 'void'],
    ilsp_clamp => [['double', 'double', 'double', 'double*'], 'sint32'],
    ilsp_clip_l1 => [['opaque', 'size_t', 'double', 'double*'], 'sint32'],
    ilsp_clip_l2 => [['opaque', 'size_t', 'double', 'double*'], 'sint32'],
    ilsp_budget_open => [['string', 'opaque*'], 'sint32'],
    ilsp_budget_open_with_timeout => [['string', 'uint32', 'opaque*'], 'sint32'],
    ilsp_budget_free => [['opaque'], 'void'],
    ilsp_budget_set_limit => [['opaque', 'string', 'double', 'double'], 'sint32'],
    ilsp_budget_set_limit_with_reason => [['opaque', 'string', 'double', 'double', 'string'], 'sint32'],
    ilsp_budget_set_limit_rho => [['opaque', 'string', 'double', 'string'], 'sint32'],
    ilsp_budget_set_composition => [['opaque', 'string', 'sint32'], 'sint32'],
    ilsp_budget_set_period => [['opaque', 'string', 'sint32'], 'sint32'],
    ilsp_budget_set_alert_threshold => [['opaque', 'string', 'double'], 'sint32'],
    ilsp_budget_alert_status => [['opaque', 'string', 'sint32*', 'double*'], 'sint32'],
    ilsp_budget_spent => [['opaque', 'string', 'double*', 'double*'], 'sint32'],
    ilsp_budget_spent_rho => [['opaque', 'string', 'double*'], 'sint32'],
    ilsp_budget_remaining => [['opaque', 'string', 'double*', 'double*', 'double*'], 'sint32'],
    ilsp_budget_spend => [['opaque', 'string', 'double', 'double', 'uint64*'], 'sint32'],
    ilsp_budget_spend_rho => [['opaque', 'string', 'double', 'uint64*'], 'sint32'],
    ilsp_budget_laplace => [['opaque', 'string', 'double', 'double', 'double', 'double*'], 'sint32'],
    ilsp_budget_gaussian => [['opaque', 'string', 'double', 'double', 'double', 'double', 'double*'], 'sint32'],
    ilsp_budget_ledger_verify => [['string', 'uint64*', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_budget_ledger_check => [['string', 'uint64*', 'uint64*', 'uint64*', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_budget_ledger_export => [['opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_budget_recent_events => [['opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_counter_new_laplace => [['uint64', 'sint64', 'double', 'opaque*'], 'sint32'],
    ilsp_counter_new_gaussian => [['uint64', 'sint64', 'double', 'opaque*'], 'sint32'],
    ilsp_counter_free => [['opaque'], 'void'],
    ilsp_counter_push => [['opaque', 'sint64', 'sint64*'], 'sint32'],
    ilsp_counter_error_bound => [['opaque', 'double', 'double*'], 'sint32'],
    ilsp_budget_start_counter => [['opaque', 'string', 'opaque'], 'sint32'],
    ilsp_version => [[], 'string'],
    ilsp_last_error => [[], 'string'],
    ilsp_epoch_ring_create => [['string', 'opaque*'], 'sint32'],
    ilsp_epoch_ring_open => [['string', 'opaque*'], 'sint32'],
    ilsp_epoch_ring_free => [['opaque'], 'void'],
    ilsp_epoch_ring_add => [['opaque', 'string', 'string', 'size_t'], 'sint32'],
    ilsp_epoch_ring_retire => [['opaque', 'string', 'uint64*'], 'sint32'],
    ilsp_epoch_ring_tokenize => [['opaque', 'string', 'string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_epoch_ring_verify => [['opaque', 'string', 'size_t', 'string', 'size_t', 'sint32*'], 'sint32'],
    ilsp_budget_set_template => [['opaque', 'string', 'string', 'string'], 'sint32'],
    ilsp_budget_remove_template => [['opaque', 'string', 'string', 'string'], 'sint32'],
    ilsp_budget_set_templates_only => [['opaque', 'string', 'sint32', 'string'], 'sint32'],
    ilsp_budget_suspend => [['opaque', 'string', 'string'], 'sint32'],
    ilsp_budget_resume => [['opaque', 'string', 'string'], 'sint32'],
    ilsp_budget_governance_status => [['opaque', 'string', 'sint32*', 'sint32*', 'sint32*', 'uint64*'], 'sint32'],
    ilsp_budget_spend_correlated => [['opaque', 'string', 'double', 'double', 'string', 'uint64*'], 'sint32'],
    ilsp_budget_check_spends => [['opaque', 'opaque', 'opaque', 'opaque', 'size_t', 'opaque', 'sint32*'], 'sint32'],
    ilsp_budget_set_burn_plan => [['opaque', 'string', 'double', 'uint64', 'double'], 'sint32'],
    ilsp_budget_metrics => [['opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_mask_email => [['string', 'uint32', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_mask_date => [['string', 'uint32', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_mask_age_band => [['uint32', 'uint32', 'uint32', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_mask_postcode => [['string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_suppress_small_cells => [['opaque', 'size_t', 'size_t', 'uint64', 'opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_export_schema_new => [['string', 'opaque*'], 'sint32'],
    ilsp_export_schema_free => [['opaque'], 'void'],
    ilsp_export_record => [['opaque', 'opaque', 'string', 'size_t', 'opaque', 'size_t', 'size_t*', 'sint32*'], 'sint32'],
    ilsp_laplace => [['double', 'double', 'double', 'double*'], 'sint32'],
    ilsp_gaussian => [['double', 'double', 'double', 'double', 'double*'], 'sint32'],
    ilsp_laplace_i64 => [['sint64', 'sint64', 'double', 'sint64*'], 'sint32'],
    ilsp_gaussian_i64 => [['sint64', 'sint64', 'double', 'double', 'sint64*'], 'sint32'],
    ilsp_laplace_batch => [['opaque', 'size_t', 'double', 'double', 'opaque'], 'sint32'],
    ilsp_randomized_response => [['uint64', 'uint64', 'double', 'uint64*'], 'sint32'],
    ilsp_quantile => [['opaque', 'size_t', 'double', 'double', 'double', 'uint32', 'double', 'double*'], 'sint32'],
    ilsp_gaussian_batch => [['opaque', 'size_t', 'double', 'double', 'double', 'opaque'], 'sint32'],
    ilsp_policy_new => [['string', 'size_t', 'opaque*'], 'sint32'],
    ilsp_policy_free => [['opaque'], 'void'],
    ilsp_retention_evaluate => [['opaque', 'string', 'string', 'string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_access_mask => [['opaque', 'string', 'opaque', 'string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_key_from_bytes => [['string', 'size_t', 'opaque*'], 'sint32'],
    ilsp_key_from_file => [['string', 'uint32', 'opaque*'], 'sint32'],
    ilsp_key_from_env => [['string', 'uint32', 'opaque*'], 'sint32'],
    ilsp_key_generate => [['size_t', 'opaque*'], 'sint32'],
    ilsp_key_derive => [['opaque', 'string', 'string', 'opaque*'], 'sint32'],
    ilsp_key_free => [['opaque'], 'void'],
    ilsp_tokenizer_new => [['string', 'size_t', 'opaque*'], 'sint32'],
    ilsp_tokenizer_new_with_key => [['string', 'opaque', 'opaque*'], 'sint32'],
    ilsp_tokenizer_free => [['opaque'], 'void'],
    ilsp_tokenizer_set_format => [['opaque', 'uint32', 'uint32'], 'sint32'],
    ilsp_tokenizer_add_key => [['opaque', 'string', 'opaque'], 'sint32'],
    ilsp_tokenizer_activate => [['opaque', 'string'], 'sint32'],
    ilsp_tokenizer_retire => [['opaque', 'string'], 'sint32'],
    ilsp_tokenizer_key_count => [['opaque', 'size_t*'], 'sint32'],
    ilsp_tokenizer_key_id => [['opaque', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenizer_active_key_id => [['opaque', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenize => [['opaque', 'string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenize_with => [['opaque', 'string', 'uint32', 'uint32', 'string', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenizer_token_len => [['opaque', 'string', 'uint32', 'size_t*'], 'sint32'],
    ilsp_tokenize_batch => [['opaque', 'string', 'uint32', 'uint32', 'string', 'size_t', 'opaque', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenize_bridge => [['opaque', 'string', 'uint32', 'uint32', 'string', 'uint32', 'uint32', 'string', 'size_t', 'opaque', 'size_t', 'opaque', 'size_t', 'size_t*'], 'sint32'],
    ilsp_token_verify => [['opaque', 'string', 'uint32', 'string', 'size_t', 'sint32*'], 'sint32'],
    ilsp_token_lookup => [['opaque', 'string', 'size_t', 'opaque', 'size_t', 'uint32', 'string', 'size_t', 'size_t*'], 'sint32'],
    ilsp_tokenize_address => [['opaque', 'string', 'opaque', 'size_t', 'size_t*'], 'sint32'],
);

# Attaches every function as IlsPrivacy::Native::ilsp_*. A symbol missing
# from the library (an older build) is a load error naming it.
our %ATTACHED;
for my $name (sort keys %SIGNATURES) {
    my ($args, $ret) = @{ $SIGNATURES{$name} };
    Carp::croak("the ilsprivacy library $LIBRARY_PATH has no $name (an older build?)")
      unless $FFI->find_symbol($name);
    $FFI->attach($name => $args => $ret);
    $ATTACHED{$name} = 1;
}

# Status codes (fixed numbers; new ones may be appended, none renumbered).
use constant {
    OK                => 0,
    ERR_NULL          => 1,
    ERR_INVALID_ARG   => 2,
    ERR_BUDGET        => 3,
    ERR_BUFFER_SMALL  => 4,
};

# This thread's message for the last failed call ("" after a success).
sub last_error {
    my $raw = ilsp_last_error();
    return '' unless defined $raw;
    return Encode::decode('UTF-8', $raw, Encode::FB_DEFAULT);
}

# Croaks with the exception class for $status (with the library's message)
# unless it is ILSP_OK.
sub check {
    my ($status) = @_;
    return if $status == OK;
    IlsPrivacy::Error->throw_status($status, last_error());
}

# Text arguments are Perl character strings: they are encoded as UTF-8
# whatever their internal representation (decode bytes read from a database
# or file first, e.g. with Encode::decode('UTF-8', ...)).

# UTF-8 bytes of a text argument the C side reads up to a NUL: refuses undef
# (unless $optional), references and NUL characters.
sub c_text {
    my ($value, $param, $optional) = @_;
    if (!defined $value) {
        return undef if $optional;
        IlsPrivacy::Error::InvalidArgument->throw("$param must be a string, got undef");
    }
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a string, got a reference")
      if ref $value;
    my $bytes = "$value";
    utf8::encode($bytes);
    IlsPrivacy::Error::InvalidArgument->throw("$param contains a NUL byte")
      if index($bytes, "\0") >= 0;
    return $bytes;
}

# UTF-8 bytes of a text argument passed with its length (NUL allowed).
sub text_bytes {
    my ($value, $param) = @_;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a string, got undef") unless defined $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a string, got a reference") if ref $value;
    my $bytes = "$value";
    utf8::encode($bytes);
    return $bytes;
}

# Raw bytes (a byte string: characters above 0xFF are refused).
sub raw_bytes {
    my ($value, $param) = @_;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a byte string, got undef") unless defined $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a byte string, got a reference") if ref $value;
    my $copy = "$value";
    utf8::downgrade($copy, 1)
      or IlsPrivacy::Error::InvalidArgument->throw("$param must be a byte string (it has characters above 0xFF)");
    return $copy;
}

# A number or croak: undef, references and strings that are not numbers
# are refused here (never read as 0); NaN and infinities are left to the
# library, which names the parameter.
sub number {
    my ($value, $param) = @_;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a number, got undef") unless defined $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a number, got a reference") if ref $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a number") unless Scalar::Util::looks_like_number($value);
    return 0 + $value;
}

# A non-negative integer within the unsigned range of the C parameter.
sub unsigned {
    my ($value, $param, $bits) = @_;
    $bits //= 64;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be an integer, got undef") unless defined $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be a non-negative integer, got $value")
      unless !ref($value) && $value =~ /\A\+?[0-9]+\z/;
    my $max = $bits == 64 ? '18446744073709551615' : (2**$bits - 1);
    IlsPrivacy::Error::InvalidArgument->throw("$param is out of range (at most $max)")
      if length($value =~ s/\A\+?0*//r) > length($max)
      || (length($value =~ s/\A\+?0*//r) == length($max) && ($value =~ s/\A\+?0*//r) gt $max);
    return $value =~ s/\A\+//r;
}

# A signed integer within int64 (or int32).
sub signed {
    my ($value, $param, $bits) = @_;
    $bits //= 64;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be an integer, got undef") unless defined $value;
    IlsPrivacy::Error::InvalidArgument->throw("$param must be an integer, got $value")
      unless !ref($value) && $value =~ /\A[+-]?[0-9]+\z/;
    my $neg = $value =~ /\A-/;
    my $mag = $value =~ s/\A[+-]?0*//r;
    my $max = $bits == 64 ? ($neg ? '9223372036854775808' : '9223372036854775807')
                          : ($neg ? 2**($bits - 1) : 2**($bits - 1) - 1);
    IlsPrivacy::Error::InvalidArgument->throw("$param is out of range")
      if length($mag) > length($max) || (length($mag) == length($max) && $mag gt $max);
    return $value =~ s/\A\+//r;
}

# Calls $call->($buf_address, $cap, \$len) with a growing output buffer,
# per the C buffer convention: ILSP_ERR_BUFFER_TOO_SMALL reports the needed
# length, which may grow between calls (a ledger being appended), so a few
# retries are made. Returns the bytes written (without the NUL).
sub out_bytes {
    my ($call, $capacity) = @_;
    $capacity ||= 128;
    for (1 .. 8) {
        my $buf = "\0" x $capacity;
        my ($ptr) = scalar_to_buffer($buf);
        my $len = 0;
        my $status = $call->($ptr, $capacity, \$len);
        if ($status == ERR_BUFFER_SMALL && $len >= $capacity) {
            $capacity = $len + 1;
            next;
        }
        check($status);
        Carp::croak("ilsprivacy reported $len bytes written into a $capacity-byte buffer") if $len > $capacity;
        return substr($buf, 0, $len);
    }
    check(ERR_BUFFER_SMALL);
}

# As out_bytes, decoded from UTF-8.
sub out_text {
    my $bytes = out_bytes(@_);
    return Encode::decode('UTF-8', $bytes, Encode::FB_CROAK);
}

# The address of a scalar's buffer (which the caller keeps alive for the call).
sub address {
    my ($ptr) = scalar_to_buffer($_[0]);
    return $ptr;
}

# Packs a list of byte strings as one buffer plus n + 1 size_t offsets (the
# layout of the batch calls).
sub pack_strings {
    my @items = @_;
    my $joined = join '', @items;
    my @offsets = (0);
    push @offsets, $offsets[-1] + length($_) for @items;
    return ($joined, pack('Q*', @offsets));
}

1;
