"""``ebpfpy package``: bpfman bytecode images, checked by real OCI tools (skopeo, umoci, which
``scripts/setup.sh`` installs for the tests) and by reading the archive back by hand."""
from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.bytecode_image import MEDIA_LAYER, MEDIA_MANIFEST, program_type
from ebpfpy.cli import main
from ebpfpy.objfile import BpfElf

ROOT = Path(__file__).resolve().parent.parent
OPENSNOOP = ROOT / "examples" / "tools" / "opensnoop.py"
XDP = ROOT / "examples" / "xdp_ethertype.py"
MIXED = '''
from ebpfpy import bpf_program, Array, RingBuf, u64, XDP_PASS
hits = Array(u64, 4)
log = RingBuf(4096)
@bpf_program("xdp")
def count(ctx) -> int:
    hits[0] += 1
    return XDP_PASS
@bpf_program("syscall")
def setup(ctx) -> int:
    return 0
'''


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: scripts/setup.sh installs it (apt-get install {name})",
                    pytrace=False)
    return path


def package(tmp_path: Path, src: Path, *extra: str) -> Path:
    out = tmp_path / (src.stem + ".tar")
    assert main(["package", str(src), "-o", str(out), *extra]) == 0
    return out


def read_back(archive: Path) -> tuple[dict, dict, list[tuple[str, bytes]]]:
    """(manifest, config, layer members) read from the oci-archive by following its digests."""
    with tarfile.open(archive) as tar:
        def blob(digest: str) -> bytes:
            return tar.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()
        index = json.loads(tar.extractfile("index.json").read())
        assert json.loads(tar.extractfile("oci-layout").read()) == {"imageLayoutVersion": "1.0.0"}
        [entry] = index["manifests"]
        manifest = json.loads(blob(entry["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
        [layer] = manifest["layers"]
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layer["digest"])))) as lt:
            members = [(m.name, lt.extractfile(m).read()) for m in lt.getmembers()]
    return manifest, config, members


def test_labels_name_programs_and_maps_from_the_object(tmp_path: Path) -> None:
    manifest, config, members = read_back(package(tmp_path, OPENSNOOP))
    labels = config["config"]["Labels"]
    assert json.loads(labels["io.ebpf.programs"]) == {"on_enter": "tracepoint",
                                                       "on_exit": "tracepoint"}
    assert json.loads(labels["io.ebpf.maps"]) == {"pending": "hash", "events": "ringbuf"}
    assert manifest["mediaType"] == MEDIA_MANIFEST
    assert [lay["mediaType"] for lay in manifest["layers"]] == [MEDIA_LAYER]
    # exactly one file, at the root of the layer: the object, as ebpfpy compiles it
    [(name, data)] = members
    assert name == "opensnoop.bpf.o"
    assert data == ebpfpy.compile(str(OPENSNOOP))
    assert {s.name for s, _ in BpfElf(data).programs} == {"on_enter", "on_exit"}


def test_skopeo_reads_the_archive_and_its_labels(tmp_path: Path) -> None:
    archive = package(tmp_path, XDP, "--tag", "v1")
    r = subprocess.run([tool("skopeo"), "inspect", f"oci-archive:{archive}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert json.loads(info["Labels"]["io.ebpf.programs"]) == {"count_ethertype": "xdp"}
    assert json.loads(info["Labels"]["io.ebpf.maps"]) == {"counts": "per_cpu_hash"}
    assert info["Os"] == "linux" and len(info["Layers"]) == 1
    raw = subprocess.run([tool("skopeo"), "inspect", "--raw", f"oci-archive:{archive}:v1"],
                         capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(raw.stdout)["layers"][0]["mediaType"] == MEDIA_LAYER


def test_umoci_unpacks_the_object(tmp_path: Path) -> None:
    archive = package(tmp_path, XDP)
    layout = tmp_path / "layout"
    with tarfile.open(archive) as tar:
        tar.extractall(layout, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    bundle = tmp_path / "bundle"
    r = subprocess.run([tool("umoci"), "unpack", "--rootless", "--image", f"{layout}:latest",
                        str(bundle)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (bundle / "rootfs" / "xdp_ethertype.bpf.o").read_bytes() == ebpfpy.compile(str(XDP))
    stat = subprocess.run([tool("umoci"), "stat", "--json", "--image", f"{layout}:latest"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert "ebpfpy package xdp_ethertype.bpf.o" in stat.stdout


def test_the_archive_is_deterministic(tmp_path: Path) -> None:
    first = package(tmp_path, XDP).read_bytes()
    assert package(tmp_path, XDP).read_bytes() == first
    obj = tmp_path / "xdp_ethertype.bpf.o"          # an object file packages the same way
    obj.write_bytes(ebpfpy.compile(str(XDP)))
    assert package(tmp_path, obj).read_bytes() == first


def test_kinds_bpfman_cannot_load_are_left_out_with_a_note(tmp_path: Path, capsys) -> None:
    src = tmp_path / "mixed.py"
    src.write_text(MIXED)
    _, config, _ = read_back(package(tmp_path, src))
    labels = config["config"]["Labels"]
    assert json.loads(labels["io.ebpf.programs"]) == {"count": "xdp"}
    assert json.loads(labels["io.ebpf.maps"]) == {"hits": "array", "log": "ringbuf"}
    err = capsys.readouterr().err
    assert "note: setup (syscall) is left out: bpfman does not load this kind" in err


def test_nothing_bpfman_can_load_is_an_error_without_traceback(tmp_path: Path, capsys) -> None:
    src = tmp_path / "only_syscall.py"
    src.write_text("from ebpfpy import bpf_program\n@bpf_program('syscall')\n"
                   "def main(ctx) -> int:\n    return 0\n")
    out = tmp_path / "x.tar"
    assert main(["package", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no program that bpfman can load" in err and "main (syscall)" in err
    assert "Traceback" not in err and not out.exists()


def test_a_file_that_is_not_bpf_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "bogus.o"
    bogus.write_bytes(b"\x7fELF" + b"\0" * 60)
    assert main(["package", str(bogus), "-o", str(tmp_path / "x.tar")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ebpfpy: {bogus}: ") and len(err.splitlines()) == 1


@pytest.mark.parametrize("section,kind", [
    ("xdp", "xdp"), ("tc", "tc"), ("classifier", "tc"), ("tcx/ingress", "tcx"),
    ("tracepoint/syscalls/sys_enter_openat", "tracepoint"), ("kprobe/do_unlinkat", "kprobe"),
    ("kretprobe/do_unlinkat", "kretprobe"), ("uprobe", "uprobe"), ("uretprobe", "uretprobe"),
    ("fentry/do_unlinkat", "fentry"), ("fexit/do_unlinkat", "fexit"),
    ("syscall", None), ("socket", None), ("lsm/file_open", None), ("fmod_ret/x", None),
])
def test_program_types_use_bpfmans_names(section: str, kind: str | None) -> None:
    assert program_type(section) == kind


def test_deploy_doc_matches_what_package_builds(tmp_path: Path, capsys) -> None:
    """docs/deploy.md's manifests name programs (and types) that the images' labels list, and
    its sample output is the command's."""
    import re
    doc = (ROOT / "docs" / "deploy.md").read_text()
    manifests = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    assert len(manifests) >= 2
    for text in manifests:
        image = re.search(r"url: quay\.io/ORG/([\w-]+):", text).group(1)
        src = ROOT / "examples" / (image.replace("-", "_") + ".py")
        _, config, _ = read_back(package(tmp_path, src))
        labelled = json.loads(config["config"]["Labels"]["io.ebpf.programs"])
        named = dict(re.findall(r"- name: (\w+)\s*(?:#.*)?\n\s+type: (\w+)", text))
        assert named and named.items() <= labelled.items(), (image, named, labelled)
    capsys.readouterr()
    command = re.search(r"^ebpfpy package (\S+) -o (\S+) --tag v1\n# (.*)$", doc, re.M)
    assert main(["package", str(ROOT / command.group(1)), "-o", str(tmp_path / command.group(2)),
                 "--tag", "v1"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / command.group(2)}: " + \
        command.group(3).split(": ", 1)[1] + "\n"


def test_a_chain_of_tail_calls_is_found_by_its_names() -> None:
    from ebpfpy.cli_package import _chains
    programs = {"big": "xdp", "big__part1": "xdp", "big__part2": "xdp", "other": "xdp",
                "lone__part1": "xdp"}
    maps = {"big__parts": "prog_array", "big__state": "percpu_array"}
    assert _chains(programs, maps) == {"big": ["big__part1", "big__part2"]}
    assert _chains(programs, {}) == {}      # no ProgArray of that name: not a chain
