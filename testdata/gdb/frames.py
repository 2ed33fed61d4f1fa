# gdb oracle for coreview's differential test.
#
# Run as:
#   gdb -batch -nx -iex 'set debug-file-directory SYSROOT/usr/lib/debug' \
#       -ex 'set sysroot SYSROOT' -ex 'file PROG' -ex 'core-file CORE' -x frames.py
# with COREVIEW_GDB_OUT naming the output file (default: stdout), or with
# COREVIEW_GDB_BATCH naming a list of cores to load in turn (see the end).
# Prints one JSON object per core: every thread (LWP) with every physical frame's pc, sp, name,
# the minimal (ELF) symbol gdb finds for it, its frame type and source
# position, the inline frames gdb shows above it (innermost first, each with
# its name and source position), and why gdb's walk stopped. Tail-call
# frames, which gdb reconstructs from DWARF call-site information and which
# are not on the stack, are listed among the inline frames before the next
# physical frame, marked "tailcall" with their pc, sp and minimal symbol,
# and counted in "tailcalls".
import json
import os

import gdb

gdb.execute("set backtrace past-main on")
gdb.execute("set backtrace past-entry on")
gdb.execute("set backtrace limit unlimited")
gdb.execute("set pagination off")
gdb.execute("set print demangle on")
gdb.execute("set print asm-demangle on")

_msym_cache = {}


def minimal_symbol(addr):
    """The ELF symbol gdb puts at addr ("info symbol"), without offset."""
    if addr in _msym_cache:
        return _msym_cache[addr]
    name = None
    try:
        out = gdb.execute("info symbol 0x%x" % addr, to_string=True).strip()
        if not out.startswith("No symbol"):
            # "NAME + OFF in section S [of FILE]" or "NAME in section S"
            name = out.split(" in section ")[0]
            if " + " in name:
                name = name.rsplit(" + ", 1)[0]
    except gdb.error:
        pass
    _msym_cache[addr] = name
    return name


def frame_type(f):
    t = f.type()
    for n in ("NORMAL_FRAME", "DUMMY_FRAME", "INLINE_FRAME", "TAILCALL_FRAME",
              "SIGTRAMP_FRAME", "ARCH_FRAME", "SENTINEL_FRAME"):
        if getattr(gdb, n, None) == t:
            return n
    return str(t)


def source(f):
    """gdb's source position of a frame: the file as recorded, its full
    name, and the line (0 when gdb has none)."""
    try:
        sal = f.find_sal()
    except gdb.error:
        return None, None, 0
    if sal.symtab is None:
        return None, None, 0
    try:
        full = sal.symtab.fullname()
    except gdb.error:
        full = None
    return sal.symtab.filename, full, sal.line


def dump():
    """Every thread of the loaded core, as the header says."""
    threads = []
    selected = gdb.selected_thread()
    inferior = gdb.selected_inferior()
    for th in sorted(inferior.threads(), key=lambda t: t.num):
        th.switch()
        frames = []
        inlined = []
        tailcalls = 0
        f = gdb.newest_frame()
        prev_type = None
        last = f
        level = 0
        while f is not None:
            ft = frame_type(f)
            filename, fullname, line = source(f)
            if ft == "INLINE_FRAME":
                inlined.append({"name": f.name(), "file": filename, "fullname": fullname, "line": line})
            elif ft == "TAILCALL_FRAME":
                # A function that left by a tail call, rebuilt from DWARF
                # call sites: listed, like inline frames, before the next
                # physical frame, with its own pc (looked up at pc-1) and sp.
                tailcalls += 1
                pc = f.pc()
                inlined.append({"name": f.name(), "file": filename, "fullname": fullname, "line": line,
                                "tailcall": True, "pc": "0x%x" % pc,
                                "sp": "0x%x" % int(f.read_register("rsp")),
                                "msym": minimal_symbol(pc - 1)})
            else:
                pc = f.pc()
                # Callers' PCs are return addresses: look their symbol up at
                # pc-1, as gdb itself does, except above a signal frame.
                lookup = pc if level == 0 or prev_type == "SIGTRAMP_FRAME" else pc - 1
                frames.append({
                    "level": level,
                    "pc": "0x%x" % pc,
                    "sp": "0x%x" % int(f.read_register("rsp")),
                    "name": f.name(),
                    "msym": minimal_symbol(lookup) if ft == "NORMAL_FRAME" else None,
                    "type": ft,
                    "file": filename,
                    "fullname": fullname,
                    "line": line,
                    "inlined": inlined,
                })
                inlined = []
                prev_type = ft
                level += 1
            last = f
            try:
                f = f.older()
            except gdb.error:
                break
        threads.append({
            "tid": th.ptid[1],
            "num": th.num,
            "crashed": th.num == selected.num,
            "stop_reason": gdb.frame_stop_reason_string(last.unwind_stop_reason()),
            "tailcalls": tailcalls,
            "frames": frames,
        })

    return {"threads": threads}


def write(path, doc):
    out = json.dumps(doc)
    if path:
        with open(path, "w") as fh:
            fh.write(out)
    else:
        print(out)


batch = os.environ.get("COREVIEW_GDB_BATCH")
if batch:
    # One gdb for several cores: a JSON list of {"binary", "lib_dir",
    # "core", "out"}, each loaded in turn (the previous core and program
    # discarded first) and written to its "out" as above, or as
    # {"error": ...} when gdb cannot load it.
    with open(batch) as fh:
        jobs = json.load(fh)
    for job in jobs:
        _msym_cache.clear()
        for detach in ("core-file", "file"):
            try:
                gdb.execute(detach)
            except gdb.error:
                pass  # nothing loaded yet
        try:
            gdb.execute("set solib-search-path " + job["lib_dir"])
            gdb.execute("file " + job["binary"])
            gdb.execute("core-file " + job["core"])
            doc = dump()
        except gdb.error as e:
            doc = {"error": str(e)}
        write(job["out"], doc)
else:
    write(os.environ.get("COREVIEW_GDB_OUT"), dump())
