#!/usr/bin/env python3
"""Per-phase breakdown for make bench: where a run's time goes.

    phases.py TITLE FILE...

Each FILE is one run: the runner's step trace (CODEX_SANDBOX_TRACE lines,
"cs-trace step=NAME ms=D start=EPOCH status=..."), plus lines the bench adds:
    launch EPOCH     the bench started the command
    end EPOCH        it returned
    mark NAME EPOCH  something seen elsewhere (the command's first
                     instruction, a request at the model server)
All times are wall clock in seconds (one machine, one clock).  The run is
cut at every step start/end and mark into consecutive intervals; each is
named after the step it falls in ("STEP", or "STEP → MARK" / "MARK → STEP
end" when a mark splits it) or "runner between steps" / "before the first
step" / "after the last step".  Prints one table: each interval's median
over the runs, in the order they happen, and its share of the total.
"""
import statistics
import sys


def load(path):
    steps, marks, launch, end = [], [], None, None
    with open(path) as fh:
        for line in fh:
            w = line.split()
            if not w:
                continue
            if w[0] == "cs-trace":
                kv = dict(x.split("=", 1) for x in w[1:] if "=" in x)
                s = float(kv["start"])
                steps.append((kv["step"], s, s + float(kv["ms"]) / 1000))
            elif w[0] == "launch":
                launch = float(w[1])
            elif w[0] == "end":
                end = float(w[1])
            elif w[0] == "mark":
                marks.append((" ".join(w[1:-1]), float(w[-1])))
    # The steps run one after the other; a duration printed to 0.1 ms can
    # overrun the next start by a hair: end each step by the next start.
    steps.sort(key=lambda st: st[1])
    steps = [(n, s, min(e, steps[i + 1][1]) if i + 1 < len(steps) else e)
             for i, (n, s, e) in enumerate(steps)]
    return steps, marks, launch, end


def intervals(steps, marks, launch, end):
    """[(label, seconds)] covering launch..end."""
    cuts = [(launch, "launch")]
    for name, s, e in steps:
        cuts += [(s, ("start", name)), (e, ("end", name))]
    cuts += [(t, ("mark", n)) for n, t in marks]
    cuts.append((end, "end"))
    cuts.sort(key=lambda c: c[0])
    out, inside, last_mark = [], None, None
    for (t0, c0), (t1, c1) in zip(cuts, cuts[1:]):
        if isinstance(c0, tuple) and c0[0] == "start":
            inside, last_mark = c0[1], None
        if isinstance(c0, tuple) and c0[0] == "mark":
            last_mark = c0[1]
        if isinstance(c0, tuple) and c0[0] == "end" and c0[1] == inside:
            inside, last_mark = None, None
        nxt = c1[1] if isinstance(c1, tuple) and c1[0] == "mark" else None
        if inside:
            label = inside
            if last_mark:
                label = "%s: %s → %s" % (inside, last_mark, nxt or "step end")
            elif nxt:
                label = "%s → %s" % (inside, nxt)
        elif c0 == "launch":
            label = "runner start, plan (before the first step)" if not nxt else "start → " + nxt
        elif c1 == "end":
            label = "exit (after the last step)" if not last_mark else last_mark + " → exit"
        elif last_mark:
            label = last_mark + " → " + (nxt or "next step")
        else:
            label = "runner between steps" if not nxt else "→ " + nxt
        out.append((label, t1 - t0, t0 - launch))
    return out


def main():
    title, files = sys.argv[1], sys.argv[2:]
    offsets, values, totals = {}, {}, []
    for f in files:
        steps, marks, launch, end = load(f)
        if launch is None or end is None:
            continue
        seen = {}
        for label, sec, at in intervals(steps, marks, launch, end):
            seen[label] = seen.get(label, 0) + sec
            offsets.setdefault(label, []).append(at)
        for label, sec in seen.items():
            values.setdefault(label, []).append(sec * 1000)
        totals.append((end - launch) * 1000)
    if not totals:
        print("%s: no complete run" % title)
        return
    total = statistics.median(totals)
    print("%s (median of %d runs, total %.0f ms)" % (title, len(totals), total))
    print("| phase | ms | share |")
    print("|---|---:|---:|")
    hidden = 0
    # in the order they happen (a label's median offset from the launch)
    for label in sorted(values, key=lambda k: statistics.median(offsets[k])):
        v = values[label]
        # a phase missing from some runs counts 0 there
        v = v + [0.0] * (len(totals) - len(v))
        m = statistics.median(v)
        if m < 0.5:
            hidden += 1
            continue
        print("| %s | %.1f | %.0f%% |" % (label, m, 100 * m / total if total else 0))
    if hidden:
        print("(%d phases with a median under 0.5 ms left out)" % hidden)


main()
