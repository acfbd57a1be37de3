/**
 * Log lines for a person at a terminal: a request is one short line (`12:04:05 POST /orders 202 14 ms`), any
 * other entry its level, message and saga (`12:04:05 INFO order saga started order-…`), and an error keeps its
 * stack. Machines (a pipe, a file, production) get
 * pino's JSON instead: see `LOG_FORMAT`.
 */
import type { DestinationStream } from 'pino';

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** The fields of a pino entry this format reads. */
interface LogEntry {
  level?: number;
  time?: number;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { stack?: string; message?: string };
  /** The saga an entry is about. */
  workflowId?: string;
}

/** One pino JSON line as a short human one (a line that is not JSON passes through). */
function prettyLogLine(json: string): string {
  let entry: LogEntry;
  try {
    entry = JSON.parse(json) as LogEntry;
  } catch {
    return json;
  }
  const time = new Date(entry.time ?? Date.now()).toTimeString().slice(0, 8);
  const level = levelNames[entry.level ?? 30] ?? 'INFO';
  const { req, res } = entry;
  const head =
    req && res?.statusCode !== undefined
      ? `${time} ${req.method} ${req.url} ${res.statusCode} ${Math.round(entry.responseTime ?? 0)} ms`
      : `${time} ${level} ${entry.msg ?? ''}${entry.workflowId ? ` ${entry.workflowId}` : ''}`;
  const error = entry.err?.stack ?? entry.err?.message;
  return `${error ? `${head}\n${error}` : head}\n`;
}

/** A pino destination that writes {@link prettyLogLine}s to `out`. */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(prettyLogLine(line)) };
}
