#!/usr/bin/env python3
"""Schema changes under a write load, naive DDL against tandem's expand and contract.

Builds a table of ROWS rows on the local PostgreSQL, runs a steady pgbench write load
(random-id UPDATE plus INSERT, CLIENTS clients) and, two seconds in, applies one schema
change either the naive way (one statement, as a plain migration would) or through
`tandem migrate` (expand, then contract). From pgbench's per-transaction log it prints,
per change and method: the migration time, the longest stretch with no completed write
(the stall a user sees), the max and p99 latency, and failed transactions, the median of
REPEATS runs; then the held-lock case: a transaction holding SELECT ... FOR UPDATE while
the DDL waits.

    cargo build --release
    python3 benches/under_load.py                      # 1,000,000 rows, 3 repeats
    ROWS=100000 REPEATS=1 python3 benches/under_load.py  # a quick look
    ONLY=backfill SETTINGS="[postgres]\\nbackfill_max_batch_ms = 0" python3 benches/under_load.py

Only 127.0.0.1 is used (TANDEM_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
Every run is bounded: pgbench runs for a fixed number of seconds.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TANDEM = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "tandem")
BASE = os.environ.get("TANDEM_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ROWS = int(os.environ.get("ROWS", "1000000"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CLIENTS = int(os.environ.get("CLIENTS", "4"))
DB = "tandem_bench"
URL = f"{BASE}/{DB}"

SCHEMA = """
[tables.accounts]
primary_key = ["id"]
[tables.accounts.columns]
id = { type = "bigint" }
owner_id = { type = "bigint" }
balance = { type = "integer" }
note = { type = "text", nullable = true }

[tables.owners]
primary_key = ["id"]
[tables.owners.columns]
id = { type = "bigint" }
"""

# (name, naive SQL, tandem op, whether the load may run through the contract that
# removes the old shape: the load is the old code, which still uses what a type change
# or a table rename removes there, so those stop after expand(R+1))
CHANGES = [
    ("add column + backfill",
     "ALTER TABLE accounts ADD COLUMN score integer NOT NULL DEFAULT 0; UPDATE accounts SET score = balance;",
     'type = "add_column"\ntable = "accounts"\ncolumn = { name = "score", type = "integer", default = 0 }\nbackfill_sql = "balance"', True),
    ("create index",
     "CREATE INDEX accounts_balance_idx ON accounts (balance);",
     'type = "create_index"\ntable = "accounts"\ncolumns = ["balance"]', True),
    ("int -> bigint",
     "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;",
     'type = "alter_column"\ntable = "accounts"\ncolumn = "balance"\ncolumn_type = "bigint"\nnew_name = "balance_big"', False),
    ("foreign key",
     "ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);",
     'type = "add_foreign_key"\ntable = "accounts"\ncolumn = "owner_id"\nreferences = "owners"\nname = "accounts_owner_fk"\nold_code_complies = true', True),
    ("check",
     "ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance > -1000000000);",
     'type = "add_check"\ntable = "accounts"\nname = "accounts_balance_check"\ncheck = "balance > -1000000000"\nold_code_complies = true', True),
    ("rename column",
     "ALTER TABLE accounts RENAME COLUMN note TO memo;",
     'type = "rename_column"\ntable = "accounts"\ncolumn = "note"\nto = "memo"', True),
    ("rename table",
     "ALTER TABLE accounts RENAME TO ledgers;",
     'type = "rename_table"\ntable = "accounts"\nto = "ledgers"', False),
]

LOAD = """\\set id random(1, {rows})
\\set owner random(1, 100)
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
INSERT INTO accounts (id, owner_id, balance) VALUES (nextval('bench_ids'), :owner, 0);
"""


def psql(sql, db=DB, check=True):
    return subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{BASE}/{db}", "-c", sql],
                          capture_output=True, text=True, check=check)


def setup():
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    psql("CREATE TABLE owners (id bigint PRIMARY KEY);"
         "INSERT INTO owners SELECT generate_series(1, 100);"
         "CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint NOT NULL, balance integer NOT NULL, note text);"
         f"INSERT INTO accounts SELECT i, 1 + i % 100, 0, 'n' || i FROM generate_series(1, {ROWS}) i;"
         f"CREATE SEQUENCE bench_ids START {ROWS + 1};")
    # VACUUM refuses the transaction that psql -c wraps several statements in.
    psql("VACUUM ANALYZE accounts")


def project(op):
    d = tempfile.mkdtemp(prefix="tandem-bench-")
    with open(os.path.join(d, "tandem.toml"), "w") as f:
        f.write(f'dialect = "postgres"\ndatabase_url = "{URL}"\n')
        # e.g. SETTINGS='[postgres]\nbackfill_max_batch_ms = 0' to compare settings
        f.write(os.environ.get("SETTINGS", "").replace("\\n", "\n") + "\n")
    with open(os.path.join(d, "schema.toml"), "w") as f:
        f.write(SCHEMA)
    os.makedirs(os.path.join(d, "changes"))
    with open(os.path.join(d, "changes", "0000_before.toml"), "w") as f:
        f.write('release = "0.9.0"\n\n[[op]]\ntype = "sql"\nexpand = "SELECT 1"\n')
    with open(os.path.join(d, "changes", "0001_change.toml"), "w") as f:
        f.write(f'release = "1.0.0"\n\n[[op]]\n{op}\n')
    with open(os.path.join(d, "changes", "0002_next.toml"), "w") as f:
        f.write('release = "1.1.0"\n\n[[op]]\ntype = "sql"\nexpand = "SELECT 1"\n')
    subprocess.run([TANDEM, "--project", d, "generate"], check=True, capture_output=True)
    # The baseline is there already: record it, as production would with --adopt.
    subprocess.run([TANDEM, "--project", d, "migrate", "--adopt", "--release", "0.9.0",
                    "--phase", "expand", "--skip-fleet-check", "--reason", "bench"],
                   check=True, capture_output=True)
    return d


def run_under_load(apply, seconds):
    """Runs pgbench for `seconds`, calling `apply()` two seconds in. Returns (migration
    time, longest gap, max latency, p99, failures)."""
    logdir = tempfile.mkdtemp(prefix="tandem-pgbench-")
    script = os.path.join(logdir, "load.sql")
    with open(script, "w") as f:
        f.write(LOAD.format(rows=ROWS))
    bench = subprocess.Popen(
        ["pgbench", "-n", "-c", str(CLIENTS), "-T", str(seconds), "-f", script, "-l",
         "--log-prefix", os.path.join(logdir, "tx"), "--max-tries", "1",
         "--failures-detailed", URL],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    started = time.time()
    apply()
    took = time.time() - started
    out, err = bench.communicate()
    ends, latencies = [], []
    for name in os.listdir(logdir):
        if not name.startswith("tx"):
            continue
        with open(os.path.join(logdir, name)) as f:
            for line in f:
                parts = line.split()
                # client_id transaction_no time script_no time_epoch time_us
                if len(parts) < 6 or parts[2] == "failed":
                    continue
                latency_us = int(parts[2])
                end = int(parts[4]) * 1_000_000 + int(parts[5])
                ends.append(end)
                latencies.append(latency_us / 1000)
    shutil.rmtree(logdir)
    failures = 0
    for line in (out + err).splitlines():
        if line.strip().startswith("number of failed transactions"):
            failures = int(line.split(":")[1].split()[0])
    ends.sort()
    gaps = [b - a for a, b in zip(ends, ends[1:])]
    gap = max(gaps) / 1000 if gaps else 0
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0
    return took, gap, max(latencies or [0]), p99, failures


def naive(sql):
    return lambda: psql(sql, check=False)


def with_tandem(op, through_contract=True):
    d = project(op)
    phases = [("1.0.0", "expand"), ("1.0.0", "contract"), ("1.1.0", "expand")]
    if through_contract:
        phases.append(("1.1.0", "contract"))

    def apply():
        for release, phase in phases:
            r = subprocess.run([TANDEM, "--project", d, "migrate", "--release", release,
                                "--phase", phase, "--skip-fleet-check", "--reason", "bench"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"  tandem failed: {r.stderr.strip()[-600:]}", file=sys.stderr)
                return
    return apply


def row(name, method, runs):
    med = [statistics.median(r[i] for r in runs) for i in range(5)]
    print(f"{name:<24} {method:<7} {med[0]:>8.2f} s {med[1]:>9.0f} ms {med[2]:>9.0f} ms "
          f"{med[3]:>7.1f} ms {med[4]:>5.0f}")
    return med


def main():
    if not os.path.exists(TANDEM):
        sys.exit("build it first: cargo build --release")
    print(f"{ROWS} rows, {CLIENTS} clients, median of {REPEATS} run(s)\n")
    print(f"{'change':<24} {'method':<7} {'migration':>10} {'longest gap':>12} {'max lat':>12} "
          f"{'p99':>10} {'fail':>5}")
    baseline_runs = []
    for _ in range(REPEATS):
        setup()
        baseline_runs.append(run_under_load(lambda: None, 6))
    base = row("no migration", "-", baseline_runs)
    ratios = []
    only = os.environ.get("ONLY")
    for name, sql, op, through_contract in CHANGES:
        if only and only not in name:
            continue
        results = {}
        for method in ["naive", "tandem"]:
            runs = []
            for _ in range(REPEATS):
                setup()
                apply = naive(sql) if method == "naive" else with_tandem(op, through_contract)
                runs.append(run_under_load(apply, 12))
            results[method] = row(name, method, runs)
        ratios.append((name, results["naive"][1] / max(results["tandem"][1], 1e-9)))
    print("\nlongest gap, naive / tandem:")
    for name, ratio in ratios:
        print(f"  {name:<24} {ratio:6.1f}x")
    print(f"\np99 with no migration: {base[3]:.1f} ms")

    # Held lock: a transaction holds a row lock on the table for 4 s while each method
    # adds a column.
    print("\nheld lock (FOR UPDATE held 4 s while a column is added):")
    for method in ["naive", "tandem"]:
        setup()
        op = 'type = "add_column"\ntable = "accounts"\ncolumn = { name = "extra", type = "text", nullable = true }'
        apply = naive("ALTER TABLE accounts ADD COLUMN extra text;") if method == "naive" else with_tandem(op)

        def holder():
            subprocess.run(["psql", URL, "-c",
                            "BEGIN; SELECT id FROM accounts WHERE id = 1 FOR UPDATE; SELECT pg_sleep(4); COMMIT;"],
                           capture_output=True)
        t = threading.Thread(target=holder)

        def start_then_apply():
            t.start()
            time.sleep(0.3)
            apply()
        took, gap, mx, p99, fails = run_under_load(start_then_apply, 10)
        t.join()
        print(f"  {method:<7} migration {took:5.2f} s, longest gap {gap:6.0f} ms, max latency {mx:6.0f} ms, failed {fails}")


if __name__ == "__main__":
    main()
