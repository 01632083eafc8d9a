#!/bin/bash
# Issue 20's figures: a synth query as three `mpc run` processes on loopback (t = 1, ε = 1 at
# δ = 1e-9), per-round wall time, sampling 10^5 rows, and the 2-way / 3-way error of the
# synthetic CSV against the real joint data (mean L1 of normalised marginals over all pairs /
# triples of columns).
# usage: measure-synth.sh BIN [ROWS_PER_SITE] [SEED]   (defaults 16000 and 1)
BIN=$(readlink -f $1); ROWS=${2:-16000}; SEED=${3:-1}
D=${MPC_MEASURE_DIR:-/tmp/mpc-measure-synth}/r$ROWS-s$SEED; rm -rf $D; mkdir -p $D; cd $D
for i in 0 1 2; do $BIN keygen --out s$i.key --json > k$i.json; done
ports=$(python3 -c "
import socket
ps=[]
for _ in range(3):
  s=socket.socket(); s.bind(('127.0.0.1',0)); ps.append(s.getsockname()[1]); s.close()
print(' '.join(map(str,ps)))")
args=(); i=0; for p in $ports; do k=$(python3 -c "import json;print(json.load(open('k$i.json'))['public_key'])"); args+=(--party "S$i,127.0.0.1:$p,$k"); i=$((i+1)); done
$BIN study init --id synth-meas --rho 1 --delta 1e-9 --colluders 1 --out study.json "${args[@]}" >/dev/null
# 8 columns with known structure: a chain a→b→c→d (c numeric), e→f, g→h (h numeric), sex
# independent of all; 80 % / 70 % copy probabilities, the rest uniform.
python3 - $ROWS $SEED <<'PY'
import random, sys
rows, seed = int(sys.argv[1]), int(sys.argv[2])
for i in range(3):
    r = random.Random(seed * 1000 + i)
    with open(f"s{i}.csv", "w") as f:
        f.write("a,b,c,d,e,f,g,h\n")
        for _ in range(rows):
            a = r.randrange(5); b = a if r.random() < .8 else r.randrange(5)
            c = b if r.random() < .8 else r.randrange(5); d = c % 3 if r.random() < .7 else r.randrange(3)
            e = r.randrange(4); f_ = e if r.random() < .7 else r.randrange(4)
            g = r.randrange(2); h = g * 3 + r.randrange(3) if r.random() < .8 else r.randrange(6)
            f.write(f"{'vwxyz'[a]},{'vwxyz'[b]},{10 * c + r.randrange(10)},{'pqr'[d]},"
                    f"{'klmn'[e]},{'klmn'[f_]},{'ft'[g]},{h * 5 + r.randrange(5)}\n")
PY
cat > q.json <<'Q'
{"id": "synth-meas", "kind": "synth", "epsilon": "1", "columns": [
 {"column": "a", "categories": ["v", "w", "x", "y", "z"]},
 {"column": "b", "categories": ["v", "w", "x", "y", "z"]},
 {"column": "c", "bin_edges": [0, 10, 20, 30, 40, 50]},
 {"column": "d", "categories": ["p", "q", "r"]},
 {"column": "e", "categories": ["k", "l", "m", "n"]},
 {"column": "f", "categories": ["k", "l", "m", "n"]},
 {"column": "g", "categories": ["f", "t"]},
 {"column": "h", "bin_edges": [0, 5, 10, 15, 20, 25, 30]}]}
Q
for i in 0 1 2; do
  $BIN run --study study.json --party $i --key s$i.key --data s$i.csv --query q.json \
    --state-dir state$i --model model$i.json --out synthetic$i.csv --json > run$i.json 2> err$i.txt &
done
wait
python3 -c "
import json
for i in range(3):
    d = json.load(open(f'run{i}.json'))
    print(f'site {i}: rounds', ' '.join(f'{s:.3f} s' for s in d['round_seconds']), 'fingerprint', d['fingerprint'][:16], 'tree', d['tree'])
"
cmp model0.json model1.json && cmp model0.json model2.json && echo "models identical at the 3 sites"
start=$(date +%s.%N)
$BIN synth sample --model model0.json --rows 100000 --seed 7 --out sample.csv > /dev/null
end=$(date +%s.%N)
echo "sampling 100000 rows (with CSV and fidelity report): $(python3 -c "print(f'{$end - $start:.3f}')") s"
python3 - <<'PY'
import csv, itertools
def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return rows
def level(col, v):
    if v == "": return "other"
    if col in (2, 7):
        x = float(v); width = 10 if col == 2 else 5
        return str(int(x // width))
    return v
real = [[level(c, v) for c, v in enumerate(r)] for i in range(3) for r in read(f"s{i}.csv")]
syn = [[level(c, v) for c, v in enumerate(r)] for r in read("synthetic0.csv")]
def marg(rows, cols):
    m = {}
    for r in rows:
        k = tuple(r[c] for c in cols); m[k] = m.get(k, 0) + 1
    n = len(rows)
    return {k: v / n for k, v in m.items()}
def err(k):
    total = 0; subsets = list(itertools.combinations(range(8), k))
    for s in subsets:
        p, q = marg(real, s), marg(syn, s)
        total += sum(abs(p.get(key, 0) - q.get(key, 0)) for key in set(p) | set(q))
    return total / len(subsets)
print(f"real rows {len(real)}, synthetic rows {len(syn)}: 2-way error {err(2):.4f}, 3-way error {err(3):.4f}")
PY
