#!/usr/bin/env python3
"""Docs check (ctest "docs_check"): every flag, metric name and file name
that the user documentation quotes must exist in the binaries and the tree.

  flags    Each `--flag` in a code span, code block or flag table. Where a
           command line names one of our binaries in command position
           (`vgpuctl plan --layout x`, `... -- vgpuctl discover`), the flag
           must be one that binary (for vgpuctl: that subcommand) lists in
           its --help. Elsewhere it must be a flag of one of our binaries or
           of a tool in EXTERNAL_FLAGS (helm, kubectl, ...).
  metrics  Each `vgpu_device_plugin_*` name, and each row of a metrics table
           (`| name | gauge | ...`), must be a string the daemon binary holds
           (histogram suffixes _bucket/_sum/_count stripped), or, where an
           optimizing build keeps no such literal, one our sources spell.
  files    Each repository path (`deploy/...`, `docs/...`, a markdown link)
           must exist; each CDI spec file name must be one the daemon writes
           (the golden specs under test/testdata/golden/cdi/, which the golden
           test compares with the real writer) or the documented pattern; each
           file of our state directory must be a name a binary holds.

Usage: docs_check.py --source-dir DIR --bin PATH... [--bench PATH...]
Without --bench (benchmarks not built) the benchmarks' flags are read from
their ABSL_FLAG definitions in bench/*.cc.
Exit 0 when everything matches, 1 with one line per mismatch.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

PREFIX = "vgpu_device_plugin_"

# Flags of other tools that the docs show in their own command lines.
EXTERNAL_FLAGS = {
    "--set", "--set-string", "--namespace", "--values", "--reuse-values",
    "--create-namespace", "--version", "--strict", "--set-file",
    "--install",  # helm
    "--platform", "--build-arg",  # docker
    "--tail", "--since", "--show-labels", "--selector", "--context",
    "--output", "--all-namespaces", "--for", "--timeout",  # kubectl
    "--feature-gates", "--root-dir",  # kubelet
    "--dumpjson", "--auto", "--show-depends", "--parent", "--type",
    "--uuid", "--defined", "--persistent",  # mdevctl, modprobe -D
    "--variant",  # debootstrap
    "--test-dir", "--output-on-failure", "--label-regex",  # ctest
    "--no-install-recommends", "--privileged",
    "--build", "--target",  # cmake
    "--help",
}
# Placeholders the docs use when they talk about flags in general, and the
# unknown flag of the documented "bad usage" error.
PLACEHOLDER_FLAGS = {"--flag", "--frob"}

DOCS = ["README.md", "docs/*.md", "charts/vgpu-device-plugin/README.md",
        "charts/vgpu-device-plugin/templates/NOTES.txt"]
# Developer pages may name sources and tests; user pages may not, but every
# page's flags, metrics and file names are checked.
METRIC_SOURCES = ["monitoring/*.yaml", "monitoring/*.json",
                  "deploy/optional/*.yaml"]
REPO_DIRS = ("docs", "deploy", "charts", "monitoring", "scripts", "test",
             "bench", "fuzz", "cmd", "pkg", "proto", "cmake")
STATE_DIRS = ("/var/lib/vgpu-device-plugin/",)
# Pages for users: they speak of commands, keys and files, not of our code.
USER_PAGES = {"docs/install.md", "docs/configuration.md", "docs/kata.md",
              "docs/kata-node-guide.md", "docs/troubleshooting.md",
              "docs/vgpuctl.md", "docs/observability.md",
              "docs/vgpu-layouts.md", "charts/vgpu-device-plugin/README.md"}
CODE_IDENTIFIER = re.compile(
    r"(?<![\w./-])(?:pkg|cmd|fuzz)/[A-Za-z0-9_./-]+|(?<![\w./-])test/[a-z]+/[A-Za-z0-9_./-]+\.cc"
    r"|\b(?:vgpu|kata|layout|deviceplugin|inventory|config|coldplug|sysfs|"
    r"simhost|daemon|metrics|resources|kubelet|base|doctor)::\w+"
    r"|\b[A-Z][A-Za-z]+Test\.[A-Z]\w+")
SEPARATORS = re.compile(r"\|\||&&|[|;]|\$\(|`| -- ")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9_-]*")


def run_help(argv):
    p = subprocess.run(argv + ["--help"], capture_output=True, text=True,
                       timeout=30)
    return p.stdout + p.stderr


def flags_in(text):
    return {f.replace("_", "-") for f in FLAG.findall(text)}


def vgpuctl_commands(path):
    text = run_help([path])
    cmds = []
    in_cmds = False
    for line in text.splitlines():
        if line.strip().startswith("commands:"):
            in_cmds = True
            continue
        if in_cmds:
            m = re.match(r"^\s+([a-z][a-z-]*)\s", line)
            if not m:
                if line.strip():
                    in_cmds = False
                continue
            cmds.append(m.group(1))
    return cmds


class Binaries:
    def __init__(self, bins, benches):
        self.flags = {}  # name -> set, "vgpuctl plan" -> set
        self.blobs = []  # the binaries' bytes, searched for string literals
        self.source_literals = set()  # string literals of pkg/ and cmd/
        self.names = set()
        for path in bins + benches:
            name = os.path.basename(path)
            self.names.add(name)
            self.flags[name] = flags_in(run_help([path]))
            if name == "vgpuctl":
                for cmd in vgpuctl_commands(path):
                    self.flags[f"vgpuctl {cmd}"] = flags_in(
                        run_help([path, cmd]))
            if path in bins:
                with open(path, "rb") as f:
                    self.blobs.append(f.read())
        self.bench_names = {os.path.basename(p) for p in benches}
        self.all_flags = set().union(*self.flags.values())

    def knows(self, flag, flags):
        if flag in flags:
            return True
        # absl booleans: --nojson, --no-json.
        m = re.match(r"--no-?(.*)", flag)
        return bool(m) and f"--{m.group(1)}" in flags

    def holds_prefix(self, prefix):
        if any(x.startswith(prefix) for x in self.source_literals):
            return True
        needle = b"\x00" + prefix.encode()
        return any(needle in blob for blob in self.blobs)

    def holds(self, literal):
        """Whether a binary holds `literal` as a whole NUL-terminated string
        (possibly as the tail the linker shares with a longer one), or, since
        an optimizing compiler may build a short std::string from immediates
        instead of a stored literal, whether our sources spell it as one."""
        if literal in self.source_literals:
            return True
        needle = literal.encode() + b"\x00"
        for blob in self.blobs:
            at = blob.find(needle)
            while at >= 0:
                before = blob[at - 1:at]
                if not (before.isalnum() or before == b"_"):
                    return True
                at = blob.find(needle, at + 1)
        return False


def code_texts(text):
    """Yields (line number, text) of code spans, code block lines and
    table rows."""
    in_block = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            yield n, line, True
            continue
        for m in re.finditer(r"`([^`]+)`", line):
            yield n, m.group(1), True
        if line.startswith("|"):
            yield n, line, False


COMMAND_PREFIXES = {"sudo", "env", "exec", "nice", "time", "timeout"}


def commands(text, binaries):
    """(context, rest) for each of our binaries in command position."""
    for seg in SEPARATORS.split(text):
        words = seg.split()
        i = 0
        while i < len(words) and (re.match(r"^[A-Z_][A-Z0-9_]*=", words[i])
                                  or words[i] in COMMAND_PREFIXES
                                  or re.match(r"^\d+s?$", words[i])):
            i += 1
        if i >= len(words):
            continue
        name = os.path.basename(words[i])
        if name not in binaries.names and name not in binaries.bench_names:
            continue
        rest = words[i + 1:]
        if name == "vgpuctl" and rest and f"vgpuctl {rest[0]}" in binaries.flags:
            yield f"vgpuctl {rest[0]}", " ".join(rest[1:])
        else:
            yield name, " ".join(rest)


def check_flags(rel, text, binaries, problems):
    known_any = binaries.all_flags | EXTERNAL_FLAGS | PLACEHOLDER_FLAGS
    for n, code, is_code in code_texts(text):
        checked = set()
        if is_code:
            for ctx, rest in commands(code, binaries):
                for flag in flags_in(rest):
                    checked.add(flag)
                    if flag in PLACEHOLDER_FLAGS:
                        continue
                    if not binaries.knows(flag, binaries.flags.get(ctx, set())):
                        problems.append(
                            f"{rel}:{n}: `{ctx}` has no flag {flag}")
        for flag in flags_in(code) - checked:
            if not binaries.knows(flag, known_any):
                problems.append(f"{rel}:{n}: flag {flag} is not a flag of "
                                "our binaries nor of a known tool")


def metric_names(rel, text):
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"(?<![\w])" + PREFIX + r"[a-z0-9_]*[a-z0-9_]", line):
            # `vgpu_device_plugin_vgpu_layout_*`: a family named by prefix.
            if line[m.end():m.end() + 1] == "*":
                yield n, m.group(0) + "*"
            else:
                yield n, m.group(0).rstrip("_")
        row = re.match(r"^\|\s*`([a-z_][a-z0-9_]*)`\s*\|\s*(gauge|counter|"
                       r"histogram|summary)\s*\|", line)
        if row:
            name = row.group(1)
            if not name.startswith(PREFIX) and not name.startswith("process_"):
                name = PREFIX + name
            yield n, name


def check_metrics(rel, text, binaries, problems):
    for n, name in metric_names(rel, text):
        if name.endswith("*"):
            if not binaries.holds_prefix(name[:-1]):
                problems.append(f"{rel}:{n}: no metric of the daemon starts with "
                                f"{name[:-1]}")
            continue
        if binaries.holds(name):
            continue
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base != name and binaries.holds(base):
            continue
        problems.append(f"{rel}:{n}: metric {name} is not exported by the "
                        "daemon")


def check_files(root, rel, text, binaries, problems, cdi_names):
    here = os.path.dirname(os.path.join(root, rel))
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", line):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue
            if not os.path.exists(os.path.normpath(os.path.join(here, target))):
                problems.append(f"{rel}:{n}: link to missing file {target}")
        for m in re.finditer(r"(?<![\w./-])((?:%s)/[A-Za-z0-9_.*/-]+)" %
                             "|".join(REPO_DIRS), line):
            path = m.group(1).rstrip(".")
            if "<" in line[m.end():m.end() + 1]:
                continue
            # A program is named by its source: bench/daemon_bench.
            if not glob.glob(os.path.join(root, path)) and \
               not os.path.exists(os.path.join(root, path + ".cc")):
                problems.append(f"{rel}:{n}: no such file in the tree: {path}")
        for m in re.finditer(r"vgpu-device-plugin_[A-Za-z0-9_.<>*-]*\.(json|yaml)",
                             line):
            name = m.group(0)
            if name.startswith("vgpu-device-plugin_<vendor>_<class>.") or \
               name in ("vgpu-device-plugin_*.json", "vgpu-device-plugin_*.yaml"):
                continue
            if name not in cdi_names:
                problems.append(f"{rel}:{n}: CDI spec file {name} is not a "
                                "name the daemon writes")
        for d in STATE_DIRS:
            for m in re.finditer(re.escape(d) + r"([A-Za-z0-9_.-]+)", line):
                if not binaries.holds(m.group(1)):
                    problems.append(f"{rel}:{n}: {d}{m.group(1)}: no binary "
                                    "writes or reads that file")


def check_user_page(rel, text, problems):
    """User pages name no source files, classes or tests of ours."""
    if rel not in USER_PAGES:
        return
    for n, line in enumerate(text.splitlines(), 1):
        for m in CODE_IDENTIFIER.finditer(line):
            problems.append(f"{rel}:{n}: code identifier {m.group(0)} in a "
                            "user page")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--bin", nargs="+", required=True)
    ap.add_argument("--bench", nargs="*", default=[])
    ap.add_argument("--pages", nargs="*", default=DOCS,
                    help="pages to check (globs under --source-dir)")
    ap.add_argument("--user-page", action="append", default=[],
                    help="also treat this page as a user page")
    ap.add_argument("--expect", help="file holding exactly the problem lines "
                    "the pages must give (a test of this check)")
    args = ap.parse_args()
    USER_PAGES.update(args.user_page)
    root = args.source_dir
    binaries = Binaries(args.bin, args.bench)
    for pattern in ("pkg/**/*.cc", "pkg/**/*.h", "cmd/**/*.cc"):
        for src in glob.glob(os.path.join(root, pattern), recursive=True):
            with open(src, encoding="utf-8") as f:
                # Adjacent literals are one string: "a_" "b" is "a_b".
                text = re.sub(r'"\s*\n\s*"', "", f.read())
                binaries.source_literals.update(
                    re.findall(r'"([^"\\\n]*)"', text))
    if not args.bench:
        for src in glob.glob(os.path.join(root, "bench/*.cc")):
            with open(src, encoding="utf-8") as f:
                names = re.findall(r"ABSL_FLAG\([^,]+,\s*([a-z0-9_]+)", f.read())
            name = os.path.basename(src)[:-3]
            binaries.names.add(name)
            binaries.flags[name] = {"--" + n.replace("_", "-") for n in names}
            binaries.flags[name].add("--help")
        binaries.all_flags = set().union(*binaries.flags.values())
    cdi_names = {os.path.basename(p) for p in
                 glob.glob(os.path.join(root, "test/testdata/golden/cdi/*/*"))}
    problems = []
    files = sorted({f for pat in args.pages
                    for f in glob.glob(os.path.join(root, pat))})
    metric_sources = METRIC_SOURCES if args.pages == DOCS else []
    for path in files:
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        check_flags(rel, text, binaries, problems)
        check_metrics(rel, text, binaries, problems)
        check_files(root, rel, text, binaries, problems, cdi_names)
        check_user_page(rel, text, problems)
    for pat in metric_sources:
        for path in sorted(glob.glob(os.path.join(root, pat))):
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as f:
                check_metrics(rel, f.read(), binaries, problems)
    for p in problems:
        print(p)
    print(f"docs_check: {len(files)} pages, {len(problems)} problems")
    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            want = [l for l in f.read().splitlines() if l]
        if problems != want:
            print("docs_check: the problems above differ from " + args.expect)
            return 1
        return 0
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
