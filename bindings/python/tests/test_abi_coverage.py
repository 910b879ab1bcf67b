"""The binding covers the whole C ABI: every function and constant in the
header is declared with matching types, and cffi accepts the FFI header."""

import ctypes
import re
import unittest
from pathlib import Path

import ilsprivacy  # noqa: F401  (imports every submodule, which declares its functions)
from ilsprivacy import _native, errors

INCLUDE = Path(__file__).resolve().parents[3] / "include"
FFI_HEADER = INCLUDE / "ilsprivacy_ffi.h"

PROTOTYPE = re.compile(r"^(?P<ret>[\w\s\*]+?)\s*\b(?P<name>ilsp_\w+)\((?P<args>[^)]*)\);$", re.M)

# The ctypes accepted for each C type of the header.
C_TO_CTYPES = {
    "void": {None},
    "ilsp_status": {ctypes.c_int32},
    "int32_t": {ctypes.c_int32},
    "uint32_t": {ctypes.c_uint32},
    "int64_t": {ctypes.c_int64},
    "uint64_t": {ctypes.c_uint64},
    "size_t": {ctypes.c_size_t},
    "double": {ctypes.c_double},
    "bool": {ctypes.c_bool},
    "const char *": {ctypes.c_char_p},
    "char *": {ctypes.c_char_p, ctypes.POINTER(ctypes.c_char)},
    "const uint8_t *": {ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8)},
    "uint8_t *": {ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_char_p},
}


def accepted(c_type: str) -> set:
    c_type = " ".join(re.sub(r"\s*\*", " *", c_type).split()).replace("* *", "**")
    if c_type in C_TO_CTYPES:
        return C_TO_CTYPES[c_type]
    base = c_type.replace("const ", "")
    if base.endswith("**"):
        return {ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p}
    if base.endswith("*"):
        inner = base[:-1].strip()
        if inner in C_TO_CTYPES and inner not in ("void",):
            return {ctypes.POINTER(t) for t in C_TO_CTYPES[inner]} | {ctypes.c_void_p}
        return {ctypes.c_void_p}  # opaque handles and void *
    raise AssertionError(f"no ctypes mapping for C type {c_type!r}")


def param_type(param: str) -> str:
    # "const double *values" -> "const double *"
    m = re.match(r"^(.*?)(\w+)$", param.strip())
    assert m, param
    return m.group(1).strip()


class AbiCoverageTest(unittest.TestCase):
    def test_every_function_is_declared_with_matching_types(self) -> None:
        header = FFI_HEADER.read_text()
        protos = list(PROTOTYPE.finditer(header))
        self.assertGreater(len(protos), 0)
        for proto in protos:
            name = proto["name"]
            with self.subTest(function=name):
                fn = getattr(_native.lib, name)
                args = proto["args"].strip()
                params = [] if args in ("", "void") else [a.strip() for a in args.split(",")]
                self.assertIsNotNone(fn.argtypes, f"{name} has no argtypes")
                self.assertEqual(len(fn.argtypes), len(params), f"{name}: argument count")
                for i, (param, declared) in enumerate(zip(params, fn.argtypes)):
                    self.assertIn(declared, accepted(param_type(param)), f"{name} arg {i}: {param}")
                self.assertIn(fn.restype, accepted(proto["ret"].strip()), f"{name}: return type")

    def test_status_constants_match_the_header(self) -> None:
        header = FFI_HEADER.read_text()
        defines = dict(re.findall(r"^#define (ILSP_(?:OK|ERR_\w+)) (\d+)$", header, re.M))
        self.assertEqual(len(defines), 13)
        for name, value in defines.items():
            self.assertEqual(getattr(errors, name), int(value), name)

    def test_every_header_constant_has_its_enum_member(self) -> None:
        """Every ``#define ILSP_*`` of the header is a member (or a constant) of the
        package with its value, and every enum member is a header constant: a
        constant added to the C ABI without a Python name fails here."""
        from ilsprivacy import budget, enums, token

        groups = [  # longest prefix first
            ("TABLE_NOISE_", enums.TableNoise),
            ("ACCOUNTING_", enums.AccountingMethod),
            ("NOISE_", enums.Noise),
            ("COMPOSITION_", enums.Composition),
            ("PERIOD_", enums.Period),
            ("DATE_", enums.DateGranularity),
            ("CELL_", enums.Cell),
            ("TOKEN_", enums.TokenKind),
            ("BODY_", enums.TokenBody),
            ("KEY_", enums.KeyEncoding),
            ("NORM_", enums.Normalization),
            ("ROW_", enums.RowFlag),
            ("ERR_", enums.Status),
        ]
        plain = {
            "OK": enums.Status.OK,
            "COMPAT_TOKEN_LEN": 64,
            "MIN_KEY_LEN": token.MIN_KEY_LEN,
            "MAX_KEY_LEN": token.MAX_KEY_LEN,
            "MAX_TEMPLATE_JSON_BYTES": budget.MAX_TEMPLATE_JSON_BYTES,
        }
        header = FFI_HEADER.read_text()
        defines = {name: int(value) for name, value in re.findall(r"^#define ILSP_(\w+) (\d+)$", header, re.M)}
        seen = {enums.Status.OK}
        version = {}
        for name, value in defines.items():
            with self.subTest(constant=name):
                if name.startswith("VERSION_"):
                    version[name] = value
                    continue
                if name in plain:
                    self.assertEqual(plain[name], value)
                    continue
                prefix, enum = next(((p, e) for p, e in groups if name.startswith(p)), (None, None))
                self.assertIsNotNone(enum, f"ILSP_{name} has no enum in the Python binding")
                member = enum[name[len(prefix):]]
                self.assertEqual(int(member), value)
                seen.add(member)
        for _, enum in groups:
            for member in enum:
                self.assertIn(member, seen, f"{enum.__name__}.{member.name} is not a header constant")
        self.assertEqual(f"{version['VERSION_MAJOR']}.{version['VERSION_MINOR']}.{version['VERSION_PATCH']}",
                         ilsprivacy.version())
        # The enums are the package's, and the module constants alias their members.
        for _, enum in groups:
            self.assertIs(getattr(ilsprivacy, enum.__name__), enum)
        self.assertIs(ilsprivacy.COMPOSITION_ZCDP, enums.Composition.ZCDP)
        self.assertIs(token.NORM_BARCODE, enums.Normalization.BARCODE)

    def test_cffi_accepts_the_ffi_header(self) -> None:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(FFI_HEADER.read_text())
        lib = ffi.dlopen(_native.lib._name)
        self.assertEqual(ffi.string(lib.ilsp_version()).decode(), ilsprivacy.version())
        self.assertEqual(lib.ILSP_ERR_INTERNAL, 10)


if __name__ == "__main__":
    unittest.main()
