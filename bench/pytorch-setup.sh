#!/bin/sh
# Installs the PyTorch peer of `npm run bench -- lstm` (bench/pytorch_lstm.py): Debian's
# python3-torch (1.13, CPU) for the system python /usr/bin/python3, and libopenblas0-pthread, without
# which Debian's torch runs on the slow reference BLAS (about 8x slower). Idempotent: apt is only
# called when a package is missing. Run the bench with OPENBLAS_NUM_THREADS=1 (OpenBLAS threads
# beside torch's own threads make it about 3.5x slower).
set -u

PY=/usr/bin/python3
PKGS="python3-torch libopenblas0-pthread"

fail() {
  echo "pytorch-setup: $*" >&2
  exit 1
}

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO="sudo -n"
    else
      fail "cannot install$missing: run as root (apt-get install -y$missing)"
    fi
  else
    SUDO=""
  fi
  command -v apt-get >/dev/null 2>&1 || fail "cannot install$missing: no apt-get (Debian/Ubuntu only)"
  echo "pytorch-setup: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null 2>&1 || fail "apt-get update failed"
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
    || fail "apt-get install -y$missing failed"
fi

[ -x "$PY" ] || fail "no $PY (Debian's python3-torch installs for the system python)"
version=$(OPENBLAS_NUM_THREADS=1 "$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null) \
  || fail "$PY cannot import torch"
echo "torch $version ($PY)"

# Which BLAS: torch's build config names the one it was built against; the library that Debian's
# alternatives system actually loads for libblas.so.3 is what decides the speed.
OPENBLAS_NUM_THREADS=1 "$PY" - <<'EOF' 2>/dev/null || true
import re, torch
cfg = torch.__config__.show()
m = re.search(r'BLAS_INFO=([^,\s]+)', cfg)
print('torch BLAS_INFO:', m.group(1) if m else 'unknown')
try:
    with open('/proc/self/maps') as f:
        libs = sorted({l.split()[-1] for l in f if re.search(r'lib(open)?blas|libblis|libmkl', l)})
    print('BLAS loaded:', ' '.join(libs) if libs else 'none found')
except OSError:
    pass
EOF
if command -v update-alternatives >/dev/null 2>&1; then
  alt=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')
  [ -n "$alt" ] && echo "libblas.so.3 -> $alt"
fi
exit 0
