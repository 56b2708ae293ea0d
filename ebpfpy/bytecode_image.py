"""bpfman bytecode images: a BPF ELF object packaged as an OCI image archive.

bpfman (https://bpfman.io) loads eBPF programs on the nodes of a Kubernetes cluster from OCI
images that follow its "eBPF Bytecode Image Specification": exactly one gzip-compressed tar
layer holding the object file at its root, and two labels in the image config naming what
the object holds, each a JSON object:

* ``io.ebpf.programs``: program (function) name -> bpfman program type (``xdp``, ``tc``, ...)
* ``io.ebpf.maps``: map name -> map type (``hash``, ``per_cpu_array``, ``ringbuf``, ...)

The archive is an OCI image layout (``oci-layout``, ``index.json``, ``blobs/sha256/...``) in
a tar file, what ``skopeo copy oci-archive:IMAGE.tar docker://REGISTRY/NAME:TAG`` pushes.  It
is written here by hand, with no network and no container runtime, and byte-for-byte
deterministic: every timestamp is zero and JSON keys are sorted, so the same object always
gives the same image digest.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import platform
import tarfile
from dataclasses import dataclass
from typing import Any

from .model.sections import kind_of
from .objfile import BpfElf, Btf

LABEL_PROGRAMS = "io.ebpf.programs"
LABEL_MAPS = "io.ebpf.maps"

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"

# bpfman's program types, by ebpfpy's program kind (model/sections.py).  Kinds bpfman does
# not load (syscall, socket, cgroup_skb, perf_event, raw_tp, iter, lsm, ...) are left out.
BPFMAN_PROGRAM_TYPES = {"xdp": "xdp", "tc": "tc", "tracepoint": "tracepoint", "kprobe": "kprobe",
                        "uprobe": "uprobe", "fentry": "fentry", "fexit": "fexit"}
# Sections whose name says more than the kind: tcx attaches through bpfman's TCX type, and
# return probes have their own type.
_SECTION_TYPES = (("tcx/", "tcx"), ("kretprobe/", "kretprobe"), ("uretprobe", "uretprobe"),
                  ("fmod_ret/", ""))

# BPF_MAP_TYPE_* numbers -> the names bpfman's labels use (its map type's display names).
MAP_TYPE_NAMES = {1: "hash", 2: "array", 3: "prog_array", 4: "perf_event_array",
                  5: "per_cpu_hash", 6: "per_cpu_array", 7: "stack_trace", 8: "cgroup_array",
                  9: "lru_hash", 10: "lru_per_cpu_hash", 11: "lpm_trie", 12: "array_of_maps",
                  13: "hash_of_maps", 27: "ringbuf"}

# Go's GOARCH spelling, which OCI configs use, for the machines BPF objects are built on.
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
           "s390x": "s390x", "riscv64": "riscv64"}


class ImageError(ValueError):
    """The object cannot become a bytecode image (no program bpfman can load, not BPF)."""


@dataclass(frozen=True)
class Contents:
    """What the labels say: programs and maps by name, and the programs left out (and why)."""

    programs: dict[str, str]
    maps: dict[str, str]
    skipped: dict[str, str]      # program name -> its section, which bpfman cannot load


def program_type(section: str) -> str | None:
    """bpfman's type for a program in ``section``, or None when bpfman cannot load it."""
    for prefix, name in _SECTION_TYPES:
        if section.startswith(prefix):
            return name or None
    kind = kind_of(section)
    return BPFMAN_PROGRAM_TYPES.get(kind.name) if kind else None


def contents(elf: BpfElf) -> Contents:
    """The programs and maps of a compiled object, named as bpfman's labels name them."""
    programs: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for sym, sec in elf.programs:
        kind = program_type(sec.name)
        if kind is None:
            skipped[sym.name] = sec.name
        else:
            programs[sym.name] = kind
    raw_btf = elf.section_data(".BTF")
    btf = Btf(raw_btf) if raw_btf else None
    maps: dict[str, str] = {}
    for sym in elf.maps:
        number = btf.map_definition(sym.name).get("type") if btf else None
        maps[sym.name] = MAP_TYPE_NAMES.get(number, f"type_{number}") if isinstance(number, int) \
            else "unknown"
    return Contents(programs, maps, skipped)


def labels(found: Contents) -> dict[str, str]:
    """The image labels bpfman reads (both are required, even when a value is ``{}``)."""
    return {LABEL_PROGRAMS: _json(found.programs), LABEL_MAPS: _json(found.maps)}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _blob(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def _tar_member(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def _layer(filename: str, elf_bytes: bytes) -> tuple[bytes, bytes]:
    """The layer: (uncompressed tar, its gzip) holding the object at the root."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _tar_member(tar, filename, elf_bytes)
    plain = raw.getvalue()
    return plain, gzip.compress(plain, mtime=0)


def build_archive(elf_bytes: bytes, filename: str, image_labels: dict[str, str], *,
                  tag: str = "latest", architecture: str | None = None) -> bytes:
    """An ``oci-archive`` (a tar of an OCI image layout) of one image holding ``elf_bytes``."""
    plain, compressed = _layer(filename, elf_bytes)
    layer_digest, layer = _blob(compressed)
    arch = architecture or _GOARCH.get(platform.machine(), platform.machine())
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Labels": image_labels},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(plain).hexdigest()]},
        "history": [{"created_by": f"ebpfpy package {filename}"}],
    }
    config_digest, config_blob = _blob(_json(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": config_digest, "size": len(config_blob)},
        "layers": [{"mediaType": MEDIA_LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    manifest_digest, manifest_blob = _blob(_json(manifest).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [{"mediaType": MEDIA_MANIFEST, "digest": manifest_digest,
                       "size": len(manifest_blob), "annotations": {REF_NAME: tag},
                       "platform": {"architecture": arch, "os": "linux"}}],
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _tar_member(tar, "oci-layout", _json({"imageLayoutVersion": "1.0.0"}).encode())
        _tar_member(tar, "index.json", _json(index).encode())
        for digest, blob in ((config_digest, config_blob), (layer_digest, layer),
                             (manifest_digest, manifest_blob)):
            _tar_member(tar, "blobs/sha256/" + digest.split(":", 1)[1], blob)
    return out.getvalue()


def package(elf_bytes: bytes, filename: str, *, tag: str = "latest",
            architecture: str | None = None) -> tuple[bytes, Contents]:
    """The archive for a compiled object, and what its labels list.

    Raises :class:`ImageError` when the object holds no program bpfman can load.
    """
    try:
        elf = BpfElf(elf_bytes)
    except ValueError as e:
        raise ImageError(str(e)) from None
    found = contents(elf)
    if not found.programs:
        kinds = ", ".join(sorted(set(BPFMAN_PROGRAM_TYPES.values()) | {"tcx", "kretprobe", "uretprobe"}))
        raise ImageError("no program that bpfman can load (it loads " + kinds + "); found: "
                         + (", ".join(f"{n} ({s})" for n, s in found.skipped.items()) or "none"))
    return build_archive(elf_bytes, filename, labels(found), tag=tag,
                         architecture=architecture), found
