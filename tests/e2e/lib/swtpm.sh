# shellcheck shell=bash
# A software TPM for the end-to-end scripts (sourced; not a test of its own: tests/run-all runs
# tests/e2e/*.sh only). Needs $T, the script's scratch folder. Sets PORT, SWTPM_PID and TCTI,
# and exports TPM2TOOLS_TCTI=$TCTI when SWTPM_EXPORT_TCTI is set.

# Two free consecutive loopback ports (server, ctrl).
free_ports() {
  python3 - <<'PY'
import socket
for _ in range(200):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        a.close(); b.close()
PY
}

# (Re)start swtpm on a state folder: PCRs come up reset, NV (rollback floors) persists.
start_tpm() {
  local dir=$1
  stop_tpm
  mkdir -p "$dir"
  PORT=$(free_ports)
  swtpm socket --tpmstate dir="$dir" --tpm2 \
    --server type=tcp,port="$PORT",bindaddr=127.0.0.1 --ctrl type=tcp,port=$((PORT + 1)),bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear >"$T/swtpm.log" 2>&1 &
  SWTPM_PID=$!
  TCTI="swtpm:host=127.0.0.1,port=$PORT"
  if [ -n "${SWTPM_EXPORT_TCTI:-}" ]; then export TPM2TOOLS_TCTI=$TCTI; fi
  for _ in $(seq 50); do
    TPM2TOOLS_TCTI=$TCTI tpm2_pcrread sha256:0 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL - swtpm did not come up: $(cat "$T/swtpm.log")"; exit 1
}

stop_tpm() {
  if [ -n "$SWTPM_PID" ]; then kill "$SWTPM_PID" 2>/dev/null; wait "$SWTPM_PID" 2>/dev/null; fi
  SWTPM_PID=
}
