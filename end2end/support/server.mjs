// Starts and stops the `automat` server binary (and the separate `automat simulate`
// process) for one test file, each run on its own free ports and a fresh SQLite
// database in a temporary directory.
//
// Environment (scripts/e2e.sh sets both):
//   AUTOMAT_BIN        the server binary   (default <repo>/target/debug/automat, or
//                                          $CARGO_TARGET_DIR/debug/automat)
//   AUTOMAT_SITE_ROOT  the built site dir  (default <repo>/target/site, or
//                                          $CARGO_TARGET_DIR/site)
//   E2E_READY_TIMEOUT_MS  how long to wait for /health/ready (default 60000)

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET_DIR = process.env.CARGO_TARGET_DIR
  ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
  : path.join(REPO_ROOT, 'target');

export const AUTOMAT_BIN = process.env.AUTOMAT_BIN || path.join(TARGET_DIR, 'debug', 'automat');
export const SITE_ROOT = process.env.AUTOMAT_SITE_ROOT || path.join(TARGET_DIR, 'site');

export const ADMIN_EMAIL = 'e2e-admin@automat.local';
export const ADMIN_PASSWORD = 'e2e-secret-password';

const READY_TIMEOUT_MS = Number(process.env.E2E_READY_TIMEOUT_MS || 60_000);
const LOG_LIMIT = 256 * 1024;

/** Ports this process has handed out: the kernel may offer a released one again. */
const handedOut = new Set();

/**
 * A free TCP port on 127.0.0.1 (asked from the kernel, then released), never one
 * this process handed out before: a test names a port for one server before it
 * starts the next, and the kernel may offer the same, still unused, port twice.
 */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Keeps the last LOG_LIMIT characters a child printed. */
class LogBuffer {
  constructor() {
    this.text = '';
  }
  append(chunk) {
    this.text += chunk.toString();
    if (this.text.length > LOG_LIMIT) this.text = this.text.slice(-LOG_LIMIT);
  }
  toString() {
    return this.text;
  }
}

function assertBinary() {
  if (!existsSync(AUTOMAT_BIN)) {
    throw new Error(
      `server binary ${AUTOMAT_BIN} not found: build it first (cargo build -p server, ` +
        'or scripts/build-site.sh) or set AUTOMAT_BIN',
    );
  }
}

function run(args, env, cwd) {
  return new Promise((resolve, reject) => {
    execFile(AUTOMAT_BIN, args, { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`automat ${args.join(' ')} failed: ${err.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`, { cause: err }));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Spawns a child that is killed when this test process exits, whatever happens. */
const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
const tmpdirs = new Set();
function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tmpdirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killChildren);
// Killed by a signal (Ctrl-C, the test runner giving up): take the children along,
// then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killChildren();
    process.kill(process.pid, signal);
  });
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child, graceMs = 5_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const gone = await Promise.race([exited(child).then(() => true), sleep(graceMs).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/**
 * Starts `automat` (serve) and waits for GET /health/ready to answer 200.
 *
 * options:
 *   simulatedMachines  AUTOMAT_SIMULATED_MACHINES (default 3)
 *   seedMachines       when a number, run `automat seed --machines N` against the fresh
 *                      database before the server starts (its own first-start seed is
 *                      then skipped, since the store has products)
 *   heartbeatSecs      AUTOMAT_HEARTBEAT_SECS (default 1)
 *   httpPort           the port to serve on, when the caller had to name it before
 *                      (a simulator's webhook address); a free one otherwise
 *   env                extra environment variables
 */
export async function startServer(options = {}) {
  assertBinary();
  const { simulatedMachines = 3, seedMachines, heartbeatSecs = 1, env: extraEnv = {} } = options;
  const tmpdir = await mkdtemp(path.join(os.tmpdir(), 'automat-e2e-'));
  tmpdirs.add(tmpdir);
  const httpPort = options.httpPort ?? (await freePort());
  const mqttPort = await freePort();
  const databaseUrl = `sqlite://${tmpdir}/automat.db?mode=rwc`;
  const env = {
    ...process.env,
    AUTOMAT_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    AUTOMAT_DATABASE_URL: databaseUrl,
    AUTOMAT_MQTT_EMBEDDED_ADDR: `127.0.0.1:${mqttPort}`,
    AUTOMAT_SIMULATED_MACHINES: String(simulatedMachines),
    AUTOMAT_HEARTBEAT_SECS: String(heartbeatSecs),
    AUTOMAT_ADMIN_EMAIL: ADMIN_EMAIL,
    AUTOMAT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    AUTOMAT_SITE_ROOT: SITE_ROOT,
    AUTOMAT_LOG: process.env.AUTOMAT_LOG || 'warn',
  };
  // What selects external services or another config file must not leak in from the
  // caller (the server runs in the temp dir, so no ./automat.env is found either).
  for (const name of ['AUTOMAT_MQTT_URL', 'AUTOMAT_REDIS_URL', 'AUTOMAT_CONFIG_FILE', 'AUTOMAT_SEED_DEMO', 'AUTOMAT_SECURE_COOKIES', 'AUTOMAT_CURRENCY']) {
    delete env[name];
  }
  Object.assign(env, extraEnv);

  const log = new LogBuffer();
  if (typeof seedMachines === 'number') {
    const { stdout, stderr } = await run(['seed', '--machines', String(seedMachines)], env, tmpdir);
    log.append(`$ automat seed --machines ${seedMachines}\n${stdout}${stderr}`);
  }

  const child = track(spawn(AUTOMAT_BIN, [], { env, cwd: tmpdir, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.on('data', (d) => log.append(d));
  child.stderr.on('data', (d) => log.append(d));

  const baseURL = `http://127.0.0.1:${httpPort}`;
  const server = {
    baseURL,
    httpPort,
    mqttPort,
    brokerUrl: `mqtt://127.0.0.1:${mqttPort}`,
    databaseUrl,
    tmpdir,
    env,
    process: child,
    logs: () => log.toString(),
    async stop() {
      await terminate(child);
      await rm(tmpdir, { recursive: true, force: true });
      tmpdirs.delete(tmpdir);
    },
  };

  try {
    await waitReady(baseURL, child, log);
  } catch (err) {
    await server.stop();
    throw new Error(`${err.message}\n--- server output ---\n${log}`, { cause: err });
  }
  return server;
}

async function waitReady(baseURL, child, log) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${baseURL}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === 200) return JSON.parse(body);
      last = `HTTP ${res.status}: ${body}`;
    } catch (err) {
      last = String(err.cause?.code || err.message);
    }
    await sleep(100);
  }
  throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms (last: ${last})`);
}

/**
 * Runs `automat simulate` against the server's embedded broker.
 * Returns { process, logs(), kill(signal), stop() }; kill resolves once it exited.
 */
export function startSimulator(server, { machines = 1, first = 1, heartbeatSecs = 1 } = {}) {
  assertBinary();
  const args = [
    'simulate',
    '--broker',
    server.brokerUrl,
    '--machines',
    String(machines),
    '--first',
    String(first),
    '--heartbeat-secs',
    String(heartbeatSecs),
  ];
  const log = new LogBuffer();
  const child = track(spawn(AUTOMAT_BIN, args, { env: server.env, cwd: server.tmpdir, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.on('data', (d) => log.append(d));
  child.stderr.on('data', (d) => log.append(d));
  return {
    process: child,
    logs: () => log.toString(),
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
    stop: () => terminate(child),
  };
}

/**
 * Runs `fn`; when it throws, prints the given processes' output to stderr (so the
 * test report shows what the server said) and rethrows.
 */
export async function withLogs(sources, fn) {
  try {
    return await fn();
  } catch (err) {
    for (const [name, source] of Object.entries(sources)) {
      const text = typeof source === 'function' ? source() : source?.logs?.();
      if (text) process.stderr.write(`\n----- ${name} output (last ${LOG_LIMIT / 1024} KiB) -----\n${text}\n----- end of ${name} output -----\n`);
    }
    throw err;
  }
}
