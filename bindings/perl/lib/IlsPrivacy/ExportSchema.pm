package IlsPrivacy::ExportSchema;

# An export schema (JSON, see the README): the fields a record may carry and
# what happens to each (kept, tokenized, masked, dropped). apply() cleans one
# record or quarantines it with the reasons (fields named, never values).

use strict;
use warnings;
use parent 'IlsPrivacy::Handle';
use IlsPrivacy::Native;
use JSON::PP ();

our $VERSION = '0.1.0';

sub _free_function { \&IlsPrivacy::Native::ilsp_export_schema_free }
sub _kind {'export schema'}

# new($schema): JSON text or a hash reference.
sub new {
    my ($class, $json) = @_;
    $json = JSON::PP->new->canonical->encode($json) if ref $json eq "HASH";
    my $ptr;
    IlsPrivacy::Native::check(IlsPrivacy::Native::ilsp_export_schema_new(IlsPrivacy::Native::c_text($json, 'schema_json'), \$ptr));
    return $class->_wrap($ptr);
}

# apply($tokenizer, $record): $record is a hash reference or JSON text.
# Returns { quarantined => 0|1, record => {...} or issues => [...] }.
sub apply {
    my ($self, $tokenizer, $record) = @_;
    IlsPrivacy::Error::InvalidArgument->throw('tokenizer must be an IlsPrivacy::Tokenizer')
      unless Scalar::Util::blessed($tokenizer) && $tokenizer->isa('IlsPrivacy::Tokenizer');
    my $r = ref $record ? JSON::PP->new->utf8->canonical->encode($record) : IlsPrivacy::Native::text_bytes($record, 'record');
    my $q = 0;
    my $text = $self->_with(sub {
        my $s = $_[0];
        $tokenizer->_with(sub {
            my $t = $_[0];
            IlsPrivacy::Native::out_text(sub {
                my ($buf, $cap, $len) = @_;
                IlsPrivacy::Native::ilsp_export_record($s, $t, $r, length $r, $buf, $cap, $len, \$q);
            }, length($r) * 2 + 256);
        });
    });
    my $doc = JSON::PP->new->decode($text);
    return $q ? { quarantined => 1, issues => $doc->{issues} } : { quarantined => 0, record => $doc };
}

require Scalar::Util;

1;
