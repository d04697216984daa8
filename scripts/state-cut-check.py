"""Checks one power-cut trial of the state store (scripts/qemu-state-faults.sh): from the
first boot's log, the operations begun and finished before the cut; from the second
boot's, what each path held. Every path must hold what the finished operations left, or
what the interrupted one would have (all paths at once, one or the other), and the second
boot must not have formatted the store. Prints a one-line summary; exit 1 on a mismatch.

Usage: state-cut-check.py CUT_LOG CHECK_LOG
"""
import re
import sys


def main():
    cut, check = (open(p, encoding="utf-8", errors="replace").read() for p in sys.argv[1:3])
    begun = {}
    done = -1
    for m in re.finditer(r"^churn: begin (\d+) (write|remove) (\S+) (\d+)$", cut, re.M):
        begun[int(m.group(1))] = (m.group(2), m.group(3))
    for m in re.finditer(r"^churn: done (\d+)$", cut, re.M):
        done = max(done, int(m.group(1)))
    if done < 0:
        sys.exit("no operation finished before the cut")
    paths = {p for _, p in begun.values()}

    def state(upto):
        held = {}
        for n in range(upto + 1):
            kind, path = begun[n]
            if kind == "write":
                held[path] = n
            else:
                held.pop(path, None)
        return held

    before = state(done)
    after = state(done + 1) if done + 1 in begun else before
    found = {}
    for m in re.finditer(r"^churn: found (\S+) (v(\d+)|absent)$", check, re.M):
        if m.group(3) is not None:
            found[m.group(1)] = int(m.group(3))
    if "SELFTEST: state cut check ok" not in check:
        sys.exit("the second boot did not check the store")
    if re.search(r"^statefsd: formatted", check, re.M):
        sys.exit("the second boot formatted the store: everything was lost")
    found = {p: v for p, v in found.items() if p in paths}
    if found == before:
        which = "the interrupted operation absent" if after != before else "no operation interrupted"
    elif found == after:
        which = "the interrupted operation whole"
    else:
        sys.exit(f"after the cut after operation {done} the store holds {found}, "
                 f"expected {before} or {after}")
    print(f"cut after operation {done}: {len(found)} files whole, {which}")


if __name__ == "__main__":
    main()
