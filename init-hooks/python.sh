#!/bin/sh
# init-hooks/python.sh — a virtualenv with the project's requirements
# installed, before Codex starts.
#
#   codex-sandbox --init_script init-hooks/python.sh
#
# Image:     python3 with venv (python3-venv on Debian; the default image has
#            python3 without it: use an image built FROM codex-sandbox with it).
# Project:   requirements.txt (REQUIREMENTS=FILE to name another).
# Allowlist: the package index: pypi.org and files.pythonhosted.org by default,
#            or the host of PIP_INDEX_URL (-e PIP_INDEX_URL=...); nothing when
#            the cache already holds every package.
# Mounts:    none beyond the project.  The venv and pip's cache are kept in the
#            project's Codex home (WORK_DIR/.codex/.environment/venv and
#            pip-cache): the next run reuses both, and a venv the host made in
#            the project (.venv) is never touched.  VENV_DIR=PATH to choose.
#            The venv is put first on PATH for login shells (~/.profile on the
#            sandbox's private HOME), which is how Codex runs commands.
set -eu

home=${CODEX_HOME:-${SANDBOX_ENV_DIR:?not in a codex-sandbox}}
venv=${VENV_DIR:-$home/venv}
req=${REQUIREMENTS:-requirements.txt}

command -v python3 >/dev/null 2>&1 || { echo "python.sh: python3 is not in the image" >&2; exit 127; }
if [ ! -f "$req" ]; then
    echo "python.sh: no $req in $(pwd); nothing to install" >&2
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || {
        echo "python.sh: cannot create a venv; the image needs python3-venv" >&2; exit 1; }
fi
mkdir -p "$HOME/.config/pip"
printf '[global]\ncache-dir = %s\n' "$home/pip-cache" > "$HOME/.config/pip/pip.conf"
printf 'VIRTUAL_ENV=%s\nPATH="$VIRTUAL_ENV/bin:$PATH"\nexport VIRTUAL_ENV PATH\n' "$venv" >> "$HOME/.profile"
echo "python.sh: installing $req into $venv" >&2
exec "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req"
