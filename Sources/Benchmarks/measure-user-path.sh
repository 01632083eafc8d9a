#!/bin/bash
# The user's path of issue 21: three `mpc run` processes on loopback, as an operator starts them.
# usage: measure-user-path.sh BIN M MODE REPS [SUFFIX]   (MODE: json, out-int64, out-csv, out-json)
BIN=$1; M=$2; MODE=$3; REPS=$4
# The working directory: ${MPC_MEASURE_DIR:-/tmp/mpc-measure}/m<M><SUFFIX>.
D=${MPC_MEASURE_DIR:-/tmp/mpc-measure}/m$M$5; mkdir -p $D; cd $D
if [ ! -f study.json ]; then
  P=(); for i in 0 1 2; do $BIN keygen --out s$i.key --json > k$i.json; done
  ports=$(python3 -c "
import socket
ps=[]
for _ in range(3):
  s=socket.socket(); s.bind(('127.0.0.1',0)); ps.append(s.getsockname()[1]); s.close()
print(' '.join(map(str,ps)))")
  set -- $ports
  args=(); i=0; for p in $ports; do k=$(python3 -c "import json;print(json.load(open('k$i.json'))['public_key'])"); args+=(--party "S$i,127.0.0.1:$p,$k"); i=$((i+1)); done
  $BIN study init --id meas-$M --rho 1000000 --field m127 --out study.json "${args[@]}" >/dev/null
  python3 - <<PY
import struct
m=$M
for i in range(3):
  with open(f"v{i}.bin","wb") as f:
    f.write(b"".join(struct.pack("<q",((j*31+i*17+(j>>7))%101)) for j in range(m)))
PY
fi
RHO=$(( M/10000 > 1 ? M/10000 : 1 ))
for r in $(seq 1 $REPS); do
  Q="q$MODE$r$RANDOM"
  echo "{\"id\": \"$Q\", \"kind\": \"vector-sum\", \"length\": $M, \"bounds\": [0, 100], \"rho\": \"$RHO\"}" > $Q.json
  start=$(date +%s.%N)
  for i in 0 1 2; do
    case $MODE in
      json) extra=(--json); out=/dev/null; of=$D/stdout$i.json;;
      out-int64) extra=(--out $D/o$i.bin --format int64); of=$D/stdout$i.txt;;
      out-csv) extra=(--out $D/o$i.csv --format csv); of=$D/stdout$i.txt;;
      out-json) extra=(--out $D/o$i.json --format json); of=$D/stdout$i.txt;;
    esac
    /usr/bin/time -v -o time$i.txt timeout -s KILL ${TMO:-900} $BIN run --study study.json --party $i --key s$i.key --data v$i.bin --vector-format int64 --query $Q.json --state-dir $D/state --timeout 600 --connect-timeout 600 "${extra[@]}" > $of 2> err$i.txt &
  done
  wait
  end=$(date +%s.%N)
  rss=$(grep "Maximum resident" time*.txt | awk '{print $NF}' | sort -n | tail -1)
  cpu=$(python3 -c "
import re
t=0
for i in range(3):
  s=open('time%d.txt'%i).read()
  t+=float(re.search(r'User time \(seconds\): ([\d.]+)',s).group(1))+float(re.search(r'System time \(seconds\): ([\d.]+)',s).group(1))
print('%.2f'%t)")
  st=$(grep "Exit status" time*.txt | awk '{print $NF}' | tr '\n' ' ')
  echo "m=$M mode=$MODE rep=$r wall=$(python3 -c "print('%.3f'%($end-$start))") maxrss_mib=$(python3 -c "print('%.1f'%($rss/1024))") cpu_all=$cpu exit=$st"
done
