/**
 * Installs each compatibility client once into .state/compat (a Python virtualenv from PyPI,
 * Maven artifacts from Maven Central) and says how to run it.
 * A marker file holding a hash of the client's manifest makes later runs skip the install.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve('.state', 'compat');
const here = resolve('test', 'compat');
const big = { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 };

export interface Client {
  readonly name: string;
  readonly command: string;
  readonly args: (port: number, analystPassword: string) => string[];
  readonly env?: Record<string, string>;
}

const once = async (name: string, manifest: string, install: () => Promise<void>): Promise<void> => {
  mkdirSync(root, { recursive: true });
  const marker = join(root, `${name}.installed`);
  const hash = createHash('sha256').update(readFileSync(manifest)).digest('hex');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) return;
  await install();
  writeFileSync(marker, hash);
};

export const pythonClient = async (): Promise<Client> => {
  const venv = join(root, 'venv');
  const req = join(here, 'python', 'requirements.txt');
  await once('python', req, async () => {
    if (!existsSync(join(venv, 'bin', 'python'))) await run('python3', ['-m', 'venv', venv], big);
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', req], big);
  });
  return { name: 'clickhouse-connect', command: join(venv, 'bin', 'python'), args: (p, pw) => [join(here, 'python', 'compat.py'), String(p), pw] };
};

export const javaClient = async (): Promise<Client> => {
  const dir = join(here, 'java');
  const cpFile = join(root, 'java-cp.txt');
  const classes = join(root, 'java-classes');
  await once('java', join(dir, 'pom.xml'), async () => {
    await run('mvn', ['-q', '-B', `-Dmaven.repo.local=${join(root, 'm2')}`, '-f', join(dir, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`], big);
  });
  const cp = readFileSync(cpFile, 'utf8').trim();
  mkdirSync(classes, { recursive: true });
  await run('javac', ['-d', classes, '-cp', cp, join(dir, 'src', 'main', 'java', 'Compat.java')], big);
  return { name: 'clickhouse-jdbc (HTTP)', command: 'java', args: (p, pw) => ['-cp', `${classes}:${cp}`, 'Compat', String(p), pw] };
};
