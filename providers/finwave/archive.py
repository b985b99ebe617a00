"""Unpacking Finwave's evidence ZIP safely.

The ZIP comes from outside, so it is treated as hostile until proven otherwise. The
whole archive is refused (``EvidenceArchiveRejected``, and the caller stores nothing of
the session) when any member

- has a name that could escape a directory: a ``..`` segment, an absolute path, a
  drive letter, a backslash or a control character;
- is a symbolic link, is encrypted, or shares its name with another member;
- claims a compression ratio no image or video reaches (a ZIP bomb);

or when the archive has more than ``max_members`` members, declares more than
``ARCHIVE_MAX_UNCOMPRESSED`` bytes in all, or is not a readable ZIP. Of the rest, only
the members the result names are read, each at most ``max_member_bytes`` (read with a
bound, so a member lying about its size cannot inflate past it) and at most
``max_total_bytes`` together. Nothing is ever written to disk: members are read into
memory and the names are never used as paths.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Mapping
from typing import IO, Final

from providers.finwave.client import PROVIDER, EvidenceArchiveRejected

MAX_MEMBERS: Final = 50
# Everything declared in one archive, the full video included.
ARCHIVE_MAX_UNCOMPRESSED: Final = 1024 * 1024 * 1024
# JPEG, PNG and video barely compress; a member that shrank more than this is a bomb.
MAX_COMPRESSION_RATIO: Final = 100
RATIO_CHECK_FROM_BYTES: Final = 1024 * 1024  # tiny members may compress well legitimately


def _refuse(message: str) -> EvidenceArchiveRejected:
    # status 200: Finwave answered; what it answered is what kycdash refuses
    return EvidenceArchiveRejected(message, status_code=200, provider=PROVIDER)


def unsafe_name(name: str) -> str:
    """Why ``name`` is not a safe member name, or "" when it is."""
    if not name:
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a control character"
    if "\\" in name:
        return "a backslash"
    if name.startswith("/"):
        return "an absolute path"
    if len(name) > 1 and name[1] == ":" and name[0].isalpha():
        return "a drive letter"
    if ".." in name.split("/"):
        return "a '..' segment"
    return ""


def _check_member(info: zipfile.ZipInfo, seen: set[str]) -> None:
    # what the archive says the name is, before zipfile tidied it up
    for name in {info.orig_filename, info.filename}:
        problem = unsafe_name(name)
        if problem:
            raise _refuse(f"the evidence ZIP has a member name with {problem}")
    if info.filename in seen:
        raise _refuse("the evidence ZIP has two members of the same name")
    seen.add(info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _refuse("the evidence ZIP has a symbolic link among its members")
    if info.flag_bits & 0x1:
        raise _refuse("the evidence ZIP has an encrypted member")
    if info.file_size > RATIO_CHECK_FROM_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
        info.compress_size, 1
    ):
        raise _refuse("the evidence ZIP has a member compressed beyond any image (a ZIP bomb)")


def _find(members: list[zipfile.ZipInfo], wanted_name: str) -> zipfile.ZipInfo | None:
    """The member named ``wanted_name``, or the only one of that base name in a folder."""
    for info in members:
        if info.filename == wanted_name:
            return info
    base = [i for i in members if i.filename.rsplit("/", 1)[-1] == wanted_name]
    return base[0] if len(base) == 1 else None


def unpack_evidence(
    archive: IO[bytes],
    wanted: Mapping[str, str],
    *,
    max_member_bytes: int,
    max_total_bytes: int,
    max_members: int = MAX_MEMBERS,
) -> dict[str, bytes]:
    """``{role: bytes}`` of the members named in ``wanted`` (file name -> role).

    Members the result does not name are checked but never read; named files missing
    from the archive are left out. Raises ``EvidenceArchiveRejected`` as described in
    the module docstring.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > max_members:
                raise _refuse(
                    f"the evidence ZIP has {len(members)} members; at most {max_members} "
                    "are accepted"
                )
            seen: set[str] = set()
            for info in members:
                _check_member(info, seen)
            if sum(i.file_size for i in members) > ARCHIVE_MAX_UNCOMPRESSED:
                raise _refuse("the evidence ZIP declares more content than any onboarding has")
            files: dict[str, bytes] = {}
            total = 0
            for name, role in wanted.items():
                info = _find(members, name)
                if info is None or info.is_dir():
                    continue
                if info.file_size > max_member_bytes:
                    raise _refuse(
                        f"the evidence file {role} is {info.file_size:,} bytes; the limit is "
                        f"{max_member_bytes:,}"
                    )
                with zf.open(info) as member:
                    content = member.read(max_member_bytes + 1)
                if len(content) > max_member_bytes:
                    raise _refuse(f"the evidence file {role} inflates past {max_member_bytes:,}")
                total += len(content)
                if total > max_total_bytes:
                    raise _refuse(
                        f"the evidence files add up to more than {max_total_bytes:,} bytes"
                    )
                files[role] = content
            return files
    except EvidenceArchiveRejected:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _refuse(f"the evidence ZIP cannot be read: {exc}") from None
    except (OSError, ValueError) as exc:
        raise _refuse(f"the evidence ZIP cannot be read: {type(exc).__name__}") from None
