"""``BpfObject``: one ELF opened from memory and loaded with libbpf (LANGUAGE.md §7).

Everything the object creates -- links, ring-buffer consumers, NumPy views, the libbpf object
and with it every program and map fd -- is released by :meth:`BpfObject.close`, by leaving a
``with`` block, or when the object is garbage collected.

Threads: opening, loading and ``close()`` belong to one thread at a time.  While the object
is open, its maps (per-element atomic ``bpf()`` calls), ring buffers (polling serialised by a
lock), links (``detach`` from any thread) and ``Program.test_run`` may be used from several
threads; globals are plain memory shared with the programs, so a read-modify-write such as
``g.total += 1`` from two threads can lose an update.  ``close()`` must not race with other
threads still using the object: they get ``ValueError`` (or ``OSError``) afterwards, never a
crash, and NumPy views keep their memory.
"""
from __future__ import annotations

import errno
import weakref
from typing import Any

from ..compiled import CompiledModule
from ..objfile.validate import validate_object
from ..types import BpfType, StructType
from .. import libbpf as L
from .btf import BtfTypes, GlobalVar, bind_classes, int_of, rebind
from .config import Config, read_config
from .datasec import Globals, Section
from ..libbpf import ffi, lib
from .maps import map_class
from .namespace import Namespace
from .pinning import set_pin_paths
from .programs import Program
from .perfbuf import PerfEventArray
from .ringbuf import RingBuf
from .verifier import btf_refused, load_error, permission_error, verifier_error

_LOG_SIZE = 1 << 20          # first attempt: 1 MiB of verifier log per program
_LOG_SIZE_RETRY = 64 << 20   # a log that filled the first buffer gets one retry this big


# Sections newer libbpf knows but 1.1 does not: give the program its type ourselves.
_SECTION_TYPES = {"tc/ingress": L.PROG_SCHED_CLS, "tc/egress": L.PROG_SCHED_CLS,
                  "tcx/ingress": L.PROG_SCHED_CLS, "tcx/egress": L.PROG_SCHED_CLS}


def _fix_type(prog: Any) -> None:
    sec = L.cstr(lib.bpf_program__section_name(prog))
    if lib.bpf_program__type(prog) == L.PROG_UNSPEC and sec in _SECTION_TYPES:
        lib.bpf_program__set_type(prog, _SECTION_TYPES[sec])


class _Resources:
    """What close() releases; holds no reference back to the BpfObject (for weakref.finalize)."""

    def __init__(self) -> None:
        self.obj: Any = ffi.NULL
        self.links: list[Any] = []
        self.releasers: list[Any] = []
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for link in reversed(self.links):
            link.detach()
        self.links.clear()
        for r in self.releasers:
            r.release()
        self.releasers.clear()
        if self.obj != ffi.NULL:
            lib.bpf_object__close(self.obj)
            self.obj = ffi.NULL


class BpfObject:
    """A loaded BPF object: ``programs``, ``maps``, ``globals``, ``structs``; a context manager.

    ``compiled`` (from the compiler) supplies struct, map and ring-buffer record types; without
    it they come from the object's BTF.  ``user_classes`` maps struct names to the module's own
    ``@struct`` classes, which values then decode into.  ``log_level=1`` or ``2`` also keeps the
    verifier log of programs that load (``program.log``).  ``messages`` keeps what libbpf
    printed while opening and loading it.  Threading rules: see the module docstring.
    ``pin_dir`` pins every map in that bpffs directory, reusing the maps already pinned there
    (:mod:`.pinning`).  ``config`` sets ``Const`` globals (``obj.config``, :mod:`.config`)
    between opening and loading; ``open_only=True`` stops after opening (``ebpfpy.open``):
    set ``obj.config.NAME``, then call :meth:`load`.

    Bytes that are not a valid BPF object raise ``InvalidObjectError`` (a ``LoadError`` and a
    ``ValueError``, "not a valid BPF object: ...") before libbpf sees them.
    """

    def __init__(self, elf: bytes, *, compiled: CompiledModule | None = None,
                 user_classes: dict[str, type] | None = None, name: str = "ebpfpy",
                 log_level: int = 0, pin_dir: str | None = None,
                 config: dict[str, Any] | None = None, open_only: bool = False) -> None:
        self._res = _Resources()
        self.pin_dir = pin_dir
        self._finalizer = weakref.finalize(self, self._res.close)
        self.compiled = compiled
        self.name = name
        self._source = compiled.source if compiled else None
        self._filename = compiled.filename if compiled else None
        self._user_classes = user_classes
        self._elf = bytes(elf)
        self._log_level = log_level
        self.loaded = False
        self.chain_parts: dict[str, str] = {}     # part of a tail-call chain -> its ProgArray
        validate_object(self._elf)      # libbpf 1.1 would crash on some corrupt objects
        self._res.obj, self._logs = self._open(self._elf, _LOG_SIZE, log_level)
        try:
            self.config = self._read_config()
            self.config.update(config or {})
        except BaseException:
            self.close()
            raise
        if not open_only:
            self.load()

    def _read_config(self) -> Config:
        btf = lib.bpf_object__btf(self._res.obj)
        if btf == ffi.NULL:
            return Config({}, {})
        return Config(*read_config(self._res.obj, BtfTypes(btf, {})))

    def load(self) -> "BpfObject":
        """Load an object made by ``ebpfpy.open``: freeze ``config``, create the maps, verify
        and load the programs (libbpf's ``bpf_object__load``).  Returns the object itself."""
        self._check_open()
        if self.loaded:
            raise ValueError(f"BPF object {self.name!r} is already loaded")
        self.config.freeze()
        try:
            self._load(self._elf, self._log_level)
            self.loaded = True
            self._build(self.compiled, self._user_classes)
            if self.pin_dir is not None:
                self._check_pinned_config()
        except BaseException:
            self.close()
            raise
        return self

    def _check_pinned_config(self) -> None:
        """libbpf reuses a pinned ``.rodata`` map as it is: configured values it does not hold
        would be silently lost, so they are an error."""
        for name, (_var, sec) in self.config._vars.items():
            if sec.dirty and name in self.globals and self.globals[name] != self.config[name]:
                raise ValueError(
                    f"Const global {name!r} is {self.globals[name]!r} in the .rodata map pinned "
                    f"in {self.pin_dir}, not the configured {self.config[name]!r}: a pinned map "
                    f"is reused as it is (remove the pins to load new configuration)")

    def __getattr__(self, name: str) -> Any:
        # programs, maps, globals and structs exist once loaded
        if name in ("programs", "maps", "globals", "structs") and not self.__dict__.get("loaded"):
            raise AttributeError(f"BPF object {self.name!r} is opened but not loaded: call "
                                 f".load() first (after setting obj.config)")
        raise AttributeError(name)

    # ----------------------------------------------------------- open and load
    def _load(self, elf: bytes, log_level: int) -> None:
        size = _LOG_SIZE
        while True:
            mark = L.message_mark()
            for sec in self.config.sections():
                sec.apply(self._res.obj)
            rc = lib.bpf_object__load(self._res.obj)
            if rc == 0:
                self.messages = L.messages_since(mark)
                refused = btf_refused(self.messages)
                if refused is not None:
                    raise refused
                return
            failed = self._failed_program(self._logs)
            # ENOSPC: the kernel's log was cut; the rotating log may keep only its last line
            full = failed is not None and (len(failed[1]) >= size - 256 or -rc == errno.ENOSPC)
            if full and size < _LOG_SIZE_RETRY:
                lib.bpf_object__close(self._res.obj)
                self._res.obj = ffi.NULL
                size = _LOG_SIZE_RETRY           # reopen: a libbpf object loads only once
                self._res.obj, self._logs = self._open(elf, size, log_level)
                continue
            err = self._load_exception(-rc, failed, L.messages_since(mark, 1))
            raise err

    def _open(self, elf: bytes, log_size: int, log_level: int) -> tuple[Any, dict[str, Any]]:
        self._elf_buf = ffi.from_buffer(elf)     # libbpf copies it, but keep it for clarity
        name_buf = ffi.new("char[]", self.name.encode())
        opts = L.new_opts("bpf_object_open_opts", object_name=name_buf)
        mark = L.message_mark()
        obj = lib.bpf_object__open_mem(self._elf_buf, len(elf), opts)
        err = L.err_of(obj)
        if err:
            raise load_error(err, "open the BPF object", L.messages_since(mark, 1))
        if self.pin_dir is not None:
            try:
                self._pin_paths = set_pin_paths(obj, self.pin_dir)
            except OSError:
                lib.bpf_object__close(obj)
                raise
        logs: dict[str, Any] = {}
        prog = lib.bpf_object__next_program(obj, ffi.NULL)
        while prog != ffi.NULL:
            # log_level 0 + our buffer: libbpf retries a failed load at level 1 into it.
            buf = ffi.new("char[]", log_size)
            lib.bpf_program__set_log_buf(prog, buf, log_size)
            if log_level:
                lib.bpf_program__set_log_level(prog, log_level)
            logs[L.cstr(lib.bpf_program__name(prog))] = buf
            _fix_type(prog)
            prog = lib.bpf_object__next_program(obj, prog)
        return obj, logs

    def _failed_program(self, logs: dict[str, Any]) -> tuple[str, str] | None:
        for pname, buf in logs.items():
            text = L.cstr(buf)
            if text and lib.bpf_program__fd(self._program_ptr(pname)) < 0:
                return pname, text
        return None

    def _program_ptr(self, pname: str) -> Any:
        prog = lib.bpf_object__next_program(self._res.obj, ffi.NULL)
        while prog != ffi.NULL and L.cstr(lib.bpf_program__name(prog)) != pname:
            prog = lib.bpf_object__next_program(self._res.obj, prog)
        return prog

    def _sections(self) -> list[str]:
        out, prog = [], lib.bpf_object__next_program(self._res.obj, ffi.NULL)
        while prog != ffi.NULL:
            out.append(L.cstr(lib.bpf_program__section_name(prog)))
            prog = lib.bpf_object__next_program(self._res.obj, prog)
        return out

    def _load_exception(self, err: int, failed: tuple[str, str] | None,
                        messages: list[str]) -> Exception:
        if failed is not None:
            return verifier_error(failed[0], failed[1], self._source, self._filename)
        if err in (errno.EPERM, errno.EACCES):
            return permission_error(err, "load the BPF object", self._sections())
        return load_error(err, "load the BPF object", messages)

    # ----------------------------------------------------------- programs, maps, globals
    def _build(self, compiled: CompiledModule | None, user_classes: dict[str, type] | None) -> None:
        classes = bind_classes(compiled.structs if compiled else {}, user_classes)
        for n, c in (user_classes or {}).items():
            st = getattr(c, "__bpf_type__", None)
            if isinstance(st, StructType) and n not in classes:
                classes[n] = st
        btf = lib.bpf_object__btf(self._res.obj)
        self._btf = BtfTypes(btf, classes) if btf != ffi.NULL else None
        if compiled is None and self._btf is not None:
            self._discover_structs()
        programs: dict[str, Program] = {}
        prog = lib.bpf_object__next_program(self._res.obj, ffi.NULL)
        while prog != ffi.NULL:
            p = Program(self, prog)
            p.log = L.cstr(self._logs.get(p.name, ffi.NULL))
            programs[p.name] = p
            prog = lib.bpf_object__next_program(self._res.obj, prog)
        self._logs = {}                           # free the log buffers
        self.programs = Namespace("program", programs)
        maps: dict[str, Any] = {}
        variables: dict[str, tuple[GlobalVar, Section]] = {}
        m = lib.bpf_object__next_map(self._res.obj, ffi.NULL)
        while m != ffi.NULL:
            mname = L.cstr(lib.bpf_map__name(m))
            if "." in mname:
                self._add_section(m, variables)
            else:
                maps[mname] = self._make_map(m, mname, compiled)
                self._res.releasers.append(maps[mname])
            m = lib.bpf_object__next_map(self._res.obj, m)
        self.maps = Namespace("map", maps)
        self.globals = Globals(variables)
        struct_classes = {n: st.pyclass for n, st in
                          (self._btf.structs if self._btf else classes).items() if st.pyclass}
        self.structs = Namespace("struct", struct_classes)
        self._fill_chains(compiled.chains if compiled else _chains_by_name(maps, programs),
                          maps, programs)

    def _fill_chains(self, chains: dict[str, list[str]], maps: dict[str, Any],
                     programs: dict[str, Program]) -> None:
        """Put the parts of every program the compiler split into tail calls into their
        ProgArray (index k: the program that runs part k + 1).  ``chain_parts`` names them:
        they run only from their entry and are never attached on their own."""
        self.chain_parts = {p: array for array, parts in chains.items() for p in parts}
        for array, parts in chains.items():
            for i, pname in enumerate(parts):
                maps[array][i] = programs[pname]

    def _discover_structs(self) -> None:
        """Give every named struct in the object's BTF a class (``load(elf_bytes)``)."""
        assert self._btf is not None
        for tid in range(1, lib.btf__type_cnt(self._btf.btf)):
            if self._btf.kind(tid) == L.BTF_KIND_STRUCT:
                self._btf.type_of(tid)

    def _type(self, tid: int, size: int) -> BpfType:
        if tid and self._btf is not None:
            t = self._btf.type_of(tid)
            if t.size == size:
                return t
        return int_of(size)

    def _make_map(self, m: Any, mname: str, compiled: CompiledModule | None) -> Any:
        fd, mtype = lib.bpf_map__fd(m), lib.bpf_map__type(m)
        ksz, vsz = lib.bpf_map__key_size(m), lib.bpf_map__value_size(m)
        if mtype in (L.MAP_RINGBUF, L.MAP_PERF_EVENT_ARRAY):
            event = compiled.events.get(mname) if compiled else None
            if event is None and compiled is None and self._btf is not None:
                event = self._btf.carried_types().get(f"event__{mname}")   # load(elf_bytes)
            event = rebind(event, self._btf.structs if self._btf else {})
            cls = RingBuf if mtype == L.MAP_RINGBUF else PerfEventArray
            return cls(mname, fd, lib.bpf_map__max_entries(m), event)
        ktype = self._type(lib.bpf_map__btf_key_type_id(m), ksz)
        vtype = self._type(lib.bpf_map__btf_value_type_id(m), vsz)
        decl = compiled.maps.get(mname) if compiled else None
        if decl is not None and self._btf is not None:
            # The compiler's declared types win where they agree with the kernel's sizes.
            k, v = rebind(decl.key, self._btf.structs), rebind(decl.value, self._btf.structs)
            ktype = k if k is not None and k.size == ksz else ktype
            vtype = v if v is not None and v.size == vsz else vtype
        return map_class(mtype)(mname, fd, mtype, ktype, vtype, ksz, vsz,
                                lib.bpf_map__max_entries(m), lib.bpf_map__map_flags(m))

    def _add_section(self, m: Any, variables: dict[str, tuple[GlobalVar, Section]]) -> None:
        tid = lib.bpf_map__btf_value_type_id(m)
        if not tid or self._btf is None or self._btf.kind(tid) != L.BTF_KIND_DATASEC:
            return
        secname = L.cstr(lib.btf__name_by_offset(self._btf.btf,
                                                 lib.btf__type_by_id(self._btf.btf, tid).name_off))
        sec = Section(secname, lib.bpf_map__fd(m), lib.bpf_map__value_size(m),
                      lib.bpf_map__map_flags(m))
        self._res.releasers.append(sec)
        for var in self._btf.datasec(tid):
            variables.setdefault(var.name, (var, sec))

    # ----------------------------------------------------------- lifetime
    @property
    def _links(self) -> list[Any]:
        return self._res.links

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._res.closed

    def _check_open(self) -> None:
        if self._res.closed:
            raise ValueError(f"BPF object {self.name!r} is closed")

    def close(self) -> None:
        """Detach every link made through this object, then free its programs and maps.

        Idempotent; also runs on leaving a ``with`` block and on garbage collection.
        """
        self._finalizer()

    def __enter__(self) -> "BpfObject":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = ("closed" if self.closed else f"programs={list(self.programs)}" if self.loaded
                 else "opened, not loaded")
        return f"<BpfObject {self.name!r} {state}>"


def _chains_by_name(maps: dict[str, Any], programs: dict[str, Any]) -> dict[str, list[str]]:
    """The chains of an object loaded without the compiler's facts (a ``.bpf.o``), known by
    their names: ProgArray ``NAME__parts`` holds ``NAME__part1``, ``NAME__part2``, ..."""
    out: dict[str, list[str]] = {}
    for mname in maps:
        entry = mname[:-len("__parts")] if mname.endswith("__parts") else None
        if entry is None or entry not in programs:
            continue
        parts: list[str] = []
        while f"{entry}__part{len(parts) + 1}" in programs:
            parts.append(f"{entry}__part{len(parts) + 1}")
        if parts:
            out[mname] = parts
    return out
