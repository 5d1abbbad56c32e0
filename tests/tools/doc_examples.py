#!/usr/bin/env python3
"""doc_examples.py SAGESHIM TMPDIR: run every example command the
documentation shows - README.md's code blocks, sageshim(1)'s EXAMPLES, and
the example: lines of each subcommand's --help - and report each one that
the command line refuses (a usage error), that crashes, or that hangs.

Paths the examples name are made harmless: ~/, /tmp/ and /opt/ point into
TMPDIR, and `cd DIR && ` is dropped.  Files that do not exist make a command
fail with "cannot read", which is not a usage error: what is checked is
that the words the documentation tells a person to type are accepted.
Prints one line per command ("ok: ..." / "FAIL: ...") and exits 1 when any
failed, 2 when fewer than 10 commands were found (the extraction broke)."""
import os
import re
import subprocess
import sys

SUBCOMMANDS = ("inspect", "abi", "run", "bundle", "doctor")
USAGE_ERRORS = ("usage: sageshim", "unknown option", "unexpected argument", "needs a value",
                "needs the interpreter", "needs a number", "unknown command")


def joined(lines):
    """Lines with trailing backslashes joined."""
    out, cur = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    return out


def is_command(text):
    t = re.sub(r"^cd \S+ && ", "", text.strip())
    return re.match(r"^(build/)?sageshim( |$)", t) is not None


def from_readme(path):
    found = []
    lines = open(path, encoding="utf-8").read().splitlines()
    code = [l for l in lines if re.match(r"^ {4,}\S", l)]
    for line in joined(code):
        text = re.sub(r"\s{2,}#.*$", "", line).strip()
        if is_command(text):
            found.append(("README.md", text))
    return found


def from_man(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^\.SH EXAMPLES\n\.nf\n(.*?)^\.fi", text, re.S | re.M)
    if not m:
        return []
    lines = [l.replace("\\-", "-").replace("\\e", "\\") for l in m.group(1).splitlines()]
    return [(os.path.basename(path), l.strip()) for l in joined(lines) if is_command(l)]


def from_help(sageshim):
    found = []
    for sub in SUBCOMMANDS:
        out = subprocess.run([sageshim, sub, "--help"], capture_output=True, text=True,
                             timeout=20).stdout
        if "example:\n" not in out:
            continue
        block = out.split("example:\n", 1)[1].splitlines()
        for line in joined(block):
            if is_command(line):
                found.append(("sageshim %s --help" % sub, line.strip()))
    return found


def runnable(text, sageshim, tmp, build):
    """The command to run, and whether every file it names exists (then it
    must succeed): README's build/sageshim examples run in the source tree."""
    if text.startswith("build/"):
        text = re.sub(r"(^| )build/", lambda m: m.group(1) + build + "/", text)
        names = [w for w in text.split()[2:] if "/" in w]
        return text, bool(names) and all(os.path.exists(w) for w in names)
    text = re.sub(r"^cd \S+ && ", "", text)
    text = re.sub(r"^(build/)?sageshim", sageshim, text)
    text = text.replace("~/", tmp + "/home/").replace("/tmp/", tmp + "/")
    return text.replace("/opt/", tmp + "/opt/"), False


def check(command, cwd, env, must_succeed):
    """None when the command is accepted, else why not."""
    try:
        r = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "did not finish in 60 s"
    refused = [e for e in USAGE_ERRORS if e in r.stderr]
    if refused:
        return "usage error: " + r.stderr.strip().splitlines()[0]
    if r.returncode >= 128 or r.returncode < 0 or (must_succeed and r.returncode != 0):
        return "status %d: %s" % (r.returncode, r.stderr.strip()[-300:])
    return None


def main():
    sageshim, tmp = sys.argv[1], sys.argv[2]
    os.makedirs(tmp + "/home", exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    examples = (from_readme(os.path.join(root, "README.md"))
                + from_man(os.path.join(root, "man", "sageshim.1")) + from_help(sageshim))
    env = dict(os.environ, HOME=tmp + "/home", SAGESHIM_CONF=tmp + "/empty.conf")
    env.pop("LD_PRELOAD", None)
    open(tmp + "/empty.conf", "w").close()
    build = os.path.abspath(os.environ.get("BUILD") or "build")
    # The checker itself must see a refusal.
    if check(sageshim + " doctor --no-such-option", tmp, env, False) is None:
        print("FAIL: a usage error was not recognized")
        return 1
    failed = 0
    for where, text in examples:
        command, must_succeed = runnable(text, sageshim, tmp, build)
        why = check(command, root if text.startswith("build/") else tmp, env, must_succeed)
        print("%s: %s: %s%s" % ("FAIL" if why else "ok", where, text,
                                " (" + why + ")" if why else ""))
        failed += why is not None
    if len(examples) < 10:
        print("only %d example commands found" % len(examples))
        return 2
    return 1 if failed else 0


sys.exit(main())
