"""House rules that keep the data flow readable: the import graph of lab/ has no cycle and no upward import
(imports inside functions included), only the UI imports gradio and only through service, every module says
what it is for, no file grows past ~300 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent / "lab"
HEAVY = ("torch", "sentence_transformers", "datasets", "transformers", "umap", "mteb", "sklearn")
MAX_LINES = 300

# The layers of lab/, bottom to top. A module may import its own package and anything in a lower layer; two
# entries of one layer never import each other. (README.md, "How it is built", draws the same order.)
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "events", "formats", "host", "projection"),
    ("knobs",),
    ("sources",),
    ("upload",),
    ("models",),
    ("negatives", "losses"),
    ("recipes",),
    ("config",),
    ("store",),
    ("evaluation",),
    ("views",),
    ("training",),
    ("pipelines",),
    ("jobs",),
    ("charts",),
    ("service",),
    ("cli", "ui"),
    ("__main__",),
)
# The UI's only doors: the service facade and the pure chart builders.
UI_MAY_IMPORT = ("service", "charts", "ui")
# A function-level import of a lab module must say why it is not at the top: it keeps a heavy library out of
# a process that does not need it. This word on the line (or the comment line above) says so.
LAZY_MARK = "lazy:"


def module_name(path: Path, root: Path = LAB) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_edges(root: Path = LAB) -> list[tuple[str, str, int, bool, Path]]:
    """(importer, imported lab module, line, inside a function?, file) for every import of a lab module under
    `root`, resolved to the deepest module that exists (`from lab.x import name` → lab.x, or lab.x.name if it is a
    module)."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        inner = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                 for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [*(f"{base}.{a.name}" for a in node.names), base]
            else:
                continue
            # `from lab.pkg import sub` runs lab/pkg/__init__.py first: an edge to the package too
            resolved = {resolve(t) for t in targets if t.split(".")[0] == root.name} - {None, name, root.name}
            edges += [(name, r, node.lineno, id(node) in inner, path) for r in sorted(resolved)]
    return edges


def cycles(edges) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b, *_ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _where(module: str, path: Path) -> str:
    return module.replace(".", "/") + ("/__init__.py" if path.name == "__init__.py" else ".py")


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, layer in enumerate(LAYERS):
        if top in layer:
            return rank
    raise KeyError(f"{module} is in no layer: add it to LAYERS (and to README's 'How it is built')")


def upward(edges) -> list[str]:
    out = []
    for a, b, line, _, path in edges:
        same_package = a.split(".")[:2] == b.split(".")[:2]
        if not same_package and layer_of(b) >= layer_of(a):
            out.append(f"{_where(a, path)}:{line} {a} → {b}")
    return out


def unexplained_lazy(edges) -> list[str]:
    out = []
    for a, b, line, inner, path in edges:
        if not inner:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if LAZY_MARK not in lines[line - 1] and LAZY_MARK not in lines[line - 2]:
            out.append(f"{_where(a, path)}:{line} {a} → {b}")
    return out


def test_the_import_graph_has_no_cycle():
    assert cycles(import_edges()) == []


def test_no_module_imports_upward_or_across_its_layer():
    assert upward(import_edges()) == []


def test_every_module_is_in_a_layer():
    for path in LAB.rglob("*.py"):
        if path.parent != LAB or path.name != "__init__.py":
            layer_of(module_name(path))


def test_function_level_imports_of_lab_modules_say_why():
    assert unexplained_lazy(import_edges()) == []


def test_a_cycle_added_on_purpose_is_caught(tmp_path):
    """The checks read a tree, so a throwaway tree with a deliberate cycle and an upward import must fail them."""
    root = tmp_path / "lab"
    (root / "service").mkdir(parents=True)
    (root / "__init__.py").write_text('"""x"""\n')
    (root / "config.py").write_text('"""x"""\nfrom lab.store import RunStore\n')
    (root / "store.py").write_text('"""x"""\ndef load():\n    from lab.config import RunConfig  # lazy: x\n')
    (root / "service" / "__init__.py").write_text('"""x"""\n')
    (root / "errors.py").write_text('"""x"""\nfrom lab import service\n')
    edges = import_edges(root)
    assert cycles(edges) == [["lab.config", "lab.store"]]
    assert any("lab.config → lab.store" in e for e in upward(edges))  # config sits below store
    assert any("lab.errors → lab.service" in e for e in upward(edges))


def test_an_unexplained_function_level_import_is_caught(tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    (root / "errors.py").write_text('"""x"""\n')
    (root / "store.py").write_text('"""x"""\ndef f():\n    from lab.errors import ConfigError\n')
    assert len(unexplained_lazy(import_edges(root))) == 1


def test_the_ui_goes_through_service_only():
    offenders = [f"{a} → {b}" for a, b, *_ in import_edges()
                 if a.startswith("lab.ui") and b.split(".")[1] not in UI_MAY_IMPORT]
    assert offenders == []


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


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(LAB)))
def test_no_module_imports_a_heavy_library_at_module_level_unless_it_must(path):
    """The web server imports almost all of lab/ (service, jobs, config…): a heavy import at the top of a module
    would put torch into the page's process. Only the trainer's own seams may (they subclass library classes)."""
    allowed = {"training/callback.py", "training/sampler.py", "training/packing.py",
               "training/dropout.py"}  # reached lazily
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    top |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
    if str(path.relative_to(LAB)) not in allowed:
        assert not top & set(HEAVY)


def test_no_file_is_over_the_line_limit():
    long = {str(p.relative_to(LAB)): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines()))
            > MAX_LINES}
    assert long == {}


def test_trust_remote_code_is_never_enabled():
    for path in _modules():
        enabled = "trust_remote_code=" + "True"  # spelt in two parts so repository greps find only real uses
        assert enabled not in path.read_text(encoding="utf-8").replace(" ", ""), path


def readme_modules(readme: str) -> set[str]:
    """The modules README's "How it is built" block names, as paths under lab/ ("upload/read.py", "config.py")."""
    block = readme.split("## How it is built", 1)[1].split("```", 2)[1]
    names, package, package_indent, inside = set(), "", -1, False
    for line in block.splitlines():
        indent, tokens = len(line) - len(line.lstrip()), line.split()
        if not tokens:
            continue
        if tokens[0] == "lab/":
            inside = True
            continue
        if inside and indent == 0:
            break
        if not inside:
            continue
        if tokens[0].endswith("/"):
            package, package_indent = tokens[0][:-1], indent
        elif indent <= package_indent:
            package, package_indent = "", -1
        for name in re.findall(r"\b([a-z0-9_]+\.py)\b", line):
            names.add(f"{package}/{name}" if package else name)
    return names


def test_the_readme_lists_every_module_of_the_tree():
    tree = {str(p.relative_to(LAB)) for p in LAB.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    listed = readme_modules((LAB.parent / "README.md").read_text(encoding="utf-8"))
    assert sorted(tree - listed) == [] and sorted(listed - tree) == []
