"""sageshim's PEP 517 build backend (pyproject.toml names it).

The wheel holds no Python: it is the tree `make install` gives (the command,
the preload library, the hotfix bundle, the default configuration, the man
pages), as the wheel's data, so pip puts it in the environment's prefix:
<venv>/bin/sageshim, <venv>/lib/libsageshim.so, <venv>/etc/sageshim.conf ...
The library finds its configuration and bundle relative to its own path, and
the command finds the library relative to its own, so this works from any
prefix.  pip's RECORD lists every file: `pip uninstall sageshim` removes all.

The command is data (bin/), not a script: auditwheel would replace an ELF
script by a Python stub that runs it from site-packages, where
<bindir>/../lib/libsageshim.so is not.

`make wheel` builds, installs into a staging tree, names it in SAGESHIM_STAGE
and runs `pip wheel`; then auditwheel bundles the shared libraries and sets
the manylinux tag.  Without SAGESHIM_STAGE (`pip wheel .` or `pip install .`
in a checkout) this backend runs make itself and the wheel keeps the
linux_<arch> tag: it needs the system's libelf, liblz4 and libzstd.
"""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "sageshim"
# Not part of the installed tree: pip's RECORD does its work.
SKIP = {"share/sageshim/installed-files"}
# ELF e_machine -> the platform tag's architecture.
MACHINES = {62: "x86_64", 183: "aarch64"}
# A fixed time in every zip entry: the same tree gives the same wheel.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _version():
    """The one version, lib/base/version.h's."""
    with open(os.path.join(ROOT, "lib", "base", "version.h"), encoding="utf-8") as f:
        match = re.search(r'#define SAGESHIM_VERSION "([^"]+)"', f.read())
    if not match:
        raise RuntimeError("lib/base/version.h: no SAGESHIM_VERSION")
    return match.group(1)


def _arch(library):
    """The architecture the library was built for (a cross build's is not ours)."""
    with open(library, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        raise RuntimeError(f"{library}: not an ELF file")
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    if machine not in MACHINES:
        raise RuntimeError(f"{library}: ELF machine {machine} has no wheel tag here")
    return MACHINES[machine]


def _metadata(version):
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        "Summary: LD_PRELOAD library that makes SageAttention correct on Hopper "
        "(sm_90) and sm_120 GPUs\n"
        "Requires-Python: >=3\n"
        "Platform: Linux\n"
    )


def _record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _stage():
    """The installed tree: SAGESHIM_STAGE, or one made here by make."""
    stage = os.environ.get("SAGESHIM_STAGE")
    if stage:
        return stage, None
    tmp = tempfile.mkdtemp(prefix="sageshim-stage-")
    subprocess.run(["make", "-C", ROOT, "all"], check=True)
    subprocess.run(["make", "-C", ROOT, "install", f"DESTDIR={tmp}", "PREFIX="], check=True)
    return tmp, tmp


def _add(zf, record, arcname, data, mode):
    info = zipfile.ZipInfo(arcname, ZIP_TIME)
    info.external_attr = (mode & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
    record.append(f"{arcname},{_record_hash(data)},{len(data)}")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    stage, cleanup = _stage()
    try:
        arch = _arch(os.path.join(stage, "lib", "libsageshim.so"))
        tag = f"py3-none-linux_{arch}"
        name = f"{NAME}-{version}-{tag}.whl"
        data_dir = f"{NAME}-{version}.data/data"
        info_dir = f"{NAME}-{version}.dist-info"
        record = []
        with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
            for top, dirs, files in os.walk(stage):
                dirs.sort()
                for file in sorted(files):
                    path = os.path.join(top, file)
                    rel = os.path.relpath(path, stage)
                    if rel in SKIP:
                        continue
                    with open(path, "rb") as f:
                        data = f.read()
                    _add(zf, record, f"{data_dir}/{rel}", data, os.stat(path).st_mode)
            wheel = ("Wheel-Version: 1.0\nGenerator: sageshim_backend\n"
                     f"Root-Is-Purelib: false\nTag: {tag}\n")
            _add(zf, record, f"{info_dir}/WHEEL", wheel.encode(), 0o100644)
            _add(zf, record, f"{info_dir}/METADATA", _metadata(version).encode(), 0o100644)
            record.append(f"{info_dir}/RECORD,,")
            _add_plain(zf, f"{info_dir}/RECORD", "\n".join(record) + "\n")
        return name
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


def _add_plain(zf, arcname, text):
    info = zipfile.ZipInfo(arcname, ZIP_TIME)
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def build_sdist(sdist_directory, config_settings=None):
    """The files git tracks, with PKG-INFO: enough for build_wheel."""
    version = _version()
    base = f"{NAME}-{version}"
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for rel in sorted(f for f in files if f):
            tar.add(os.path.join(ROOT, rel), f"{base}/{rel}", recursive=False)
        with tempfile.NamedTemporaryFile("w", suffix=".PKG-INFO") as pkg:
            pkg.write(_metadata(version))
            pkg.flush()
            tar.add(pkg.name, f"{base}/PKG-INFO")
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []
