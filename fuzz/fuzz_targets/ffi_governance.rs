#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ilsprivacy_fuzz::ffi_governance::run(data));
