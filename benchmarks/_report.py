"""Writing benchmark reports: the newest run first, earlier runs kept below it."""

from __future__ import annotations

from pathlib import Path


def prepend_report(path: str | Path, text: str) -> Path:
    """Write ``text`` at the top of the Markdown report ``path`` (atomically), above the earlier runs."""
    from radio_unet.io.atomic import atomic_path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_text() if path.exists() else ""
    with atomic_path(path) as tmp:
        tmp.write_text(text.rstrip("\n") + "\n" + ("\n---\n\n" + previous if previous else ""))
    print(f"wrote {path}")
    return path
