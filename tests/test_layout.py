"""Apps depend downwards: `web` and `api` import `booking` and `ngo`, never the other way round, and the
domain apps hold no pages of their own (DESIGN.md, section 2)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("booking", "ngo", "notifications")
FRONT_DOORS = {"web", "api"}


def imported_modules(path):
    """Every absolute module a Python file imports, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_domain_apps_never_import_the_front_doors(app):
    offending = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / app).rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FRONT_DOORS
    )
    assert offending == []


@pytest.mark.parametrize("app", ["booking", "ngo"])
def test_domain_apps_hold_no_pages(app):
    pages = sorted(
        str(path.relative_to(ROOT))
        for name in ("views", "views.py", "urls.py", "forms.py", "templates", "templatetags", "static")
        if (path := ROOT / app / name).exists()
    )
    assert pages == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The import check reads `import x`, `from x import y` and imports inside functions."""
    module = tmp_path / "module.py"
    module.write_text("import os\nfrom web.week import monday_of\n\ndef f():\n    import api.views\n")
    assert [m for m in imported_modules(module) if m.split(".")[0] in FRONT_DOORS] == ["web.week", "api.views"]


def test_ngo_never_imports_booking():
    """`booking` builds on `ngo` (organisations and people); the other way round would be a cycle."""
    offending = sorted(f"{path.relative_to(ROOT)} imports {module}" for path in (ROOT / "ngo").rglob("*.py")
                       for module in imported_modules(path) if module.split(".")[0] == "booking")
    assert offending == []


def readme_layout_row(folder):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return next(line for line in readme.splitlines() if line.startswith(f"| `{folder}/` |"))


@pytest.mark.parametrize("folder", ["config", "ngo", "booking", "web", "api", "notifications", "ops"])
def test_the_readme_layout_names_every_module(folder):
    """README's layout table matches the tree: every module of an app is named in its row."""
    row = readme_layout_row(folder)
    modules = sorted(path.name for path in (ROOT / folder).glob("*.py") if path.name not in {"__init__.py", "apps.py"})
    assert [name for name in modules if f"`{name}`" not in row] == []
