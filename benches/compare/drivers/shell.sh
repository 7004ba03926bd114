#!/usr/bin/env bash
# The "tmux CLI + polling" peer of the comparison harness: what a hand-written script does
# (the seed's own approach): one `tmux` process per step, and completion or a pattern found by
# re-reading the pane every POLL seconds (`sleep 0.1`, as the seed's loops do). Exec carries
# `$?` in a printed marker; save/restore is tmux-resurrect style (`list-panes` to a file,
# `new-session`/`split-window -c`/`select-layout` back); metrics spawn `ps` per pane.
#
# Same arguments, workloads, checks and output as compare_driver.rs (see common.py):
#   shell.sh --socket PATH --workdir DIR --workload NAME --iters N [--count N] [--watch-secs S]
# Talks only to the server at --socket (started and killed by compare.py).
set -euo pipefail

POLL=0.1
TIMEOUT_US=10000000
ITERS=10 COUNT=100 WATCH_SECS=10 SOCK="" WORKDIR="" WORKLOAD=""
while [ $# -gt 0 ]; do
    case "$1" in
    --socket) SOCK="$2" ;;
    --workdir) WORKDIR="$2" ;;
    --workload) WORKLOAD="$2" ;;
    --iters) ITERS="$2" ;;
    --count) COUNT="$2" ;;
    --watch-secs) WATCH_SECS="${2%.*}" ;;
    *) echo "unknown option $1" >&2 && exit 2 ;;
    esac
    shift 2
done
[ -n "$SOCK" ] && [ -n "$WORKDIR" ] || { echo "--socket and --workdir are required" >&2 && exit 2; }
T=(tmux -S "$SOCK")

fail() {
    echo "check failed: $*" >&2
    exit 1
}

# Samples: metric -> comma-separated milliseconds.
declare -A R=()
# push METRIC MICROSECONDS
push() {
    local ms
    printf -v ms '%d.%03d' $(($2 / 1000)) $(($2 % 1000))
    R[$1]+="${R[$1]:+,}$ms"
}
now() { # microseconds since the epoch, into $NOW (no fork)
    NOW=${EPOCHREALTIME/./}
}

# Last non-empty line of pane $1's screen, into $LAST.
last_line() {
    local lines i
    mapfile -t lines < <("${T[@]}" capture-pane -p -t "$1")
    LAST=""
    for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
        if [ -n "${lines[i]// /}" ]; then
            LAST="${lines[i]}"
            return
        fi
    done
}

# Wait (setup, untimed) until pane $1's last line is the prompt.
wait_prompt() {
    local start
    now && start=$NOW
    while last_line "$1" && [ "${LAST% }" != '$' ]; do
        now && [ $((NOW - start)) -lt $TIMEOUT_US ] || fail "no prompt in $1"
        sleep 0.01
    done
}

# Poll pane $1 every POLL until its screen matches regex $2 (BASH_REMATCH set).
poll_for() {
    local start out
    now && start=$NOW
    while true; do
        out=$("${T[@]}" capture-pane -p -J -t "$1")
        [[ $out =~ $2 ]] && return 0
        now && [ $((NOW - start)) -lt $TIMEOUT_US ] || fail "/$2/ never seen in $1"
        sleep "$POLL"
    done
}

one_pane() {
    "${T[@]}" new-session -d -s bench -x 120 -y 40
    PANE=$("${T[@]}" display-message -p -t bench '#{pane_id}')
    wait_prompt "$PANE"
}

# Session $1 of $2 tiled panes (pane k in directory ${DIRS[k]} when DIRS is set).
many_panes() {
    local k
    "${T[@]}" new-session -d -s "$1" -x 200 -y 60 ${DIRS:+-c "${DIRS[0]}"}
    for ((k = 1; k < $2; k++)); do
        "${T[@]}" split-window -t "$1" ${DIRS:+-c "${DIRS[k]}"} \; select-layout -t "$1" tiled
    done
    mapfile -t PANES < <("${T[@]}" list-panes -t "$1" -F '#{pane_id}')
    for k in "${PANES[@]}"; do wait_prompt "$k"; done
}

# Type "$1; print marker with $?" and poll for the marker: exit code into $CODE.
run() {
    "${T[@]}" send-keys -t "$PANE" "$1; printf 'DONE_%s:%s\\n' $2 \$?" Enter
    poll_for "$PANE" "DONE_$2:([0-9]+)"
    CODE=${BASH_REMATCH[1]}
}

# exec_true: run `true`; exec_sleep: run `sleep 0.02` (outlasts the first poll).
w_exec_true() {
    local i t cmd=true metric=exec_true
    [ "$WORKLOAD" != exec_sleep ] || cmd="sleep 0.02" metric=exec_sleep_20ms
    one_pane
    for ((i = 0; i < ITERS; i++)); do
        [ $((i % 50)) -ne 0 ] || "${T[@]}" clear-history -t "$PANE"
        now && t=$NOW
        run "$cmd" "$i"
        now && push "$metric" $((NOW - t))
        [ "$CODE" = 0 ] || fail "exit code $CODE"
    done
    run "(exit 7)" "$ITERS"
    [ "$CODE" = 7 ] || fail "(exit 7) gave $CODE"
    CHECK="$ITERS x exit 0 seen; (exit 7) reported 7"
}

# exec_output_1mb: a command writing 1 MB (10000 lines of 99 x), run as `run` runs any command
# (marker + capture-pane every POLL), then one `capture-pane -S -` of the scrollback and the
# lines between the typed command and the marker: what the history still holds
# (history-limit), reported in bytes, not checked.
w_exec_output_1mb() {
    local i t got cmd="printf '%099d\\n' \$(seq 10000) | tr 0-9 x"
    one_pane
    for ((i = 0; i < ITERS; i++)); do
        "${T[@]}" clear-history -t "$PANE"
        now && t=$NOW
        run "$cmd" "$i"
        got=$("${T[@]}" capture-pane -p -S - -t "$PANE" |
            awk -v i="$i" -v code="$CODE" '
                $0 == "DONE_" i ":" code { print n + 0; exit }
                /^\$ / && substr($0, length($0) - length(i " $?") + 1) == i " $?" { n = 0; next }
                { n += length($0) + 1 }')
        now && push exec_output_1mb $((NOW - t))
        [ "$CODE" = 0 ] || fail "exit code $CODE"
        R[exec_output_1mb_bytes]+="${R[exec_output_1mb_bytes]:+,}${got:-0}"
    done
    CHECK="$ITERS x exit 0 seen; output bytes as the scrollback held them"
}

w_pattern_latency() {
    local i d seen
    one_pane
    for ((i = 0; i < ITERS; i++)); do
        # 50-100 ms, spread over a 50 ms period (golden ratio), as in every driver.
        d=$((50000 + (i * 618034 % 1000000) / 20))
        printf -v d '0.%03d' $((d / 1000))
        "${T[@]}" send-keys -t "$PANE" "sleep $d; echo TOKEN-$i \$EPOCHREALTIME" Enter
        poll_for "$PANE" "TOKEN-$i ([0-9]+)\.([0-9]{6})"
        now && seen=$NOW
        d=$((seen - 10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))
        [ "$d" -ge 0 ] && [ "$d" -lt 5000000 ] || fail "latency $d us"
        push pattern_latency "$d"
        wait_prompt "$PANE"
    done
    CHECK="$ITERS stamped lines matched"
}

w_send_keys() {
    local i t typed=0 x=""
    one_pane
    for ((i = 0; i < ITERS; i++)); do
        if [ $((i % 50)) -eq 0 ]; then
            "${T[@]}" send-keys -t "$PANE" C-u
            typed=0
        fi
        now && t=$NOW
        "${T[@]}" send-keys -t "$PANE" -l x
        now && push send_keys $((NOW - t))
        typed=$((typed + 1))
    done
    printf -v x '%*s' "$typed" ''
    x="\$ ${x// /x}"
    now && t=$NOW
    while last_line "$PANE" && [ "$LAST" != "$x" ]; do
        now && [ $((NOW - t)) -lt $TIMEOUT_US ] || fail "prompt line never became '$x'"
        sleep 0.005
    done
    CHECK="all $typed keys since the last C-u on the line"
}

w_capture() {
    local i n t out lines
    one_pane
    "${T[@]}" send-keys -t "$PANE" "clear; seq 1 3000" Enter
    poll_for "$PANE" $'3000\n\\$'
    for ((i = 0; i < ITERS; i++)); do
        for n in 50 2000; do
            now && t=$NOW
            out=$("${T[@]}" capture-pane -p -J -t "$PANE" -S -$((n - 40)))
            now && push "capture_$n" $((NOW - t))
            mapfile -t lines <<<"$out"
            [ "${#lines[@]}" = "$n" ] && [ "${lines[0]}" = $((3002 - n)) ] ||
                fail "capture $n: ${#lines[@]} lines, first '${lines[0]}'"
        done
    done
    CHECK="every capture had exactly 50 / 2000 lines, the right first line"
}

w_build_32_tiled() {
    local i j t n
    for ((i = 0; i < ITERS; i++)); do
        now && t=$NOW
        "${T[@]}" new-session -d -s "tiled-$i" -x 200 -y 60
        for ((j = 1; j < 32; j++)); do
            "${T[@]}" split-window -t "tiled-$i" \; select-layout -t "tiled-$i" tiled
        done
        now && push build_32_tiled $((NOW - t))
        n=$("${T[@]}" list-panes -t "tiled-$i" | wc -l)
        [ "$n" = 32 ] || fail "$n panes"
        "${T[@]}" kill-session -t "tiled-$i"
    done
    CHECK="32 panes counted in every session"
}

w_sessions() {
    local i k t created n
    for ((i = 0; i < ITERS; i++)); do
        now && t=$NOW
        for ((k = 0; k < COUNT; k++)); do
            "${T[@]}" new-session -d -s "s$i-$k" -x 80 -y 24
        done
        now && created=$((NOW - t))
        n=$("${T[@]}" list-sessions -F '#{session_name}' | grep -c "^s$i-" || true)
        [ "$n" = "$COUNT" ] || fail "$n sessions after create"
        now && t=$NOW
        for ((k = 0; k < COUNT; k++)); do
            "${T[@]}" kill-session -t "s$i-$k"
        done
        now && push "sessions_$COUNT" $((created + NOW - t))
        n=$("${T[@]}" list-sessions -F '#{session_name}' 2>/dev/null | wc -l)
        [ "$n" = 0 ] || fail "$n sessions left after kill"
    done
    CHECK="$COUNT sessions listed after create, 0 after kill"
}

# tmux-resurrect style: one line per pane (window, layout, pane index, directory).
save() {
    "${T[@]}" list-panes -s -t "$1" \
        -F $'#{window_index}\t#{window_layout}\t#{pane_index}\t#{pane_current_path}' >"$2"
}

restore() {
    local win layout idx dir first=1 last saved_layout
    while IFS=$'\t' read -r win layout idx dir; do
        saved_layout=$layout # (read clears it at end of file)
        if [ "$first" = 1 ]; then
            "${T[@]}" new-session -d -s "$1" -x 200 -y 60 -c "$dir"
            first=0
        else # after the last pane, so pane order is kept
            "${T[@]}" split-window -t "$1:$win.$last" -c "$dir" \; select-layout -t "$1" tiled
        fi
        last=$idx
    done <"$2"
    [ -n "$saved_layout" ] || fail "no layout in $2" # (select-layout '' kills tmux 3.3a)
    "${T[@]}" select-layout -t "$1" "$saved_layout"
}

w_save_restore_10() {
    local i t f saved got
    DIRS=()
    for i in 0 1 2 3 4 5 6 7 8 9; do
        mkdir -p "$WORKDIR/d$i"
        DIRS+=("$(cd "$WORKDIR/d$i" && pwd -P)")
    done
    many_panes snap 10
    saved=$("${T[@]}" list-panes -t snap -F '#{pane_current_path}')
    [ "$(sort <<<"$saved")" = "$(printf '%s\n' "${DIRS[@]}" | sort)" ] || fail "cwds before save"
    for ((i = 0; i < ITERS; i++)); do
        f="$WORKDIR/snap-$i.tsv"
        now && t=$NOW
        save snap "$f"
        now && push save_10 $((NOW - t))
        [ "$(wc -l <"$f")" = 10 ] || fail "saved $(wc -l <"$f") panes"
        "${T[@]}" kill-session -t snap
        now && t=$NOW
        restore snap "$f"
        now && push restore_10 $((NOW - t))
        # Untimed: a pane whose shell is still starting can report an empty path.
        now && t=$NOW
        while got=$("${T[@]}" list-panes -t snap -F '#{pane_current_path}') &&
            [ "$(grep -c . <<<"$got")" -lt 10 ] && [ $((NOW - t)) -lt $TIMEOUT_US ]; do
            sleep 0.005
            now
        done
        [ "$got" = "$saved" ] || fail "restored cwds $got, saved $saved"
    done
    CHECK="restored session has 10 panes in the 10 saved directories"
}

w_metrics_10() {
    local i t pid rows n
    many_panes m 10
    for ((i = 0; i < ITERS; i++)); do
        sleep 0.06
        now && t=$NOW
        rows=0
        for pid in $("${T[@]}" list-panes -t m -F '#{pane_pid}'); do
            n=$(ps -o pid=,pcpu=,rss=,nlwp= -p "$pid" --ppid "$pid" | wc -l)
            [ "$n" -ge 1 ] || fail "a pane with 0 processes"
            rows=$((rows + 1))
        done
        now && push metrics_10 $((NOW - t))
        [ "$rows" = 10 ] || fail "$rows rows"
    done
    CHECK="10 rows, every process_count >= 1"
}

# CPU ticks (utime + stime + cutime + cstime) of pid $1 into $TICKS; $2=self: own two only.
ticks() {
    local line f
    read -r line <"/proc/$1/stat"
    read -ra f <<<"${line##*) }"
    if [ "${2:-}" = self ]; then
        TICKS=$((f[11] + f[12]))
    else
        TICKS=$((f[11] + f[12] + f[13] + f[14]))
    fi
}

w_cpu_watch_20() {
    local i p start out mine server server_pid me=$BASHPID hz
    hz=$(getconf CLK_TCK)
    many_panes w 20
    server_pid=$("${T[@]}" display-message -p '#{pid}')
    for ((i = 0; i < ITERS; i++)); do
        ticks "$me" && mine=$TICKS
        ticks "$server_pid" self && server=$TICKS
        now && start=$NOW
        while now && [ $((NOW - start)) -lt $((WATCH_SECS * 1000000)) ]; do
            for p in "${PANES[@]}"; do
                out=$("${T[@]}" capture-pane -p -J -t "$p")
                [[ ! $out =~ NEVER-[0-9]{12} ]] || fail "false match"
            done
            sleep "$POLL"
        done
        ticks "$me" && push cpu_watch_20 $(((TICKS - mine) * 1000000 / hz))
        ticks "$server_pid" self && push cpu_watch_20_server $(((TICKS - server) * 1000000 / hz))
    done
    CHECK="20 panes polled for $WATCH_SECS s (no false match)"
}

CHECK=""
case "$WORKLOAD" in
exec_sleep) w_exec_true ;;
exec_true | exec_output_1mb | pattern_latency | send_keys | capture | build_32_tiled | sessions | \
    save_restore_10 | metrics_10 | cpu_watch_20) "w_$WORKLOAD" ;;
*) echo "unknown workload $WORKLOAD" >&2 && exit 2 ;;
esac

sep=""
printf '{"results": {'
for k in "${!R[@]}"; do
    printf '%s"%s": [%s]' "$sep" "$k" "${R[$k]}"
    sep=", "
done
printf '}, "check": "%s"}\n' "$CHECK"
