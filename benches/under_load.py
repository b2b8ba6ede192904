#!/usr/bin/env python3
"""Schema changes under a write load, naive DDL against tandem's expand and contract.

Builds a table of ROWS rows on the local PostgreSQL (or MariaDB with DIALECT=mysql), runs
a steady write load and, WARMUP_SECONDS (default 5) in, applies one schema change either
the naive way (one statement, as a plain migration would) or through `tandem migrate`
(expand, then contract; renames also as "tandem-views", views mode on
PostgreSQL). The load runs until the migration is over. Per change and method it prints:
the migration time, the longest stretch with no completed write (the stall a user sees),
the max and p99 latency over the whole run, the p99 of the same run's writes before the
migration (the warm-up, its first second left out) and while it ran, with their ratio (the
load with and without the migration, in one run, so that the machine's drift between runs
does not enter it), and failed transactions, the median of REPEATS runs; then the
held-lock case: a transaction holding SELECT ... FOR UPDATE while the DDL waits, with the
longest writer stall and whether the migration finished without a manual re-run.

    cargo build --release
    python3 benches/under_load.py                            # 1,000,000 rows, 3 repeats
    QUICK=1 python3 benches/under_load.py                    # 100,000 rows, 1 repeat
    DIALECT=mysql QUICK=1 python3 benches/under_load.py      # the same on MariaDB
    TRACE=1 ROWS=200000 REPEATS=1 python3 benches/under_load.py   # who waits on whom
    ONLY=rename python3 benches/under_load.py                # only the renames
    ONLY=backfill SETTINGS="[postgres]\\nbackfill_max_batch_ms = 0" python3 benches/under_load.py

The load. PostgreSQL: pgbench, CLIENTS clients, each transaction a random-id UPDATE plus an
INSERT. MariaDB: CLIENTS Python threads with their own connections (pymysql, installed
with pip when missing), alternating that write transaction with an ORM's read-then-update
(SELECT the row, then UPDATE it, in one transaction); failures are counted per error, 1213
(deadlock) and 1205 (lock wait timeout) apart.

TRACE=1 also records, every few milliseconds, who waits for a lock and on whom, with the
lock mode (PostgreSQL: pg_stat_activity and pg_locks, sampled by a procedure in the
`postgres` database; log_lock_waits and the statement durations of tandem's sessions in
the server log; MariaDB: the process list and InnoDB's lock waits), and prints per run
tandem's statements, the lock waits and, for every gap over GAP_MS (default 50) ms, what
ran, waited and checkpointed during it.

TRACE leaves behind, for the next run, a login role tandem_bench_trace (tandem's sessions,
so that the server logs their statements) and a table and a procedure in the `postgres`
database; it reads the server log at PG_LOG (default: Debian's path for PostgreSQL 15).

Each tandem row is followed by the longest gap per phase (median). SETTLE=1 lets the
server flush between the phases, as the release between an expand and its contract does
in production (MariaDB: until the redo log is under 10 % full; PostgreSQL: a
CHECKPOINT); the migration time and p99 during then count the phases only.

ONLY="add column,check" runs only the changes whose name contains one of the words;
METHODS="tandem" runs only the named methods (naive, tandem,
tandem-views); HELD=0 skips the held-lock case; the no-migration baseline runs
BASE_SECONDS (default 10) seconds. Only 127.0.0.1 is used (TANDEM_BENCH_PG, default
postgres://postgres@127.0.0.1:5432; TANDEM_BENCH_MYSQL, default
mysql://root@127.0.0.1:3306) and the database TANDEM_BENCH_DB (default tandem_bench), which
every run drops and makes again: two runs at once need two names. Every run is bounded:
the load stops one second and a half after the migration, which is given at most
MAX_SECONDS (default 600).
"""

import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TANDEM = os.environ.get("TANDEM", os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                               "release", "tandem"))
DIALECT = os.environ.get("DIALECT", "postgres")
QUICK = os.environ.get("QUICK") == "1"
ROWS = int(os.environ.get("ROWS", "100000" if QUICK else "1000000"))
REPEATS = int(os.environ.get("REPEATS", "1" if QUICK else "3"))
CLIENTS = int(os.environ.get("CLIENTS", "4"))
TRACE = os.environ.get("TRACE") == "1"
GAP_MS = float(os.environ.get("GAP_MS", "50"))
ONLY = [w.strip() for w in os.environ.get("ONLY", "").split(",") if w.strip()]
HELD = os.environ.get("HELD", "1") != "0"
MAX_SECONDS = float(os.environ.get("MAX_SECONDS", "600"))
BASE_SECONDS = float(os.environ.get("BASE_SECONDS", "10"))
WARMUP_SECONDS = float(os.environ.get("WARMUP_SECONDS", "5"))
SETTLE = os.environ.get("SETTLE") == "1"
METHOD_NAMES = [w.strip() for w in os.environ.get("METHODS", "").split(",") if w.strip()]
PG = os.environ.get("TANDEM_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MY = os.environ.get("TANDEM_BENCH_MYSQL", "mysql://root@127.0.0.1:3306")
DB = os.environ.get("TANDEM_BENCH_DB", "tandem_bench")  # dropped and made again per run
URL = f"{PG if DIALECT == 'postgres' else MY}/{DB}"
TRACE_ROLE = "tandem_bench_trace"

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

# The naive statement on MariaDB, where it differs (the server's default algorithm:
# INSTANT or INPLACE where it can, a copy that blocks writes where it cannot).
NAIVE_MYSQL = {
    "int -> bigint": "ALTER TABLE accounts MODIFY COLUMN balance bigint NOT NULL;",
    "rename table": "RENAME TABLE accounts TO ledgers;",
}

HELD_OP = 'type = "add_column"\ntable = "accounts"\ncolumn = { name = "extra", type = "text", nullable = true }'
HELD_SQL = "ALTER TABLE accounts ADD COLUMN extra text;"

LOAD = """\\set id random(1, {rows})
\\set owner random(1, 100)
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
INSERT INTO accounts (id, owner_id, balance) VALUES (nextval('bench_ids'), :owner, 0);
"""


# ---------------------------------------------------------------------------------------
# Servers

def psql(sql, db=DB, check=True, user=None):
    base = PG if user is None else PG.replace("postgres@", f"{user}@", 1)
    return subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", f"{base}/{db}", "-At",
                           "-F", "\t", "-c", sql],
                          capture_output=True, text=True, check=check)


def ensure_pymysql():
    try:
        import pymysql  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pymysql"], check=True)
    import pymysql
    return pymysql


def my_connect(db=DB, **kw):
    pymysql = ensure_pymysql()
    u = urlparse(MY)
    return pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=db, autocommit=kw.pop("autocommit", True),
                           connect_timeout=10, read_timeout=int(MAX_SECONDS), **kw)


def mysql(sql, db=DB, check=True):
    """Runs statements through the mysql client, as a plain migration would."""
    u = urlparse(MY)
    r = subprocess.run(["mysql", "-h", u.hostname, "-P", str(u.port or 3306), "-u", u.username or "root",
                        *([f"-p{u.password}"] if u.password else []), db, "-e", sql],
                       capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r


def setup():
    if DIALECT == "postgres":
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
        psql(f"CREATE DATABASE {DB}", db="postgres")
        psql("CREATE TABLE owners (id bigint PRIMARY KEY);"
             "INSERT INTO owners SELECT generate_series(1, 100);"
             "CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint NOT NULL, balance integer NOT NULL, note text);"
             f"INSERT INTO accounts SELECT i, 1 + i % 100, 1 + i % 1000, 'n' || i FROM generate_series(1, {ROWS}) i;"
             f"CREATE SEQUENCE bench_ids START {ROWS + 1};")
        # VACUUM refuses the transaction that psql -c wraps several statements in.
        psql("VACUUM ANALYZE accounts")
        psql("CHECKPOINT")
        if TRACE:
            # Lock waits over 20 ms are logged with who holds the lock; tandem's own
            # sessions (TRACE_ROLE) log every statement with its duration.
            psql(f"ALTER DATABASE {DB} SET log_lock_waits = on", db="postgres")
            psql(f"ALTER DATABASE {DB} SET deadlock_timeout = '20ms'", db="postgres")
            psql(f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TRACE_ROLE}') "
                 f"THEN CREATE ROLE {TRACE_ROLE} LOGIN SUPERUSER; END IF; END$$", db="postgres")
            psql(f"ALTER ROLE {TRACE_ROLE} IN DATABASE {DB} SET log_min_duration_statement = 0", db="postgres")
    else:
        mysql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}", db="test")
        mysql("CREATE TABLE accounts (id bigint NOT NULL, owner_id bigint NOT NULL, balance integer NOT NULL,"
              " note longtext NULL, PRIMARY KEY (id));"
              "CREATE TABLE owners (id bigint NOT NULL, PRIMARY KEY (id));"
              "INSERT INTO owners SELECT seq FROM seq_1_to_100;"
              f"INSERT INTO accounts SELECT seq, 1 + seq % 100, 1 + seq % 1000, CONCAT('n', seq) FROM seq_1_to_{ROWS};"
              "ANALYZE TABLE accounts;")
        settle_redo()


def settle_redo(limit=10.0, timeout=120):
    """Waits until InnoDB has flushed what the setup wrote (its checkpoint age under
    `limit` % of the most it holds), so that a run measures the migration under the load,
    not the flushing of a million rows just inserted."""
    started = time.time()
    while time.time() - started < timeout:
        out = mysql("SELECT 100 * MAX(IF(VARIABLE_NAME = 'INNODB_CHECKPOINT_AGE', VARIABLE_VALUE, 0)) / "
                    "GREATEST(MAX(IF(VARIABLE_NAME = 'INNODB_CHECKPOINT_MAX_AGE', VARIABLE_VALUE, 0)), 1) "
                    "FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
                    "('INNODB_CHECKPOINT_AGE', 'INNODB_CHECKPOINT_MAX_AGE')", db="test").stdout.split()
        if out and float(out[-1]) < limit:
            return
        time.sleep(1)


def tandem_url():
    if DIALECT == "postgres" and TRACE:
        return URL.replace("postgres@", f"{TRACE_ROLE}@", 1)
    return URL


def project(op):
    d = tempfile.mkdtemp(prefix="tandem-bench-")
    with open(os.path.join(d, "tandem.toml"), "w") as f:
        f.write(f'dialect = "{DIALECT}"\ndatabase_url = "{tandem_url()}"\n')
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
    r = subprocess.run([TANDEM, "--project", d, "generate"], capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(d)
        return None, r.stderr.strip().splitlines()[0]
    # The baseline is there already: record it, as production would with --adopt.
    subprocess.run([TANDEM, "--project", d, "migrate", "--adopt", "--release", "0.9.0",
                    "--phase", "expand", "--skip-fleet-check", "--reason", "bench"],
                   check=True, capture_output=True)
    return d, None


# ---------------------------------------------------------------------------------------
# Methods: each takes a change and returns a function that applies it under the load and
# returns True when it finished with no error (no manual re-run needed), or a string
# saying why the method does not apply.

def naive(change):
    name, sql, _, _ = change
    if DIALECT == "mysql":
        sql = NAIVE_MYSQL.get(name, sql)

    def apply():
        if DIALECT == "postgres":
            return psql(sql, check=False).returncode == 0
        return mysql(sql, check=False).returncode == 0
    return apply


# The phases of the tandem run under way: (label, start, end), in seconds since the epoch.
PHASE_LOG = []


def settle():
    """Between two phases with SETTLE=1: what a release between them gives the server,
    its pages written since flushed (MariaDB: the redo log under 10 %; PostgreSQL: a
    checkpoint)."""
    if DIALECT == "mysql":
        settle_redo()
    else:
        psql("CHECKPOINT", check=False)


def with_tandem(change):
    _, _, op, through_contract = change
    d, refused = project(op)
    if d is None:
        return refused
    phases = [("1.0.0", "expand"), ("1.0.0", "contract"), ("1.1.0", "expand")]
    if through_contract:
        phases.append(("1.1.0", "contract"))

    def apply():
        try:
            for n, (release, phase) in enumerate(phases):
                if SETTLE and n > 0:
                    settle()
                phase_started = time.time()
                r = subprocess.run([TANDEM, "--project", d, "migrate", "--release", release,
                                    "--phase", phase, "--skip-fleet-check", "--reason", "bench"],
                                   capture_output=True, text=True, timeout=MAX_SECONDS)
                retries = [line for line in r.stderr.splitlines() if "retry" in line.lower()]
                if retries and TRACE:
                    print(f"    {release} {phase}: " + "; ".join(retries[:5]), file=sys.stderr)
                PHASE_LOG.append((f"{release} {phase}", phase_started, time.time()))
                if r.returncode != 0:
                    print(f"  tandem failed: {r.stderr.strip()[-600:]}", file=sys.stderr)
                    return False
            return True
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return apply


def with_tandem_views(change):
    """A rename in views mode: release schemas of views, no row copied."""
    name, sql, op, through_contract = change
    return with_tandem((name, sql, op + '\nmode = "views"', through_contract))


METHODS = [
    ("naive", naive),
    ("tandem", with_tandem),
    ("tandem-views", with_tandem_views),
]


# ---------------------------------------------------------------------------------------
# Loads: each runs until `stop` is set and returns (successes as (end in us, latency in
# ms), failures by kind).

class PgbenchLoad:
    def __init__(self):
        self.logdir = tempfile.mkdtemp(prefix="tandem-pgbench-")
        script = os.path.join(self.logdir, "load.sql")
        with open(script, "w") as f:
            f.write(LOAD.format(rows=ROWS))
        self.proc = subprocess.Popen(
            ["pgbench", "-n", "-c", str(CLIENTS), "-T", str(int(MAX_SECONDS)), "-f", script, "-l",
             "--log-prefix", os.path.join(self.logdir, "tx"), "--max-tries", "1",
             "--failures-detailed", URL],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self):
        # pgbench runs for a fixed time; end it by ending its sessions, after which it
        # writes its logs and exits.
        psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             f"WHERE datname = '{DB}' AND application_name = 'pgbench'", db="postgres", check=False)
        out, err = self.proc.communicate()
        ok = []
        for name in os.listdir(self.logdir):
            if not name.startswith("tx"):
                continue
            with open(os.path.join(self.logdir, name)) as f:
                for line in f:
                    parts = line.split()
                    # client_id transaction_no time script_no time_epoch time_us
                    if len(parts) < 6 or parts[2] in ("failed", "skipped"):
                        continue
                    ok.append((int(parts[4]) * 1_000_000 + int(parts[5]), int(parts[2]) / 1000))
        shutil.rmtree(self.logdir)
        fails = {}
        for line in (out + err).splitlines():
            s = line.strip()
            if s.startswith("number of failed transactions"):
                n = int(s.split(":")[1].split()[0])
                if n:
                    fails["failed"] = n
            if "aborted" in s and "client" in s and not any(
                    w in s for w in ("administrator command", "server closed", "terminat")):
                fails["aborted"] = fails.get("aborted", 0) + 1
        return ok, fails


class ThreadLoad:
    """MariaDB: CLIENTS threads, each alternating a write transaction (UPDATE a random row,
    INSERT a row) with an ORM's read-then-update (SELECT the row, then UPDATE it)."""

    def __init__(self):
        self.stop = threading.Event()
        self.ids = itertools.count(ROWS + 1)
        self.lock = threading.Lock()
        self.ok, self.fails, self.errors = [], {}, []
        self.conn_ids = set()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def client(self, i):
        pymysql = ensure_pymysql()
        conn = my_connect(autocommit=False)
        cur = conn.cursor()
        cur.execute("SELECT CONNECTION_ID()")
        with self.lock:
            self.conn_ids.add(cur.fetchone()[0])
        rng = random.Random(i)
        ok, n = [], 0
        deadline = time.time() + MAX_SECONDS
        while not self.stop.is_set() and time.time() < deadline:
            n += 1
            row = rng.randint(1, ROWS)
            started = time.time()
            step = "begin"
            try:
                if n % 2:
                    step = "update"
                    cur.execute("UPDATE accounts SET balance = balance + 1 WHERE id = %s", (row,))
                    step = "insert"
                    cur.execute("INSERT INTO accounts (id, owner_id, balance) VALUES (%s, %s, 0)",
                                (next(self.ids), rng.randint(1, 100)))
                else:
                    step = "select"
                    cur.execute("SELECT balance FROM accounts WHERE id = %s", (row,))
                    got = cur.fetchone()
                    step = "update after select"
                    cur.execute("UPDATE accounts SET balance = %s WHERE id = %s",
                                ((got[0] if got else 0) + 1, row))
                step = "commit"
                conn.commit()
                ended = time.time()
                ok.append((int(ended * 1_000_000), (ended - started) * 1000))
            except pymysql.err.MySQLError as e:
                code = e.args[0] if e.args else 0
                try:
                    conn.rollback()
                except pymysql.err.MySQLError:
                    conn = my_connect(autocommit=False)
                    cur = conn.cursor()
                kind = {1213: "1213", 1205: "1205"}.get(code, "other")
                with self.lock:
                    self.fails[kind] = self.fails.get(kind, 0) + 1
                    self.errors.append((time.time(), code, step, str(e)[:120]))
                if kind == "other":
                    time.sleep(0.01)
        with self.lock:
            self.ok.extend(ok)
        conn.close()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        return self.ok, self.fails


# ---------------------------------------------------------------------------------------
# Trace: who waits on whom while a migration runs

PG_TRACE_SETUP = """
CREATE TABLE IF NOT EXISTS tandem_bench_trace (
  at timestamptz, pid int, app text, usr text, backend text, state text, wait_type text,
  wait text, wants text, target text, blockers int[], held text, query_start timestamptz,
  xact_start timestamptz, query text);
TRUNCATE tandem_bench_trace;
CREATE OR REPLACE PROCEDURE tandem_bench_trace_loop(db text, seconds float8) LANGUAGE plpgsql AS $p$
DECLARE
  stop timestamptz := clock_timestamp() + seconds * interval '1 second';
BEGIN
  WHILE clock_timestamp() < stop LOOP
    INSERT INTO tandem_bench_trace
    WITH a AS (
      SELECT a.*, CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END AS blockers
      FROM pg_stat_activity a
      WHERE a.datname = db AND a.pid <> pg_backend_pid() AND a.state IS DISTINCT FROM 'idle'
    ), picked AS (
      SELECT * FROM a
      WHERE a.wait_event_type IN ('Lock', 'LWLock', 'IO', 'BufferPin')
         OR a.application_name <> 'pgbench'
         OR a.pid IN (SELECT unnest(blockers) FROM a)
    )
    SELECT clock_timestamp(), p.pid, p.application_name, p.usename, p.backend_type, p.state,
           p.wait_event_type, p.wait_event,
           (SELECT l.mode FROM pg_locks l WHERE l.pid = p.pid AND NOT l.granted LIMIT 1),
           (SELECT coalesce(l.locktype || ':' || coalesce(l.relation::text, l.transactionid::text, ''), '')
              FROM pg_locks l WHERE l.pid = p.pid AND NOT l.granted LIMIT 1),
           p.blockers,
           (SELECT string_agg(l.mode || ':' || l.relation::text, ',')
              FROM pg_locks l WHERE l.pid = p.pid AND l.granted AND l.locktype = 'relation'
                AND l.mode NOT IN ('AccessShareLock', 'RowExclusiveLock', 'RowShareLock')),
           p.query_start, p.xact_start, left(p.query, 200)
    FROM picked p;
    COMMIT;
    PERFORM pg_sleep(0.004);
  END LOOP;
END
$p$;
"""


class PgTracer:
    def __init__(self):
        psql(PG_TRACE_SETUP, db="postgres")
        self.before = psql("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter", db="postgres").stdout.strip()
        self.log = os.environ.get("PG_LOG", "/var/log/postgresql/postgresql-15-main.log")
        try:
            self.log_offset = os.path.getsize(self.log)
        except OSError:
            self.log_offset = None
        env = dict(os.environ, PGAPPNAME="bench_sampler")
        self.proc = subprocess.Popen(["psql", "-X", "-q", f"{PG}/postgres", "-c",
                                      f"CALL tandem_bench_trace_loop('{DB}', {MAX_SECONDS})"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    def finish(self):
        psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench_sampler'",
             db="postgres", check=False)
        self.proc.wait()
        rels = dict(line.split("\t") for line in psql(
            "SELECT oid, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace",
            check=False).stdout.split("\n") if "\t" in line)
        rows = []
        out = psql("SELECT extract(epoch FROM at), pid, app, usr, backend, state, coalesce(wait_type, ''), "
                   "coalesce(wait, ''), coalesce(wants, ''), coalesce(target, ''), coalesce(blockers::text, ''), "
                   "coalesce(held, ''), coalesce(extract(epoch FROM query_start)::text, ''), "
                   "replace(replace(coalesce(query, ''), E'\\n', ' '), E'\\t', ' ') "
                   "FROM tandem_bench_trace ORDER BY at", db="postgres").stdout
        for line in out.split("\n"):
            p = line.split("\t")
            if len(p) < 14:
                continue
            target = p[9]
            if target.startswith("relation:"):
                target = rels.get(target.split(":")[1], target)
            held = ",".join(f"{h.split(':')[0]}:{rels.get(h.split(':')[1], h.split(':')[1])}"
                            for h in p[11].split(",") if ":" in h)
            rows.append(dict(at=float(p[0]), pid=int(p[1]), app=p[2] or p[3], backend=p[4], state=p[5],
                             wait_type=p[6], wait=p[7], wants=p[8], target=target,
                             blockers=[int(b) for b in p[10].strip("{}").split(",") if b],
                             held=held, query_start=float(p[12]) if p[12] else 0.0, query=p[13]))
        after = psql("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter", db="postgres").stdout.strip()
        log = []
        if self.log_offset is not None:
            with open(self.log, errors="replace") as f:
                f.seek(self.log_offset)
                log = [line.rstrip() for line in f
                       if any(w in line for w in ("checkpoint", "still waiting", "acquired", "duration:",
                                                  "Process holding", "Processes holding", "deadlock"))]
        return dict(samples=rows, checkpoints=int(after or 0) - int(self.before or 0), log=log)


class MyTracer:
    def __init__(self, load):
        self.load = load
        self.samples = []
        self.redo = []  # (time, checkpoint age in % of its maximum)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn = my_connect(db="information_schema")
        cur = conn.cursor()
        while not self.stop.is_set():
            at = time.time()
            cur.execute("SELECT ID, COMMAND, TIME_MS, STATE, LEFT(REPLACE(INFO, '\\n', ' '), 200) "
                        "FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID() "
                        "AND COMMAND <> 'Sleep'", (DB,))
            procs = cur.fetchall()
            cur.execute("SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, LEFT(b.trx_query, 120), "
                        "l.lock_mode, l.lock_type, TIMESTAMPDIFF(MICROSECOND, r.trx_wait_started, NOW(6)) "
                        "FROM information_schema.INNODB_LOCK_WAITS w "
                        "JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id "
                        "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
                        "JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id")
            waits = cur.fetchall()
            # How full the redo log is: near its end InnoDB flushes pages synchronously
            # and every writer waits.
            cur.execute("SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                        "WHERE VARIABLE_NAME IN ('INNODB_CHECKPOINT_AGE', 'INNODB_CHECKPOINT_MAX_AGE')")
            status = dict(cur.fetchall())
            age = float(status.get("INNODB_CHECKPOINT_AGE") or 0)
            self.redo.append((at, 100 * age / max(float(status.get("INNODB_CHECKPOINT_MAX_AGE") or 1), 1)))
            self.samples.append((at, procs, waits))
            time.sleep(0.004)
        cur.execute("SHOW ENGINE INNODB STATUS")
        self.status = cur.fetchone()[2]
        conn.close()

    def finish(self):
        self.stop.set()
        self.thread.join()
        rows = []
        ids = self.load.conn_ids
        for at, procs, waits in self.samples:
            blockers = {}
            for waiter, blocker, bq, mode, kind, us in waits:
                blockers.setdefault(waiter, []).append((blocker, mode, kind, bq))
            for pid, command, time_ms, state, info in procs:
                app = "load" if pid in ids else "migration"
                waiting_mdl = state and "metadata lock" in state
                row = dict(at=at, pid=pid, app=app, backend=command, state=state or "",
                           wait_type="MDL" if waiting_mdl else ("Lock" if pid in blockers else ""),
                           wait=state or "", wants=",".join(sorted({f"{b[2]} {b[1]}" for b in blockers.get(pid, [])})),
                           target="accounts" if waiting_mdl or pid in blockers else "",
                           blockers=[b[0] for b in blockers.get(pid, [])], held="",
                           query_start=at - (float(time_ms or 0) / 1000), query=info or "")
                rows.append(row)
        deadlock = ""
        if "LATEST DETECTED DEADLOCK" in getattr(self, "status", ""):
            deadlock = self.status.split("LATEST DETECTED DEADLOCK")[1].split("------------\nTRANSACTIONS")[0]
        return dict(samples=rows, checkpoints=None, log=[], deadlock=deadlock.strip(), redo=self.redo,
                    errors=list(self.load.errors))


def episodes(samples, keep):
    """Groups the samples of one session running one statement into lists: consecutive
    samples of a session with the same statement text and start (within 5 ms: MariaDB
    gives the start in whole milliseconds of the statement's age)."""
    open_, done = {}, []
    for s in samples:
        if not keep(s):
            continue
        g = open_.get(s["pid"])
        same_start = DIALECT == "mysql" or abs(g[-1]["query_start"] - s["query_start"]) < 0.005 if g else False
        if g and g[-1]["query"] == s["query"] and same_start and g[-1]["target"] == s["target"] \
                and s["at"] - g[-1]["at"] < 0.03:
            g.append(s)
        else:
            if g:
                done.append(g)
            open_[s["pid"]] = [s]
    done.extend(open_.values())
    return sorted(done, key=lambda g: g[0]["at"])


def report_trace(trace, gaps, started, ended):
    samples = trace["samples"]
    by_time = {}
    for s in samples:
        by_time.setdefault(round(s["at"], 4), {})[s["pid"]] = s
    t0 = started

    def rel(t):
        return f"{(t - t0) * 1000:+8.0f} ms"
    print("    trace: migration statements (first start, runs, longest run, strong locks held, lock waits):")
    migration = episodes(samples, lambda s: s["app"] not in ("pgbench", "load", "bench_sampler")
                         and s["backend"] in ("client backend", "Query", "Execute"))

    def began(g):
        # MariaDB gives a statement's age only for the CALL around it: the first sample.
        if DIALECT == "postgres" and g[0]["query_start"]:
            return min(g[0]["query_start"], g[0]["at"])
        return g[0]["at"] - 0.002
    statements = {}
    for g in migration:
        st = statements.setdefault(g[0]["query"][:90], dict(start=began(g), runs=0, longest=0.0, held=set(),
                                                              waited=0, wants=""))
        st["runs"] += 1
        st["longest"] = max(st["longest"], (g[-1]["at"] - began(g)) * 1000)
        st["held"] |= {h for x in g for h in x["held"].split(",") if h}
        waits = [x for x in g if x["wait_type"] in ("Lock", "MDL")]
        st["waited"] += len(waits)
        st["wants"] = st["wants"] or (f"{waits[0]['wants'] or waits[0]['wait']} on {waits[0]['target']}" if waits else "")
    for text, st in sorted(statements.items(), key=lambda kv: kv[1]["start"]):
        if st["longest"] < 5 and not st["waited"]:
            continue
        print(f"      {rel(st['start'])} {st['runs']:>4}x {st['longest']:7.0f} ms  {text!r}"
              + (f"  holds {sorted(st['held'])}" if st["held"] else "")
              + (f"  waited {st['waited']} samples for {st['wants']}" if st["waited"] else ""))
    print("    trace: lock waits (waiter, wanted, on, how long, blocked by):")
    waits = episodes(samples, lambda s: s["wait_type"] in ("Lock", "MDL"))
    for g in waits:
        dur = (g[-1]["at"] - min(g[0]["query_start"] or g[0]["at"], g[0]["at"])) * 1000
        if dur < 15:
            continue
        blockers = sorted({b for s in g for b in s["blockers"]})
        desc = []
        for b in blockers[:4]:
            seen = [by_time.get(round(s["at"], 4), {}).get(b) for s in g]
            seen = [x for x in seen if x]
            if seen:
                x = seen[0]
                desc.append(f"{b} {x['app']} [{x['state']}{' ' + x['wait'] if x['wait'] else ''}] {x['query'][:60]!r}"
                            + (f" holds {x['held']}" if x["held"] else ""))
            else:
                desc.append(str(b))
        print(f"      {rel(g[0]['at'])} {g[0]['app']:<10} {g[0]['wants'] or g[0]['wait']:<24} {g[0]['target']:<10} "
              f"{dur:6.0f} ms  {g[0]['query'][:50]!r}  <- {'; '.join(desc) or '?'}")
    print(f"    trace: gaps over {GAP_MS:.0f} ms and what happened in them:")
    for a, b in gaps:
        a, b = a / 1e6, b / 1e6
        inside = [s for s in samples if a - 0.005 <= s["at"] <= b + 0.005]
        steps = sorted({s["query"][:70] for s in inside if s["app"] not in ("pgbench", "load", "bench_sampler")
                        and s["backend"] in ("client backend", "Query", "Execute")})
        waits_in = sorted({f"{s['app']} waits {s['wants'] or s['wait']} on {s['target']}" for s in inside
                           if s["wait_type"] in ("Lock", "MDL")})
        other = sorted({f"{s['app'] or s['backend']} {s['wait_type']}:{s['wait']}" for s in inside
                        if s["wait_type"] not in ("Lock", "MDL", "") or s["backend"] == "autovacuum worker"})
        queued = [s for s in inside if s["wait_type"] in ("Lock", "MDL") and s["app"] in ("pgbench", "load")]
        behind = sorted({f"{x['query'][:50]!r} ({x['state']})" for s in queued for b in s["blockers"]
                         for x in [by_time.get(round(s["at"], 4), {}).get(b)] if x})
        if queued:
            cause = "lock queue" + (f" behind {behind[:2]}" if behind else " (metadata lock)" if DIALECT == "mysql" else "")
        elif any(w.endswith("WALSync") or w.endswith("WALWrite") for w in other):
            cause = "WAL flush (commits wait for fsync)"
        elif other:
            cause = "I/O or internal lock: " + ", ".join(other[:3])
        else:
            cause = "no wait seen: processes not scheduled (CPU)"
        redo = [pct for at, pct in trace.get("redo", []) if a - 0.05 <= at <= b + 0.05]
        if redo:
            cause += f"; redo log {max(redo):.0f}% full"
        print(f"      {rel(a)} .. {rel(b)} ({(b - a) * 1000:.0f} ms): {cause}; running {steps[:2]}; {waits_in[:3]}")
    if trace.get("checkpoints") is not None:
        print(f"    trace: checkpoints during the run: {trace['checkpoints']}")
    if trace.get("redo"):
        print(f"    trace: redo log at most {max(p for _, p in trace['redo']):.0f}% full (InnoDB's checkpoint age)")
    for line in trace.get("log", []):
        if "duration:" in line and TRACE_ROLE not in line:
            continue
        if "checkpoint" not in line and "duration:" not in line and "deadlock" not in line:
            continue  # lock waits: the samples above say more
        if "duration:" in line and float(line.split("duration:")[1].split()[0]) < 5:
            continue
        print(f"    log: {line[:220]}")
    if trace.get("errors"):
        print("    trace: failed transactions (time, code, statement of the transaction):")
        for at, code, step, msg in trace["errors"][:20]:
            print(f"      {rel(at)} {code} at {step}: {msg[:80]}")
    if trace.get("deadlock"):
        print("    trace: InnoDB's latest deadlock:\n      " + trace["deadlock"][:1500].replace("\n", "\n      "))


# ---------------------------------------------------------------------------------------

def run_under_load(apply):
    """Runs the load, calling `apply()` WARMUP_SECONDS in and stopping the load a second
    and a half after it returns. Returns the figures of the run as a dict."""
    load = PgbenchLoad() if DIALECT == "postgres" else ThreadLoad()
    tracer = None
    if TRACE:
        tracer = PgTracer() if DIALECT == "postgres" else MyTracer(load)
    time.sleep(WARMUP_SECONDS)
    PHASE_LOG.clear()
    started = time.time()
    finished = apply()
    ended = time.time()
    time.sleep(1.5)
    ok, fails = load.finish()
    trace = tracer.finish() if tracer else None
    # What ran: tandem's phases, or the whole call (the naive DDL, the baseline's sleep).
    windows = list(PHASE_LOG) or [("all", started, ended)]
    took = sum(b - a for _, a, b in windows)
    ends = sorted(e for e, _ in ok)
    gaps = [(a, b) for a, b in zip(ends, ends[1:])]
    longest = max((b - a for a, b in gaps), default=0) / 1000
    # Per phase, the longest gap that ended during it or within a second after (the
    # writes a phase's last statement held up resume once it returns).
    phases = [(label, max((b - a for a, b in gaps if a0 * 1e6 <= b <= (a1 + 1) * 1e6), default=0) / 1000)
              for label, a0, a1 in windows]
    latencies = sorted(latency for _, latency in ok)
    p99 = percentile99(latencies)
    # The same run's own "no migration": the warm-up before apply() (its first second
    # left out, while the clients connect), against the writes that ended during it.
    first = min(ends, default=0)
    before = percentile99(sorted(lat for end, lat in ok
                                 if first + 1_000_000 <= end < started * 1_000_000))
    during = percentile99(sorted(lat for end, lat in ok
                                 if any(a * 1e6 <= end <= b * 1e6 for _, a, b in windows)))
    result = dict(took=took, gap=longest, max=max(latencies or [0]), p99=p99,
                  before=before, during=during, ratio=during / before if before else 0,
                  fail=sum(fails.values()), deadlocks=fails.get("1213", 0), timeouts=fails.get("1205", 0),
                  finished=bool(finished), tx=len(ok), phases=phases)
    if trace is not None:
        report_trace(trace, [(a, b) for a, b in gaps if (b - a) / 1000 >= GAP_MS], started, ended)
    return result


def percentile99(sorted_values):
    return sorted_values[int(len(sorted_values) * 0.99)] if sorted_values else 0


FIELDS = ["took", "gap", "max", "p99", "before", "during", "ratio", "fail", "deadlocks", "timeouts"]


def header():
    extra = f" {'1213':>5} {'1205':>5}" if DIALECT == "mysql" else ""
    print(f"| {'change':<22} | {'method':<12} | {'migration':>9} | {'longest gap':>11} | {'max lat':>9} | "
          f"{'p99':>8} | {'p99 before, during':>24} | {'fail':>4}{extra} |")
    print(f"|{'-' * 24}|{'-' * 14}|{'-' * 11}|{'-' * 13}|{'-' * 11}|{'-' * 10}|{'-' * 26}|{'-' * 6}"
          + ("|------|------|" if DIALECT == "mysql" else "|"))


def row(name, method, runs):
    med = {k: statistics.median(r[k] for r in runs) for k in FIELDS}
    extra = f" {med['deadlocks']:>5.0f} {med['timeouts']:>5.0f}" if DIALECT == "mysql" else ""
    print(f"| {name:<22} | {method:<12} | {med['took']:>7.2f} s | {med['gap']:>8.0f} ms | {med['max']:>6.0f} ms | "
          f"{med['p99']:>5.1f} ms | {med['before']:>4.1f} ms, {med['during']:>5.1f} ms ({med['ratio']:>4.1f}x) | "
          f"{med['fail']:>4.0f}{extra} |", flush=True)
    labels = [label for label, _ in runs[0]["phases"]]
    if len(labels) > 1 and all([lb for lb, _ in r["phases"]] == labels for r in runs):
        per_phase = ", ".join(f"{label} {statistics.median(r['phases'][i][1] for r in runs):.0f} ms"
                              for i, label in enumerate(labels))
        print(f"|   longest gap per phase: {per_phase}", flush=True)
    return med


def main():
    if not os.path.exists(TANDEM):
        sys.exit("build it first: cargo build --release")
    if DIALECT not in ("postgres", "mysql"):
        sys.exit("DIALECT is postgres or mysql")
    if DIALECT == "mysql":
        ensure_pymysql()
    print(f"{DIALECT}: {ROWS} rows, {CLIENTS} clients, median of {REPEATS} run(s)\n")
    header()
    baseline_runs = []
    for _ in range(REPEATS):
        setup()
        baseline_runs.append(run_under_load(lambda: time.sleep(BASE_SECONDS) or True))
    base = row("no migration", "-", baseline_runs)
    ratios = []
    for change in CHANGES:
        name = change[0]
        if ONLY and not any(w in name for w in ONLY):
            continue
        results = {}
        for method, make in METHODS:
            if METHOD_NAMES and method not in METHOD_NAMES:
                continue
            if method == "tandem-views" and not (DIALECT == "postgres" and name.startswith("rename")):
                continue
            runs = []
            for _ in range(REPEATS):
                setup()
                if TRACE:
                    print(f"  {name}, {method}:", flush=True)
                apply = make(change)
                if isinstance(apply, str):
                    why = apply.removeprefix("error: ").split(":")[0]
                    print(f"| {name:<22} | {method:<12} | refused at plan time ({why}) |")
                    break
                runs.append(run_under_load(apply))
            if runs:
                results[method] = row(name, method, runs)
        for method in ("tandem", "tandem-views"):
            if "naive" in results and method in results:
                ratios.append((name, method,
                               results["naive"]["gap"] / max(results[method]["gap"], 1e-9)))
    print("\nlongest gap, naive / tandem:")
    for name, method, ratio in ratios:
        print(f"  {name:<24} {method:<12} {ratio:6.1f}x")
    print(f"\nwith no migration: longest gap {base['gap']:.0f} ms, p99 {base['p99']:.1f} ms")

    if not HELD:
        return
    # Held lock: a transaction holds a row lock on the table (and so its table lock) for
    # 4 s while each method adds a column.
    print("\nheld lock (SELECT ... FOR UPDATE held 4 s while a column is added):")
    for method, make in METHODS:
        setup()
        apply = make(("held lock", HELD_SQL, HELD_OP, True))
        if isinstance(apply, str):
            continue

        def holder():
            if DIALECT == "postgres":
                subprocess.run(["psql", URL, "-c", "BEGIN; SELECT id FROM accounts WHERE id = 1 FOR UPDATE; "
                                "SELECT pg_sleep(4); COMMIT;"], capture_output=True)
            else:
                conn = my_connect(autocommit=False)
                cur = conn.cursor()
                cur.execute("SELECT id FROM accounts WHERE id = 1 FOR UPDATE")
                time.sleep(4)
                conn.commit()
                conn.close()
        t = threading.Thread(target=holder)

        def start_then_apply():
            t.start()
            time.sleep(0.3)
            return apply()
        r = run_under_load(start_then_apply)
        t.join()
        extra = f", 1213: {r['deadlocks']:.0f}, 1205: {r['timeouts']:.0f}" if DIALECT == "mysql" else ""
        print(f"  {method:<7} migration {r['took']:5.2f} s, longest writer stall {r['gap']:6.0f} ms, "
              f"max latency {r['max']:6.0f} ms, failed {r['fail']:.0f}{extra}, "
              f"{'finished without a re-run' if r['finished'] else 'FAILED: needs a manual re-run'}", flush=True)


if __name__ == "__main__":
    main()
