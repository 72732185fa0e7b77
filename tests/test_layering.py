"""House rules that keep the data flow readable: who may import what, and every module says what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent / "lab"
HEAVY = ("torch", "sentence_transformers", "datasets", "transformers", "umap")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules():
    return sorted(LAB.rglob("*.py"))


def test_only_the_ui_imports_gradio():
    offenders = [p for p in _modules() if "gradio" in _imports(p) and "ui" not in p.relative_to(LAB).parts]
    assert not offenders


def test_the_ui_never_imports_heavy_libraries():
    offenders = {p.name: _imports(p) & set(HEAVY) for p in (LAB / "ui").rglob("*.py") if _imports(p) & set(HEAVY)}
    assert not offenders


def test_every_module_opens_with_a_docstring():
    paths = [*_modules(), LAB.parent / "app.py"]
    missing = [str(p) for p in paths if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing


def test_pure_modules_do_not_import_torch_at_module_level():
    pure = ["config.py", "formats.py", "losses.py", "store.py", "sources.py", "hub.py",
            *(f"cli/{p.name}" for p in (LAB / "cli").glob("*.py"))]
    for name in pure:
        tree = ast.parse((LAB / name).read_text(encoding="utf-8"))
        top = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
        top |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
        assert not top & set(HEAVY), name


def test_trust_remote_code_is_never_enabled():
    for path in _modules():
        enabled = "trust_remote_code=" + "True"  # spelt in two parts so repository greps find only real uses
        assert enabled not in path.read_text(encoding="utf-8").replace(" ", ""), path
