//! The SONAME rule of `build.rs`: which version components name the shared
//! library, so that a compatible release keeps the name and an incompatible
//! one changes it.

#[allow(dead_code)] // `main` is the build script's entry point, unused here.
#[path = "../build.rs"]
mod build_script;

use build_script::soname_version;

#[test]
fn from_one_on_the_major_version_names_the_library() {
    // 1.0.0-rc.1 reaches the build script as major 1, minor 0, patch 0.
    assert_eq!(soname_version("1", "0", "0"), "1");
    assert_eq!(soname_version("1", "7", "3"), "1");
    assert_eq!(soname_version("12", "0", "1"), "12");
}

#[test]
fn before_one_every_minor_release_is_a_new_name() {
    assert_eq!(soname_version("0", "1", "0"), "0.1");
    assert_eq!(soname_version("0", "1", "9"), "0.1");
    assert_eq!(soname_version("0", "2", "0"), "0.2");
}

#[test]
fn zero_zero_releases_are_each_their_own_name() {
    assert_eq!(soname_version("0", "0", "3"), "0.0.3");
    assert_ne!(soname_version("0", "0", "3"), soname_version("0", "0", "4"));
}
