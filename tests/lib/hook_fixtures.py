#!/usr/bin/env python3
"""Builds what tests/integration/55-init-hooks.sh needs, all local:

    hook_fixtures.py OUT BASE_URL

OUT/registry   served by fixture_http.py at BASE_URL:
               npm/  an npm registry with one package (packument + tarball)
               pypi/ a PEP 503 simple index with one wheel
               go/   a GOPROXY with one module
OUT/m2/.m2/repository  a pre-fetched Maven repository holding one parent POM
OUT/projects/{node,python,go,maven}  one project per hook, with lockfile,
               requirements, go.sum or pom naming those packages

Each package prints or holds the word "fixture-greet-ok" so a test can see
it was really installed.  Hashes (npm integrity, wheel RECORD, go.sum) are
computed here the way the tools compute them, so the tools verify them.
"""
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

OUT, BASE = sys.argv[1], sys.argv[2].rstrip("/")
REG = os.path.join(OUT, "registry")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def b64(d):
    return base64.b64encode(d).decode()


# --- npm -------------------------------------------------------------------
def npm():
    files = {"package/package.json": json.dumps({"name": "fixture-greet", "version": "1.0.0",
                                                 "main": "index.js"}).encode(),
             "package/index.js": b"module.exports = () => 'fixture-greet-ok';\n"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 1704067200, 0o644
            t.addfile(ti, io.BytesIO(data))
    tgz = buf.getvalue()
    integrity = "sha512-" + b64(hashlib.sha512(tgz).digest())
    url = f"{BASE}/npm-files/fixture-greet-1.0.0.tgz"
    write(os.path.join(REG, "npm-files/fixture-greet-1.0.0.tgz"), tgz, "wb")
    write(os.path.join(REG, "npm/fixture-greet"), json.dumps({
        "name": "fixture-greet", "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "fixture-greet", "version": "1.0.0",
                               "dist": {"tarball": url, "integrity": integrity,
                                        "shasum": hashlib.sha1(tgz).hexdigest()}}}}))
    p = os.path.join(OUT, "projects/node")
    deps = {"fixture-greet": "1.0.0"}
    write(f"{p}/package.json", json.dumps({"name": "app", "version": "1.0.0", "private": True,
                                           "dependencies": deps}, indent=2) + "\n")
    write(f"{p}/package-lock.json", json.dumps({
        "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "app", "version": "1.0.0", "dependencies": deps},
                     "node_modules/fixture-greet": {"version": "1.0.0", "resolved": url,
                                                    "integrity": integrity}}}, indent=2) + "\n")
    write(f"{p}/.npmrc", f"registry={BASE}/npm/\n")


# --- PyPI ------------------------------------------------------------------
def pypi():
    name, dist = "fixture_greet", "fixture_greet-1.0.0.dist-info"
    files = {f"{name}/__init__.py": b"def greet():\n    return 'fixture-greet-ok'\n",
             f"{dist}/METADATA": b"Metadata-Version: 2.1\nName: fixture-greet\nVersion: 1.0.0\n",
             f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: hook_fixtures\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{dist}/top_level.txt": b"fixture_greet\n"}
    record = "".join(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
                     for n, d in files.items()) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in files.items():
            z.writestr(zipfile.ZipInfo(n, FIXED_TIME), d)
    whl = buf.getvalue()
    wname = "fixture_greet-1.0.0-py3-none-any.whl"
    write(os.path.join(REG, "pypi/files", wname), whl, "wb")
    sha = hashlib.sha256(whl).hexdigest()
    write(os.path.join(REG, "pypi/simple/index.html"),
          '<html><body><a href="fixture-greet/">fixture-greet</a></body></html>\n')
    write(os.path.join(REG, "pypi/simple/fixture-greet/index.html"),
          f'<html><body><a href="../../files/{wname}#sha256={sha}">{wname}</a></body></html>\n')
    write(os.path.join(OUT, "projects/python/requirements.txt"), "fixture-greet==1.0.0\n")


# --- Go module proxy -------------------------------------------------------
def h1(files):
    """dirhash.Hash1: sha256 over 'HEX  NAME\\n' lines, names sorted."""
    s = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    return "h1:" + b64(hashlib.sha256(s.encode()).digest())


def go():
    mod, ver = "fixture.test/greet", "v1.0.0"
    gomod = f"module {mod}\n\ngo 1.19\n".encode()
    src = b'package greet\n\nfunc Greet() string { return "fixture-greet-ok" }\n'
    zfiles = {f"{mod}@{ver}/go.mod": gomod, f"{mod}@{ver}/greet.go": src}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in zfiles.items():
            z.writestr(zipfile.ZipInfo(n, FIXED_TIME), d)
    d = os.path.join(REG, "go", mod, "@v")
    write(f"{d}/list", ver + "\n")
    write(f"{d}/{ver}.info", json.dumps({"Version": ver, "Time": "2024-01-01T00:00:00Z"}))
    write(f"{d}/{ver}.mod", gomod, "wb")
    write(f"{d}/{ver}.zip", buf.getvalue(), "wb")
    p = os.path.join(OUT, "projects/go")
    write(f"{p}/go.mod", f"module example.test/app\n\ngo 1.19\n\nrequire {mod} {ver}\n")
    write(f"{p}/go.sum", f"{mod} {ver} {h1(zfiles)}\n{mod} {ver}/go.mod {h1({'go.mod': gomod})}\n")
    write(f"{p}/main.go", f'package main\n\nimport (\n\t"fmt"\n\n\t"{mod}"\n)\n\n'
                          'func main() { fmt.Println(greet.Greet()) }\n')


# --- Maven -----------------------------------------------------------------
def maven():
    parent = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.fixture</groupId>
  <artifactId>fixture-parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
  <properties><greeting>fixture-greet-ok</greeting></properties>
</project>
"""
    write(os.path.join(OUT, "m2/.m2/repository/org/fixture/fixture-parent/1.0/fixture-parent-1.0.pom"), parent)
    write(os.path.join(OUT, "projects/maven/pom.xml"), """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.fixture</groupId>
    <artifactId>fixture-parent</artifactId>
    <version>1.0</version>
    <relativePath/>
  </parent>
  <artifactId>app</artifactId>
  <packaging>pom</packaging>
</project>
""")


npm()
pypi()
go()
maven()
