/**
 * A process of the system under test as the chaos run holds it: started and awaited until it serves, killed with
 * SIGKILL and started again on the run's schedule, and watched in between. A death the run did not cause is a
 * finding: it is recorded with the process's last words, and the process is started again as soon as it can be.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Launched } from '../processes';
import { stopProcess } from '../processes';

/** A process that exited without being told to. */
export interface ProcessDeath {
  name: string;
  /** Seconds into the run. */
  atSeconds: number;
  /** Its exit code, or the signal that ended it. */
  exit: number | string;
  /** The end of what it wrote to stderr. */
  lastWords: string;
}

export interface SupervisedProcessOptions {
  name: string;
  launch: () => Launched;
  /** Whether the process serves yet (polls, listens, answers). */
  ready: (launched: Launched) => Promise<boolean> | boolean;
  /** How long it may take to serve. @default 30 s */
  readyTimeoutMs?: number;
  onDeath: (death: ProcessDeath) => void;
  /** Seconds since the run began, for the record. */
  clock: () => number;
}

const restartPauseMs = 2000;

export class SupervisedProcess {
  readonly name: string;
  /** Every process launched under this name, in order, for the logs. */
  readonly launches: Launched[] = [];
  /** The process launched last, while it runs: what a kill or a stop ends. */
  #current: Launched | undefined;
  /** The same, once it served: only its exit can be a death. */
  #serving: Launched | undefined;
  /** Set while the run itself ends the process, so that its exit is not taken for a death. */
  #stopping = false;
  #stopped = false;
  #restarting: Promise<void> | undefined;

  constructor(private readonly options: SupervisedProcessOptions) {
    this.name = options.name;
  }

  /** Launches the process and waits until it serves; throws with its output if it exits or hangs first. */
  async start(): Promise<void> {
    // A fault under way when the run stops must not bring the process back behind its back.
    if (this.#stopped) throw new Error(`${this.name} is stopped for good`);
    const launched = this.options.launch();
    this.launches.push(launched);
    this.#current = launched;
    let exited = false;
    void launched.exited.then((exit) => {
      exited = true;
      this.#onExit(launched, exit);
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    while (!exited && !(await this.#isReady(launched))) {
      if (Date.now() > deadline) {
        await this.#end('SIGKILL');
        throw new Error(`${this.name} did not start within the bound:\n${tail(launched.output())}`);
      }
      await delay(100);
    }
    if (exited) {
      this.#current = undefined;
      throw new Error(`${this.name} exited while starting (${await launched.exited}):\n${tail(launched.output())}`);
    }
    this.#serving = launched;
  }

  /** `kill -9`, and waits until the process is gone. */
  async kill(): Promise<void> {
    await this.#restarting;
    await this.#end('SIGKILL');
  }

  /** Stops the process for good: SIGTERM, then SIGKILL if it has not exited within 15 s. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#restarting;
    const launched = this.#current;
    if (!launched) return;
    const timer = setTimeout(() => launched.child.kill('SIGKILL'), 15_000);
    await this.#end('SIGTERM');
    clearTimeout(timer);
  }

  /** Writes the output of every process launched under this name to `<dir>/<name>-<n>.log`. */
  async writeLogs(dir: string): Promise<void> {
    await Promise.all(
      this.launches.map((launched, index) =>
        writeFile(path.join(dir, `${this.name}-${index + 1}.log`), launched.output()),
      ),
    );
  }

  async #isReady(launched: Launched): Promise<boolean> {
    try {
      return await this.options.ready(launched);
    } catch {
      return false;
    }
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const launched = this.#current;
    if (!launched) return;
    this.#stopping = true;
    try {
      await stopProcess(launched, signal);
    } finally {
      this.#current = undefined;
      this.#serving = undefined;
      this.#stopping = false;
    }
  }

  #onExit(launched: Launched, exit: number | string): void {
    if (this.#serving !== launched || this.#stopping) return;
    this.#current = undefined;
    this.#serving = undefined;
    this.options.onDeath({
      name: this.name,
      atSeconds: this.options.clock(),
      exit,
      lastWords: tail(launched.errors()),
    });
    this.#restarting = this.#restartUntilServing();
  }

  /** After a death: start again until it serves (it may die again at once while the Temporal server is down). */
  async #restartUntilServing(): Promise<void> {
    while (!this.#stopped) {
      await delay(restartPauseMs);
      try {
        await this.start();
        return;
      } catch {
        // Started while what it needs is down: the next try comes after the pause.
      }
    }
  }
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
