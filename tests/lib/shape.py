#!/usr/bin/env python3
"""The code's shape, checked (REQUIREMENTS §2): layers whose includes point
down, backends that never include each other and expose one header, headers
matching files one to one, no include cycle, small files and functions, and
comments that cite only documents in this repository.

TAP on stdout; each failed check lists its offenders as diagnostics.
Usage: tests/lib/shape.py [ROOT]   (ROOT defaults to the repository)"""
import os, re, sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..', '..'))
MAX_FILE_LINES = 700
MAX_FUNC_LINES = 100

# Layer of each folder, bottom up; a file may include its own layer's
# headers and those of lower layers.  docker and e2b share a level but are
# not allowed to see each other.
LAYERS = {'common': 0, 'firewall': 1, 'runner/init': 1, 'runner/core': 2,
          'runner/docker': 3, 'runner/e2b': 3, 'runner': 4}
BACKENDS = {'runner/docker': 'runner/docker/docker.h', 'runner/e2b': 'runner/e2b/e2b.h'}
# Headers that are one file on purpose: inline helpers, no code to hold.
HEADER_ONLY = {'common/util.h'}
# Programs' entry points have no header.
MAINS = {'runner/main.c', 'firewall/main.c', 'runner/init/init.c'}

def sources():
    out = []
    for d in LAYERS:
        full = os.path.join(ROOT, d)
        for f in sorted(os.listdir(full)):
            if f.endswith(('.c', '.h')):
                out.append(d + '/' + f)
    return out

def folder(path):
    return os.path.dirname(path)

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')

def includes(path):
    res = []
    with open(os.path.join(ROOT, path), encoding='utf-8', errors='replace') as fh:
        for n, line in enumerate(fh, 1):
            m = INC.match(line)
            if m:
                res.append((n, m.group(1)))
    return res

results = []
def check(name, bad):
    results.append((name, bad))

files = sources()

# 1. every include points down (or sideways inside a folder)
bad = []
for f in files:
    lf = LAYERS[folder(f)]
    for n, inc in includes(f):
        d = folder(inc)
        if d not in LAYERS:
            bad.append(f'{f}:{n}: includes {inc}, which is in no layer')
        elif LAYERS[d] > lf or (LAYERS[d] == lf and d != folder(f)):
            bad.append(f'{f}:{n}: includes {inc} (layer {d} is not below {folder(f)})')
check('every include points down a layer or stays in its folder', bad)

# 2. a backend is reached only through its one header
bad = []
for f in files:
    for n, inc in includes(f):
        for bdir, pub in BACKENDS.items():
            if folder(inc) == bdir and folder(f) != bdir and inc != pub:
                bad.append(f'{f}:{n}: includes {inc}; outside {bdir} only {pub}')
check('each backend folder exposes one header', bad)

# 3. headers match files one to one
bad = []
for f in files:
    base, ext = os.path.splitext(f)
    if ext == '.h' and f not in HEADER_ONLY and not os.path.exists(os.path.join(ROOT, base + '.c')):
        bad.append(f'{f}: no {base}.c')
    if ext == '.c' and f not in MAINS and not os.path.exists(os.path.join(ROOT, base + '.h')):
        bad.append(f'{f}: no {base}.h')
check('headers match files one to one', bad)

# 4. no include cycle between files (a .c and its .h are one node)
graph = {}
for f in files:
    node = os.path.splitext(f)[0]
    for _, inc in includes(f):
        dep = os.path.splitext(inc)[0]
        if dep != node:
            graph.setdefault(node, set()).add(dep)
bad, state = [], {}
def visit(n, stack):
    state[n] = 1
    for m in sorted(graph.get(n, ())):
        if state.get(m) == 1:
            bad.append(' -> '.join(stack[stack.index(m):] + [m]) if m in stack else f'{n} -> {m}')
        elif not state.get(m):
            visit(m, stack + [m])
    state[n] = 2
for n in sorted(graph):
    if not state.get(n):
        visit(n, [n])
check('no include cycle', bad)

# 5. small files
bad = []
for f in files:
    with open(os.path.join(ROOT, f), encoding='utf-8', errors='replace') as fh:
        n = sum(1 for _ in fh)
    if n > MAX_FILE_LINES:
        bad.append(f'{f}: {n} lines (at most {MAX_FILE_LINES})')
check(f'no file over {MAX_FILE_LINES} lines', bad)

# 6. small functions: the body from the "{" in column 0 to the "}" that
#    closes it (kernel style, as the whole tree is written)
bad = []
for f in files:
    if not f.endswith('.c'):
        continue
    with open(os.path.join(ROOT, f), encoding='utf-8', errors='replace') as fh:
        lines = fh.read().split('\n')
    start = None
    for i, line in enumerate(lines):
        if line == '{':
            start = i
        elif start is not None and line.startswith('}'):
            length = i - start - 1
            if length > MAX_FUNC_LINES:
                sig = lines[start - 1].strip() if start else '?'
                bad.append(f'{f}:{start}: {sig[:60]} is {length} lines (at most {MAX_FUNC_LINES})')
            start = None
check(f'no function over {MAX_FUNC_LINES} lines', bad)

# 7. comments cite documents that are in this repository
bad = []
DOC = re.compile(r'((?:[\w.-]+/)*docs/[\w./-]+\.md)')
# A bare NOTES.md-style name is a citation too: it must say docs/ so the
# reader (and this check) finds it.
BARE = re.compile(r'(?<![/\w-])([A-Z][A-Z0-9-]+\.md)\b')
for f in files:
    with open(os.path.join(ROOT, f), encoding='utf-8', errors='replace') as fh:
        for n, line in enumerate(fh, 1):
            for m in DOC.finditer(line):
                cited = m.group(1)
                if not os.path.exists(os.path.join(ROOT, cited)):
                    bad.append(f'{f}:{n}: cites {cited}, not in this repository')
            for m in BARE.finditer(line):
                if m.group(1) not in ('README.md', 'REQUIREMENTS.md'):
                    bad.append(f'{f}:{n}: cites {m.group(1)} without its path (docs/{m.group(1)}?)')
check('comments cite documents that are in this repository', bad)

print('1..7')  # plan 7
failed = 0
for i, (name, bad) in enumerate(results, 1):
    if bad:
        failed += 1
        print(f'not ok {i} - {name} ({len(bad)})')
        for b in bad:
            print(f'#   {b}')
    else:
        print(f'ok {i} - {name}')
sys.exit(1 if failed else 0)
