#!/bin/bash
# Malformed ICAP from a raw socket (bad Encapsulated offsets, bad chunk
# sizes, missing CRLFs, truncated bodies, pipelined garbage, oversized
# headers): an error status or a clean close every time, OPTIONS still
# answered after each, and mugai still running at the end.
. "$(dirname "$0")/icap_lib.sh"
ICAP_PORT=$(free_port)
write_conf "$T/mugai.conf" listen=127.0.0.1:$ICAP_PORT read-timeout=3s
start_mugai "$T/mugai.conf"
check "malformed requests" python3 "$HERE/icap_malformed.py" "$ICAP_PORT"
check "mugai still running" kill -0 "$MUGAI_PID"
finish
