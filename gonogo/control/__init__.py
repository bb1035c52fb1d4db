"""Primitives that change the world and must be undone: processes, private and locked files,
and the on-disk journal of what was changed, so that chaos, rollback and `gonogo chaos restore`
can put things back, even from a fresh process after a crash.

    journal = Journal(path)
    entry = journal.record("sandbox/alpha", "stop", SandboxStartUndo(component="alpha", ...))
    ...  # change the world only after the entry is on disk
    for entry in journal.pending():
        apply_undo(entry.undo)
        journal.mark_undone(entry)

Submodules are imported explicitly (undo.py reaches the sandbox, which uses processes.py).
"""
