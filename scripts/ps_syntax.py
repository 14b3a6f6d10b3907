"""Syntax check of every PowerShell file in the collection (pwsh cannot run on this platform).

tree-sitter-powershell parses each .ps1/.psm1; a parse error fails the run and names the file,
line and column. Known false positives of the grammar (lab-recipes §8) are avoided in our code
rather than allow-listed.
"""
import pathlib
import sys

import tree_sitter_powershell
from tree_sitter import Language, Parser

_ROOT = pathlib.Path(__file__).resolve().parent.parent
_SKIP = {".venv", ".tmp", ".git", ".ansible", "output"}


def _errors(parser, source):
    root = parser.parse(source).root_node
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        kids = node.children
        if node.is_error or node.is_missing or (node.has_error and not any(c.has_error for c in kids)):
            kind = "missing token" if node.is_missing else "syntax error"
            found.append((node.start_point.row + 1, node.start_point.column + 1, kind))
        stack.extend(c for c in kids if c.has_error or c.is_missing)
    return root.has_error, sorted(set(found))


def main():
    parser = Parser(Language(tree_sitter_powershell.language()))
    files = sorted(
        p for p in _ROOT.rglob("*.ps*1")
        if p.suffix in (".ps1", ".psm1") and not _SKIP.intersection(p.relative_to(_ROOT).parts)
    )
    bad = 0
    for path in files:
        has_error, found = _errors(parser, path.read_bytes())
        if has_error:
            bad += 1
            for line, col, kind in found or [(1, 1, "syntax error")]:
                print("%s:%d:%d: %s" % (path.relative_to(_ROOT), line, col, kind))
    print("PowerShell syntax: %d file(s) checked, %d with errors" % (len(files), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
