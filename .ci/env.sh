# The environment of CI runs, sourced by .ci/run (and by the test that checks it, tools/ci/ci-env.spec.ts).
# Nx keeps its cache in the user's home, shared by every clone on the machine: a CI run must execute every task of
# the submitted code, so it neither reads that cache (NX_SKIP_NX_CACHE) nor writes to it (a cache folder of its own,
# inside the checkout, ignored by git).
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false CI=true
export NX_SKIP_NX_CACHE=true
export NX_CACHE_DIRECTORY="$(pwd)/.nx/ci-cache"
