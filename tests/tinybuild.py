"""Source of `tinybuild`, a minimal PEP 517/660 build backend the tests ship as a wheel.

Projects in the tests declare `requires = ["tinybuild"]`, so their build requirements come from
the local wheelhouse like every other package: cook installs it into the build environment and
install-project builds offline with it, as a real backend would.
"""

BACKEND_SOURCE = r'''
"""tinybuild: builds a pure-Python wheel from [project] and src/<pkg> or <pkg>/."""
import ast, base64, hashlib, os, zipfile
try:
    import tomllib
except ImportError:  # Python < 3.11: enough TOML for the tests' [project] tables
    tomllib = None


def _mini_toml(text):
    """[project] and [project.optional-dependencies] of the tests' fixtures (strings, arrays)."""
    tables, current, buffer = {}, None, ""
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if not buffer and line.startswith("["):
            current = tables.setdefault(line.strip("[]").strip(), {})
            continue
        if current is None or not (line or buffer):
            continue
        buffer += line
        if buffer.count("[") > buffer.count("]") or "=" not in buffer:
            continue
        key, _, value = buffer.partition("=")
        buffer = ""
        try:
            current[key.strip().strip('"')] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            pass
    project = dict(tables.get("project", {}))
    project["optional-dependencies"] = tables.get("project.optional-dependencies", {})
    return {"project": project}


def _meta():
    with open("pyproject.toml", "rb") as f:
        data = f.read()
    if tomllib is None:
        return _mini_toml(data.decode())["project"]
    return tomllib.loads(data.decode())["project"]


def _dist(name):
    return name.replace("-", "_").replace(".", "_")


def _metadata(project):
    lines = ["Metadata-Version: 2.1", "Name: " + project["name"], "Version: " + project["version"]]
    for req in project.get("dependencies", []):
        lines.append("Requires-Dist: " + req)
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append("Provides-Extra: " + extra)
        for req in reqs:
            base, _, cond = req.partition(";")
            marker = "extra == \"%s\"" % extra
            lines.append("Requires-Dist: %s ; %s" % (base.strip(), "(%s) and %s" % (cond.strip(), marker) if cond else marker))
    return "\n".join(lines) + "\n"


def _hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _write(wheel_directory, files):
    project = _meta()
    dist, version = _dist(project["name"]), project["version"]
    info = "%s-%s.dist-info" % (dist, version)
    files = dict(files)
    files[info + "/METADATA"] = _metadata(project).encode()
    scripts = project.get("scripts") or {}
    if scripts:  # [project.scripts]: the installer writes their bin/ scripts
        files[info + "/entry_points.txt"] = ("[console_scripts]\n" + "".join(
            "%s = %s\n" % item for item in sorted(scripts.items()))).encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tinybuild\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join("%s,%s,%d\n" % (p, _hash(d), len(d)) for p, d in files.items()) + info + "/RECORD,,\n"
    name = "%s-%s-py3-none-any.whl" % (dist, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
        zf.writestr(info + "/RECORD", record)
    return name


def _package_dir():
    project = _meta()
    pkg = _dist(project["name"]).lower()
    for base in ("src", "."):
        if os.path.isdir(os.path.join(base, pkg)):
            return base, pkg
    raise RuntimeError("tinybuild: no package directory for " + pkg)


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel
get_requires_for_build_sdist = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    base, pkg = _package_dir()
    files = {}
    for dirpath, _, names in os.walk(os.path.join(base, pkg)):
        for n in sorted(names):
            if n.endswith(".pyc"):
                continue
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            with open(full, "rb") as f:
                files[rel] = f.read()
    return _write(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    base, pkg = _package_dir()
    path = os.path.abspath(base)
    return _write(wheel_directory, {"_tinybuild_%s.pth" % pkg: (path + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("tinybuild builds wheels only")
'''
