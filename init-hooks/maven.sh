#!/bin/sh
# init-hooks/maven.sh — let Maven use your host's repository (~/.m2), mounted
# read-only, as its local repository: no download, no write access.
#
#   codex-sandbox --read-only ~/.m2/repository --init_script init-hooks/maven.sh
#
# Image:     needs mvn (and a JDK); the default image has neither: use an image
#            built FROM codex-sandbox with them (CODEX_DOCKER_IMAGE).
# Mounts:    the host repository with --read-only (~/.m2/repository, or ~/.m2);
#            it appears at /app<host path>.  The hook finds it among the mounts
#            (M2_REPO=/app/... with -e to name it).
# Allowlist: nothing.  A read-only repository cannot take new artifacts, so
#            Maven is set offline: what the build needs must already be in
#            ~/.m2 (build once on the host).  A writable repository (mounted
#            read-write) keeps Maven online: then allow repo.maven.apache.org.
# Writes:    ~/.m2/settings.xml on the sandbox's private HOME, which mvn reads.
set -eu

repo=${M2_REPO:-}
if [ -z "$repo" ]; then
    # The mount points the runner made, field 5 of mountinfo (no spaces in
    # the paths we look for).
    for m in $(awk '{print $5}' /proc/self/mountinfo); do
        case $m in
        */.m2/repository) repo=$m; break ;;
        */.m2) [ -d "$m/repository" ] && { repo=$m/repository; break; } ;;
        esac
    done
fi
[ -n "$repo" ] && [ -d "$repo" ] || {
    echo "maven.sh: no Maven repository mounted; pass --read-only ~/.m2/repository (or -e M2_REPO=/app/PATH)" >&2
    exit 1; }
command -v mvn >/dev/null 2>&1 || echo "maven.sh: note: mvn is not in this image" >&2

offline=false
[ -w "$repo" ] || offline=true
mkdir -p "$HOME/.m2"
cat > "$HOME/.m2/settings.xml" <<XML
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <localRepository>$repo</localRepository>
  <offline>$offline</offline>
</settings>
XML
echo "maven.sh: local repository $repo (offline: $offline)" >&2
