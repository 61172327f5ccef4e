import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { components, type ComponentSpec, type ToolName } from './components.js';

const wrappersDir = dirname(fileURLToPath(import.meta.url));

export type ToolPaths = Record<ToolName, string>;

export interface Progress {
  step(message: string): void;
  tick(message: string): void;
  done(message: string): void;
}

export class ToolBuildError extends Error {
  override name = 'ToolBuildError';
}

/** Built binaries live outside the work tree so fresh clones and CI runs reuse them. */
export function toolsCacheDir(): string {
  return (
    process.env.LIFEBOAT_TOOLS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lifeboat', 'tools')
  );
}

/** Keyed by component, version and the wrapper's pins: editing go.mod/go.sum yields a new cache entry. */
export function componentKey(spec: ComponentSpec): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum']) hash.update(readFileSync(join(wrappersDir, spec.name, file)));
  return `${spec.name}-${spec.version}-${hash.digest('hex').slice(0, 12)}`;
}

function binaryWorks(path: string, versionArgs: string[]): boolean {
  if (!existsSync(path)) return false;
  const result = spawnSync(path, versionArgs, {
    stdio: 'ignore',
    timeout: 20_000,
    env: { ...process.env, HOME: tmpHome() },
  });
  return result.status === 0;
}

function tmpHome(): string {
  // Some CLIs write config on --version; keep that out of the user's home.
  const dir = join(toolsCacheDir(), '.home');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function goVersion(): string | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function cachedBinaries(spec: ComponentSpec): Partial<ToolPaths> | undefined {
  const dir = join(toolsCacheDir(), componentKey(spec));
  if (!existsSync(join(dir, '.complete'))) return undefined;
  const paths: Partial<ToolPaths> = {};
  for (const bin of spec.binaries) {
    const path = join(dir, bin.name);
    if (!binaryWorks(path, bin.versionArgs)) return undefined;
    paths[bin.name as ToolName] = path;
  }
  return paths;
}

function runGo(args: string[], cwd: string, logFile: string, onTick: (elapsed: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('go', args, {
      cwd,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-modcacherw -mod=readonly', GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    const timer = setInterval(() => onTick(Date.now() - started), 1000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const text = Buffer.concat(output).toString('utf8');
      writeFileSync(logFile, text);
      if (code === 0) resolve();
      else {
        const tail = text.trim().split('\n').slice(-20).join('\n');
        reject(new ToolBuildError(`go ${args.join(' ')} failed (exit ${code}); full log: ${logFile}\n${tail}`));
      }
    });
  });
}

async function buildComponent(spec: ComponentSpec, progress: Progress): Promise<Partial<ToolPaths>> {
  const finalDir = join(toolsCacheDir(), componentKey(spec));
  const stagingDir = `${finalDir}.partial-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  for (const bin of spec.binaries) {
    const label = `${spec.name} ${spec.version}: ${bin.name}`;
    await runGo(
      ['build', '-trimpath', '-ldflags', bin.ldflags.join(' '), '-o', join(stagingDir, bin.name), bin.pkg],
      join(wrappersDir, spec.name),
      join(stagingDir, `build-${bin.name}.log`),
      (ms) =>
        progress.tick(`building ${label} (${Math.round(ms / 1000)}s; a cold build downloads and compiles for minutes)`),
    );
    if (!binaryWorks(join(stagingDir, bin.name), bin.versionArgs)) {
      throw new ToolBuildError(`${label} was built but does not run '${bin.versionArgs.join(' ')}'`);
    }
  }
  writeFileSync(join(stagingDir, '.complete'), new Date().toISOString());
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(stagingDir, finalDir);
  return Object.fromEntries(spec.binaries.map((b) => [b.name, join(finalDir, b.name)]));
}

/**
 * Returns a path for every tool: a working cached build, else a fresh build (needs Go), else the binary on PATH.
 * A cached binary that no longer runs is rebuilt.
 */
export async function ensureTools(progress: Progress, only?: string[]): Promise<ToolPaths> {
  const paths: Partial<ToolPaths> = {};
  const wanted = components.filter((c) => !only || only.includes(c.name));
  const hasGo = goVersion();
  for (const [index, spec] of wanted.entries()) {
    const prefix = `[${index + 1}/${wanted.length}] ${spec.name} ${spec.version}`;
    const cached = cachedBinaries(spec);
    if (cached) {
      Object.assign(paths, cached);
      progress.done(`${prefix}: cached`);
      continue;
    }
    if (!hasGo) {
      const fromPath = Object.fromEntries(spec.binaries.map((b) => [b.name, onPath(b.name)]));
      const missing = spec.binaries.filter((b) => !fromPath[b.name]).map((b) => b.name);
      if (missing.length === 0) {
        Object.assign(paths, fromPath);
        progress.done(`${prefix}: using binaries from PATH`);
        continue;
      }
      throw new ToolBuildError(
        `Go is not installed, so ${spec.name} ${spec.version} cannot be built. Install Go >= 1.26 ` +
          `(from go.dev; any Go >= 1.21 fetches the toolchain it needs through the module proxy) ` +
          `or put ${missing.join(', ')} on PATH.`,
      );
    }
    progress.step(`${prefix}: building with ${hasGo}`);
    const started = Date.now();
    Object.assign(paths, await buildComponent(spec, progress));
    progress.done(`${prefix}: built in ${Math.round((Date.now() - started) / 1000)}s`);
  }
  return paths as ToolPaths;
}

/** Console progress: rewrites one line on a terminal, prints a line every 15 s otherwise (CI logs). */
export function consoleProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let lastTick = 0;
  const clear = () => {
    if (stream.isTTY) stream.write('\r\x1b[2K');
  };
  return {
    step: (message) => {
      clear();
      stream.write(`${message}\n`);
    },
    tick: (message) => {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K  ${message}`);
      } else if (Date.now() - lastTick > 15_000) {
        lastTick = Date.now();
        stream.write(`  ${message}\n`);
      }
    },
    done: (message) => {
      clear();
      stream.write(`${message}\n`);
    },
  };
}
