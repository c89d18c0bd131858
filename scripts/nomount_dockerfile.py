"""Generate Dockerfile.nomount from Dockerfile.example: the same stages and chef commands for
builders without `RUN --mount` (Docker's legacy builder, `DOCKER_BUILDKIT=0`, and kaniko).

    python3 scripts/nomount_dockerfile.py           # (re)write Dockerfile.nomount
    python3 scripts/nomount_dockerfile.py --check   # exit 1 when it is not what this script makes

What changes, each rule keyed on a stage name or an exact line of Dockerfile.example (a line or a
stage that is not there, or is there twice, stops the script with a message: the rules are then
out of date, never silently skipped):

- The header is this script's own (NOMOUNT_HEADER), plus Dockerfile.example's build-arg entries
  that apply here (KEEP_ARGS; every entry must be in KEEP_ARGS or DROP_ARGS).
- Global ARGs: only PYTHON_IMAGE. No chef-base stage: chef's stages run on PYTHON_IMAGE, natively
  (no BUILDPLATFORM/TARGETPLATFORM here, so no cross-cook).
- chef: the chef.pyz route only (the legacy builder refuses the empty wildcard `COPY chef.py[z]`
  the pip route relies on): `COPY chef.pyz`, and the `pyz)` branch of the example's `RUN` as the
  whole `RUN`. No cache mount: the installers keep no download cache (it would only fill the
  stages' layers, and kaniko's cache repository).
- cook-base, cook-1, cook-2: no mounts, no platform file; the cook stages (only they) declare the
  credential ARGs (CREDENTIAL_ARGS): the installers' URL variables and CHEF_CREDENTIALS_FILE.
- The test stages and the final `FROM runtime` are left out: the legacy builder builds every stage
  before its target, in file order, so the runtime stage is the last one and `--target test`
  needs BuildKit.

Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "Dockerfile.example"
TARGET = ROOT / "Dockerfile.nomount"


class ShapeError(Exception):
    """Dockerfile.example no longer has the shape these rules expect."""


NOMOUNT_HEADER = """\
# chef: Dockerfile.nomount, for Docker's legacy builder (DOCKER_BUILDKIT=0) and kaniko: builders
# without RUN --mount. GENERATED from Dockerfile.example by scripts/nomount_dockerfile.py: edit
# that file (or the script), then run `python3 scripts/nomount_dockerfile.py`.
#
#   python3 scripts/build_pyz.py && cp dist/chef.pyz /path/to/project/   # in chef's checkout
#   DOCKER_BUILDKIT=0 docker build -f Dockerfile.nomount -t myapp .
#   kaniko: --dockerfile Dockerfile.nomount --context dir://... (docs/ci.md)
#
# The same stages and chef commands as Dockerfile.example (planner, cook-1, cook-2, builder,
# runtime) and the same cache behaviour: each dependency layer is rebuilt only when its layer
# recipe changes; source edits, version bumps, README and [tool.*] edits reuse them. What differs:
# - chef comes from chef.pyz in the build context only (no CHEF_FROM=pip: the legacy builder
#   refuses the empty `COPY chef.py[z]` that route needs);
# - no cache mounts: the installers keep no download cache (a dependency add downloads every
#   package of the layer that reruns);
# - no secret mounts: private index credentials come from build args declared only in the cook
#   stages (below), never ENV;
# - chef's stages run on PYTHON_IMAGE natively (no BUILDPLATFORM here: no cross-cook);
# - no test stage: `--target test` needs BuildKit (Dockerfile.example). The legacy builder builds
#   every stage before the target, in file order: the runtime image is the last stage.
#
# Build args (all optional):
"""

CREDENTIALS_HEADER = """\
# Private index credentials (optional; only the cook stages see them, the runtime image never):
#   CHEF_CREDENTIALS_FILE  the path of a netrc file the builder sees but does not snapshot: with
#                          kaniko, a secret mounted into the executor (kaniko leaves mounted
#                          volumes and /kaniko out of every layer); the ARG holds a path, not a
#                          secret. Docker's legacy builder has no such file: use the variables.
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, UV_INDEX_URL, UV_EXTRA_INDEX_URL
#                          the installers' own variables, with the credentials as userinfo
#                          (https://USER:TOKEN@host/simple); chef cook hands them to the installer
#                          through a private netrc, and the recipe's index URLs still decide where
#                          packages come from. The cost (docs/docker.md, "Builders without RUN
#                          --mount"): their values are in the cook stages' image history on the
#                          build machine (never pushed, not in the runtime image), and a new value
#                          reruns the cook steps.
"""

# Dockerfile.example's "Build args" entries: kept here, or left out (they do not apply).
KEEP_ARGS = ("PYTHON_IMAGE", "CHEF_INSTALLER", "CHEF_PREPARE_ARGS", "CHEF_LAYERS",
             "CHEF_HEAVY_SIZE", "PROJECT_VERSION", "CHEF_COOK_ARGS")
DROP_ARGS = ("BUILD_PYTHON_IMAGE", "CHEF_COOK_PLATFORM", "CHEF_FROM", "CHEF_SPEC", "CHEF_TEST_ARGS")
# Entries whose text here must differ from the example's.
ARG_TEXT: Dict[str, str] = {
    "PYTHON_IMAGE": ("#   PYTHON_IMAGE        the image every stage runs on, and the runtime "
                     "image's base\n"),
}

CREDENTIAL_ARGS = """\
# Private index credentials, if any (header): declared in the cook stages only, never ENV.
ARG CHEF_CREDENTIALS_FILE
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG UV_INDEX_URL
ARG UV_EXTRA_INDEX_URL
"""

CHEF_STAGE_COMMENT = """\
# --- chef: chef.pyz from the build context --------------------------------------------------------
# Unpacked, and its bytecode compiled once here by the image's python3 (a zipapp compiles every
# module it imports on every run, ~0.2 s a command); `chef` runs it with that python3. uv, when it
# is the installer, comes from the package index into a venv of its own (/opt/chef). No chef.pyz in
# the build context: the COPY fails (copy dist/chef.pyz next to the Dockerfile).
"""

BUILDER_COMMENT = """\
# install-project exports the files it added to the venv (the project's package, its dist-info and
# entry-point scripts) to /chef/out/project: with the project's files, the runtime image's only
# layers that a source edit, a version bump or a [tool.*] edit makes new.
"""

# Stages of Dockerfile.example, in order, grouped by the `# --- ` banner each group starts with.
EXPECTED_SECTIONS: Tuple[Tuple[str, ...], ...] = (
    ("chef-base",), ("chef",), ("planner",), ("cook-base", "cook-1", "cook-2"), ("builder",),
    ("runtime",), ("planner-test", "cook-test", "test"), ("",),
)
# Exact lines replaced wherever they are (each must occur exactly once in what is kept).
LINE_RULES: Dict[str, List[str]] = {
    # chef: the pyz route only
    "ARG CHEF_FROM": [],
    "ARG CHEF_SPEC=chef": [],
    "ENV PIP_DISABLE_PIP_VERSION_CHECK=1": [
        "# No cache mount here: no download cache either (it would only fill the stages' layers).",
        "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1",
    ],
    "COPY chef.py[z] /opt/chef/": ["COPY chef.pyz /opt/chef/"],
    # cook-base: no platform logic
    "ARG CHEF_COOK_PLATFORM": [],
    "ARG TARGETPLATFORM": [],
    ("# Compile bytecode at build time (faster start); copy from the cache mount, never "
     "hard-link. ENV:"): [
        "# Compile bytecode at build time (faster start); copy, never hard-link. ENV:",
    ],
    # cook-1: the cache mount's comment gives way to the credentials
    ("# The installer's download cache lives in a BuildKit cache mount: it survives rebuilds "
     "of a layer"): [],
    "# (a new dependency downloads only itself) and never ends up in the image.": [],
    # runtime
    ("# The project's files before its installed files: this COPY needs only the planner, "
     "so BuildKit"): [
        "# The project's files before its installed files (as in Dockerfile.example).",
    ],
    ("# makes it while the builder runs install-project, and the step after the builder is "
     "one small COPY."): [],
}
PLATFORM_FILE = " $(cat /chef/cook-platform)"
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?\S+(?:\s+AS\s+(\S+))?\s*$", re.I)
_ENTRY = re.compile(r"^#   ([A-Z][A-Z0-9_]*)\s")


Section = Tuple[Tuple[str, ...], List[str]]


def _sections(lines: List[str]) -> Tuple[List[str], List[str], List[Section]]:
    """(header comment, global ARG lines, [(stage names, lines)]), each section starting at a
    `# --- ` banner."""
    try:
        blank = lines.index("")
    except ValueError:
        raise ShapeError("no blank line after the header comment") from None
    header = lines[:blank]
    starts = [i for i, line in enumerate(lines) if line.startswith("# --- ")]
    if not starts:
        raise ShapeError("no `# --- ` stage banners")
    globals_ = lines[blank:starts[0]]
    sections: List[Section] = []
    for start, end in zip(starts, [*starts[1:], len(lines)]):
        body = lines[start:end]
        names = tuple((m.group(1) or "") for m in map(_FROM.match, body) if m)
        sections.append((names, body))
    found = tuple(names for names, _ in sections)
    if found != EXPECTED_SECTIONS:
        raise ShapeError(f"stages are {found}, the rules expect {EXPECTED_SECTIONS}")
    return header, globals_, sections


def _build_args(header: List[str]) -> List[str]:
    """The header's `Build args` entries that apply here (KEEP_ARGS, in the example's order)."""
    try:
        start = header.index("# Build args (all optional):") + 1
    except ValueError:
        raise ShapeError("no `# Build args (all optional):` line in the header") from None
    end = next((i for i in range(start, len(header)) if not header[i].startswith("#   ")),
               len(header))
    entries: List[Tuple[str, List[str]]] = []
    for line in header[start:end]:
        m = _ENTRY.match(line)
        if m:
            entries.append((m.group(1), [line]))
        elif entries:
            entries[-1][1].append(line)
        else:
            raise ShapeError(f"build args: {line!r} is not an entry")
    names = [name for name, _ in entries]
    unknown = sorted(set(names) - set(KEEP_ARGS) - set(DROP_ARGS))
    missing = sorted(set(KEEP_ARGS) - set(names))
    if unknown or missing:
        raise ShapeError(f"build args: new {unknown}, gone {missing}: update KEEP_ARGS/DROP_ARGS")
    out: List[str] = []
    for name, text in entries:
        if name in ARG_TEXT:
            out.extend(ARG_TEXT[name].splitlines())
        elif name in KEEP_ARGS:
            out.extend(text)
    return out


def _pyz_run(body: List[str]) -> List[str]:
    """The chef stage's RUN: only the `pyz)` branch of the example's `case "$CHEF_FROM"`, after
    its chef.pyz check (here the COPY fails without it)."""
    try:
        branch = next(i for i, line in enumerate(body) if line.lstrip().startswith("pyz) "))
        check_end = next(i for i in range(branch, len(body)) if body[i].endswith("exit 1; fi \\"))
        end = next(i for i in range(check_end, len(body)) if body[i].endswith(" ;; \\"))
    except StopIteration:
        raise ShapeError("chef stage: no `pyz) ... exit 1; fi \\ ... ;; \\` branch") from None
    steps = body[check_end + 1:end + 1]
    if not steps[0].lstrip().startswith("&& "):
        raise ShapeError(f"chef stage: {steps[0]!r} does not start with `&&`")
    steps[0] = "RUN " + steps[0].lstrip()[len("&& "):]
    steps[-1] = steps[-1][:-len(" ;; \\")]
    return steps


def _instructions(body: List[str]) -> List[Tuple[int, int]]:
    """(first, last) line of each instruction (continuation lines end with a backslash)."""
    spans: List[Tuple[int, int]] = []
    i = 0
    while i < len(body):
        line = body[i]
        if not line or line.startswith("#"):
            i += 1
            continue
        j = i
        while body[j].endswith("\\"):
            j += 1
        spans.append((i, j))
        i = j + 1
    return spans


def _strip_mounts(body: List[str]) -> List[str]:
    """`RUN --mount=... \\` and the `--mount=` lines after it go: `RUN` takes the command."""
    out: List[str] = []
    i = 0
    while i < len(body):
        line = body[i]
        if line.startswith("RUN --mount="):
            j = i
            while body[j].lstrip().startswith(("RUN --mount=", "--mount=")):
                j += 1
            out.append("RUN " + body[j].lstrip())
            i = j + 1
        else:
            out.append(line)
            i += 1
    return out


def _chef_stage(body: List[str]) -> List[str]:
    spans = _instructions(body)
    froms = [s for s in spans if body[s[0]].startswith("FROM ")]
    runs = [s for s in spans if body[s[0]].startswith("RUN ")]
    if len(froms) != 1 or len(runs) != 1 or body[froms[0][0]] != "FROM chef-base AS chef":
        raise ShapeError("chef stage: expected `FROM chef-base AS chef` and one RUN")
    run_start, run_end = runs[0]
    after_from = body[froms[0][0] + 1:run_start]
    return [*CHEF_STAGE_COMMENT.splitlines(), "FROM ${PYTHON_IMAGE} AS chef", *after_from,
            *_pyz_run(body[run_start:run_end + 1]), *body[run_end + 1:]]


def _cook_stages(body: List[str]) -> List[str]:
    # cook-base: no /chef/cook-platform (its comment block and RUN go)
    spans = _instructions(body)
    platform = [s for s in spans if body[s[1]].endswith(">/chef/cook-platform")
                and body[s[0]].startswith("RUN ")]
    if len(platform) != 1:
        raise ShapeError("cook-base: expected one RUN writing /chef/cook-platform")
    start, end = platform[0]
    while start > 0 and body[start - 1].startswith("#"):
        start -= 1
    body = body[:start] + body[end + 1:]
    used = sum(line.count(PLATFORM_FILE) for line in body)
    if used != 2:
        raise ShapeError(f"cook stages: {used} `{PLATFORM_FILE.strip()}`, expected 2 (one a cook)")
    body = [line.replace(PLATFORM_FILE, "") for line in _strip_mounts(body)]
    left = [line for line in body if not line.startswith("#")
            and ("/chef/cook-platform" in line or "$(cat /chef/" in line)]
    if left:
        raise ShapeError(f"cook stages: platform logic left in {left[0]!r}")
    out: List[str] = []
    cooks = 0
    for line in body:
        if line.startswith("RUN chef cook "):
            out.extend(CREDENTIAL_ARGS.splitlines())
            cooks += 1
        out.append(line)
    if cooks != 2:
        raise ShapeError(f"cook stages: {cooks} `RUN chef cook` lines, expected 2")
    return out


def _builder_stage(body: List[str]) -> List[str]:
    first_from = next(i for i, line in enumerate(body) if line.startswith("FROM "))
    return [body[0], *BUILDER_COMMENT.splitlines(), *body[first_from:]]


def _apply_line_rules(lines: List[str]) -> List[str]:
    for old, new in LINE_RULES.items():
        where = [i for i, line in enumerate(lines) if line == old]
        if len(where) != 1:
            raise ShapeError(f"{len(where)} lines are {old!r} (expected one): update LINE_RULES")
        lines = lines[:where[0]] + new + lines[where[0] + 1:]
    return lines


def generate(text: str) -> str:
    lines = text.splitlines()
    header, globals_, sections = _sections(lines)
    python_image = [line for line in globals_ if line.startswith("ARG PYTHON_IMAGE=")]
    if len(python_image) != 1:
        raise ShapeError("expected one global `ARG PYTHON_IMAGE=...`")
    out: List[str] = [*NOMOUNT_HEADER.splitlines(), *_build_args(header),
                      *CREDENTIALS_HEADER.splitlines(), "", *python_image, ""]
    for names, body in sections:
        if names == ("chef-base",) or names == ("planner-test", "cook-test", "test") \
                or names == ("",):
            continue
        if names == ("chef",):
            body = _chef_stage(body)
        elif names == ("cook-base", "cook-1", "cook-2"):
            body = _cook_stages(body)
        elif names == ("builder",):
            body = _builder_stage(body)
        out.extend(body)
    out = _apply_line_rules(out)
    while out and not out[-1]:
        out.pop()
    result = "\n".join(out) + "\n"
    for bad in ("--mount", "chef.py[z]", "BUILDPLATFORM", "TARGETPLATFORM", "cook-platform"):
        # The header names some of these in prose; no instruction may use them.
        used = [line for line in out if bad in line and not line.startswith("#")]
        if used:
            raise ShapeError(f"{bad!r} is still used: {used[0]!r}")
    return result


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when Dockerfile.nomount differs from what would be written")
    args = parser.parse_args(list(argv))
    try:
        text = generate(SOURCE.read_text(encoding="utf-8"))
    except ShapeError as exc:
        print(f"scripts/nomount_dockerfile.py: Dockerfile.example: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print("Dockerfile.nomount is out of date: run `python3 scripts/nomount_dockerfile.py`",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
