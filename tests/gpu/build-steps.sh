# build-steps.sh: sourced by tests/gpu/build.sh and bench/build.sh.
# Needs LOG (the build log) and BUILD_WHAT (name in the failure message).

# fail MESSAGE: say what failed, show the end of the log, stop.
fail() {
    echo "$BUILD_WHAT build FAILED: $*" >&2
    echo "--- last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
}

# step DESCRIPTION COMMAND...: run, logging the command and its output.
step() {
    what=$1
    shift
    echo "+ $*" >>"$LOG"
    "$@" >>"$LOG" 2>&1 || fail "$what"
}
