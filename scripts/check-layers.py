#!/usr/bin/env python3
"""Checks that imports in src/ run one way: down the layers, and without cycles.

Reads every `use crate::...`, `use super::...` and inline `crate::...` path of src/ (comments
and docs excluded; `pub use` re-exports and `mod` declarations excluded, since a folder's
mod.rs publishes what its files hold) and checks:

1. Layers: a module never imports from a folder above its own, in this order (lowest first):
   fmt, json, wire, proto, client, handler, driver, sim, fuzz_hook.
2. No cycles between folders, nor between the files of the whole crate.

Exits non-zero with the offending imports. Run from the repository root:
`python3 scripts/check-layers.py`.
"""
import os
import re
import sys

LAYERS = ["fmt", "json", "wire", "proto", "client", "handler", "driver", "sim", "fuzz_hook"]
SRC = "src"


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return tuple(rel)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*$", "", line) for line in text.split("\n"))


def use_trees(text):
    """The paths of every non-`pub` `use` item (groups expanded)."""
    out = []
    for m in re.finditer(r"(^|[;{}\n])\s*(pub(\([^)]*\))?\s+)?use\s+([^;]+);", text):
        if m.group(2):
            continue
        out.extend(expand(m.group(4).replace("\n", " ").replace(" ", "")))
    return out


def expand(tree):
    """`a::{b,c::{d,e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    i = tree.find("{")
    if i < 0:
        return [tree]
    prefix, inner = tree[:i], tree[i + 1 : tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    return [p for part in parts if part for p in expand(prefix + part)]


def main():
    files = []
    for root, _, names in os.walk(SRC):
        files += [os.path.join(root, n) for n in names if n.endswith(".rs")]
    modules = {module_of(f): f for f in files}
    # Root re-exports: `crate::Client` is `crate::client::...`.
    lib = strip_comments(open(os.path.join(SRC, "lib.rs")).read())
    reexports = {}
    for m in re.finditer(r"pub\s+use\s+([^;]+);", lib):
        for path in expand(m.group(1).replace("\n", " ").replace(" ", "")):
            parts = path.split("::")
            reexports[parts[-1]] = tuple(parts[:-1])

    def resolve(frm, path):
        parts = path.split("::")
        if parts[0] == "crate":
            parts = parts[1:]
            if parts and parts[0] in reexports:
                parts = list(reexports[parts[0]]) + parts[1:]
        elif parts[0] == "super":
            # `super` of a file `a/b.rs` is `a`; of `a/b/mod.rs`, also `a`.
            base = list(frm)
            while parts and parts[0] == "super":
                base = base[:-1]
                parts = parts[1:]
            parts = base + parts
        elif parts[0] == "self":
            parts = list(frm) + parts[1:]
        else:
            return None
        # The longest prefix that is a module of the crate.
        for n in range(len(parts), -1, -1):
            if tuple(parts[:n]) in modules:
                return tuple(parts[:n])
        return None

    edges = {}
    for mod, path in modules.items():
        text = strip_comments(open(path).read())
        # `#[cfg(test)]` modules may use anything.
        cut = text.find("#[cfg(test)]\nmod tests")
        if cut >= 0:
            text = text[:cut]
        paths = use_trees(text)
        paths += re.findall(r"(?<![\w:])crate(?:::\w+)+", text)
        for p in paths:
            target = resolve(mod, p)
            if target is None or target == mod or target == ():
                continue
            # A file may use its own folder's mod.rs (the type it extends) and its children.
            edges.setdefault(mod, {}).setdefault(target, p)

    problems = []
    rank = {name: i for i, name in enumerate(LAYERS)}
    for frm, targets in edges.items():
        for to, example in targets.items():
            a, b = frm[0] if frm else "", to[0] if to else ""
            if a in rank and b in rank and rank[b] > rank[a]:
                problems.append(f"layer: {'::'.join(frm)} uses {example} ({b} is above {a})")

    def cycles(graph):
        found, state, stack = [], {}, []

        def visit(n):
            state[n] = 1
            stack.append(n)
            for m in graph.get(n, ()):
                if state.get(m) == 1:
                    found.append(stack[stack.index(m) :] + [m])
                elif m not in state:
                    visit(m)
            stack.pop()
            state[n] = 2

        for n in list(graph):
            if n not in state:
                visit(n)
        return found

    folders = {}
    for frm, targets in edges.items():
        for to in targets:
            if frm and to and frm[0] != to[0]:
                folders.setdefault(frm[0], set()).add(to[0])
    for c in cycles(folders):
        problems.append("folder cycle: " + " -> ".join(c))
    file_graph = {frm: set(t) for frm, t in edges.items()}
    for c in cycles(file_graph):
        problems.append("module cycle: " + " -> ".join("::".join(m) or "crate" for m in c))

    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"layers ok: {len(modules)} modules, {sum(len(t) for t in edges.values())} imports")


if __name__ == "__main__":
    main()
