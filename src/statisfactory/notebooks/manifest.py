"""``manifest.json``: what ``statisfactory compile`` produced and how the pipelines use it.

```json
{
  "notebooks": [{"notebook": "scripts/01 - prep.ipynb", "module": "jupyter.prep",
                 "path": "lib/jupyter/prep.py", "crafts": ["clean"]}],
  "pipelines": {"training": {"tags": ["ml"], "batches": [[
      {"craft": "jupyter.prep.clean", "module": "jupyter.prep", "name": "clean",
       "inputs": {"artifacts": ["raw"], "volatiles": []},
       "outputs": {"artifacts": [], "volatiles": ["clean"]}}]]}}
}
```

The file is deterministic (no dates, sorted keys) so that compiling twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from statisfactory.errors import NotebookError
from statisfactory.notebooks.compiler import CompileReport

MANIFEST_NAME = "manifest.json"
MANIFEST_KEYS = ("notebooks", "pipelines")


def build_manifest(session: Any, report: CompileReport) -> dict[str, Any]:
    """The manifest of a compilation, with every pipeline of the session's definitions."""
    root = session.root
    notebooks = [
        {
            "notebook": compiled.notebook.relative_to(root).as_posix(),
            "module": compiled.module,
            "path": compiled.path.relative_to(root).as_posix(),
            "crafts": list(compiled.crafts),
        }
        for compiled in report.notebooks
    ]
    definitions = session.pipelines_definitions
    pipelines = {}
    for name in definitions.names():
        pipeline = definitions[name]  # imports the crafts: a broken module is an error here
        pipelines[name] = {
            "tags": list(pipeline.tags),
            "batches": [[_craft_entry(craft) for craft in batch] for batch in pipeline.batches],
        }
    return {"notebooks": notebooks, "pipelines": pipelines}


def _craft_entry(craft: Any) -> dict[str, Any]:
    signature = craft.signature
    outputs = signature.outputs
    return {
        "craft": craft.fqname,
        "module": craft.fqname.rpartition(".")[0],
        "name": craft.name,
        "inputs": {
            "artifacts": [name for _, name in signature.artifacts],
            "volatiles": [name for _, name, _ in signature.volatiles],
        },
        "outputs": {
            "artifacts": [o.name for o in outputs if o.kind == "artifact"],
            "volatiles": [o.name for o in outputs if o.kind == "volatile"],
        },
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> bool:
    """Write ``manifest`` as JSON unless the file already holds it; return whether it changed.

    A ``manifest.json`` this command did not write (another tool's, at the project root) is
    never overwritten; the write is atomic, so a crash leaves the previous manifest whole.
    """
    from statisfactory.IO.backends.local import atomic_write

    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path.exists():
        current = path.read_text(encoding="utf-8", errors="replace")
        if current == text:
            return False
        if not _is_ours(current):
            raise NotebookError(
                f"{path} exists and was not written by `statisfactory compile`; move or rename "
                f"it, then compile again"
            )
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))
    return True


def _is_ours(text: str) -> bool:
    """Whether ``text`` is a manifest this command wrote: a mapping of exactly its two keys."""
    try:
        content = json.loads(text)
    except ValueError:
        return False
    return isinstance(content, dict) and set(content) == set(MANIFEST_KEYS)
