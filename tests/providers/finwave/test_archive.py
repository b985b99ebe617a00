"""unpack_evidence: only the named files, and every kind of hostile ZIP refused whole."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from providers.finwave.archive import MAX_MEMBERS, unpack_evidence, unsafe_name
from providers.finwave.client import EvidenceArchiveRejected
from tests.providers.finwave.conftest import make_zip, symlink_member, tiny_jpeg

FRONT, SELFIE = "X-1-FRONT.jpg", "X-1-SELFIE.jpg"
WANTED = {FRONT: "idDocumentFront", SELFIE: "biometryTargetImage"}
LIMITS = {"max_member_bytes": 64 * 1024, "max_total_bytes": 100 * 1024}


def unpack(data: bytes, wanted=WANTED, **limits):
    return unpack_evidence(io.BytesIO(data), wanted, **{**LIMITS, **limits})


def refused(data: bytes, match: str, **limits) -> EvidenceArchiveRejected:
    with pytest.raises(EvidenceArchiveRejected, match=match) as raised:
        unpack(data, **limits)
    assert not raised.value.retryable
    assert raised.value.provider == "Finwave"
    return raised.value


def test_only_the_named_files_are_returned_by_role():
    front, selfie = tiny_jpeg((1, 2, 3)), tiny_jpeg((4, 5, 6))
    data = make_zip(
        [(FRONT, front), (SELFIE, selfie), ("X-1-OCR.json", b"{}"), ("X-1-VIDEO.webm", b"v")]
    )
    assert unpack(data) == {"idDocumentFront": front, "biometryTargetImage": selfie}


def test_a_named_file_missing_from_the_zip_is_left_out():
    assert unpack(make_zip([(FRONT, b"front")])) == {"idDocumentFront": b"front"}


def test_an_empty_zip_gives_nothing():
    assert unpack(make_zip([])) == {}


def test_a_member_in_a_folder_is_found_by_its_base_name():
    assert unpack(make_zip([(f"X/{FRONT}", b"front")])) == {"idDocumentFront": b"front"}


def test_two_members_of_one_base_name_in_folders_are_ambiguous_and_left_out():
    data = make_zip([(f"a/{FRONT}", b"one"), (f"b/{FRONT}", b"two")])
    assert unpack(data) == {}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/evil.jpg", "'..' segment"),
        ("X/../../evil.jpg", "'..' segment"),
        ("/etc/evil.jpg", "absolute path"),
        ("C:/evil.jpg", "drive letter"),
        ("..\\..\\evil.jpg", "backslash"),
        ("evil\x01.jpg", "control character"),
    ],
)
def test_a_member_that_could_escape_refuses_the_whole_archive(name, why):
    error = refused(make_zip([(FRONT, b"front"), (name, b"evil")]), why)
    assert error.status_code == 200


def test_a_symlink_member_refuses_the_whole_archive():
    refused(make_zip([(symlink_member(FRONT), b"/etc/passwd")]), "symbolic link")


def test_duplicate_member_names_are_refused():
    buffer = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(FRONT, b"one")
        zf.writestr(FRONT, b"two")
    refused(buffer.getvalue(), "two members of the same name")


def test_too_many_members_are_refused():
    members = [(f"f{i}.txt", b"x") for i in range(MAX_MEMBERS + 1)]
    refused(make_zip(members), f"{MAX_MEMBERS + 1} members")
    assert unpack(make_zip(members[:MAX_MEMBERS])) == {}


def test_a_named_member_declared_over_the_limit_is_refused_before_inflating():
    refused(make_zip([(FRONT, bytes(70 * 1024))]), "the limit is", max_member_bytes=64 * 1024)


def test_a_highly_compressed_member_is_a_zip_bomb_even_when_not_named():
    refused(make_zip([("X-1-OTHER.bin", bytes(3 * 1024 * 1024))]), "ZIP bomb")


def test_named_files_together_over_the_total_cap_are_refused():
    data = make_zip([(FRONT, b"a" * 600), (SELFIE, b"b" * 600)])
    refused(data, "add up to more than 1,000", max_member_bytes=800, max_total_bytes=1000)


def _lying_zip(name: str, content: bytes, declared_size: int) -> bytes:
    """A ZIP whose headers claim ``declared_size`` for a member that inflates to more."""
    data = make_zip([(name, content)])
    real = struct.pack("<I", len(content))
    fake = struct.pack("<I", declared_size)
    # the uncompressed size sits in the local header (offset 22) and the central one
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    patched = bytearray(data)
    assert patched[local + 22 : local + 26] == real
    patched[local + 22 : local + 26] = fake
    assert patched[central + 24 : central + 28] == real
    patched[central + 24 : central + 28] = fake
    return bytes(patched)


def test_a_member_lying_about_its_size_cannot_inflate_past_the_limit():
    bomb = _lying_zip(FRONT, bytes(200 * 1024), declared_size=1000)
    refused(bomb, "cannot be read")


def test_a_corrupt_member_is_refused():
    data = bytearray(make_zip([(FRONT, tiny_jpeg())]))
    start = data.index(b"PK\x03\x04") + 30 + len(FRONT)
    data[start + 5] ^= 0xFF  # damage the deflated stream
    refused(bytes(data), "cannot be read")


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x05\x06 truncated"])
def test_something_that_is_not_a_zip_is_refused(data):
    refused(data, "cannot be read")


def test_an_encrypted_member_is_refused():
    data = bytearray(make_zip([(FRONT, b"front")]))
    for header, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(header) + offset
        flags = struct.unpack("<H", data[at : at + 2])[0] | 0x1
        data[at : at + 2] = struct.pack("<H", flags)
    refused(bytes(data), "encrypted")


def test_member_bytes_are_verified_by_crc():
    content = b"front image bytes" * 10
    data = bytearray(make_zip([(FRONT, content)]))
    crc = struct.pack("<I", zlib.crc32(content))
    for _ in range(2):  # local and central headers
        at = data.index(crc)
        data[at : at + 4] = struct.pack("<I", zlib.crc32(b"other"))
    refused(bytes(data), "cannot be read")


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [("a.jpg", False), ("dir/a.jpg", False), ("a..b.jpg", False), ("../a", True), ("", True)],
)
def test_unsafe_name(name, unsafe):
    assert bool(unsafe_name(name)) is unsafe
