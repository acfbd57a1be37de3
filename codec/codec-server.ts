/**
 * The codec server: the HTTP endpoints through which the Temporal Web UI and the `temporal` CLI
 * (`--codec-endpoint`) show payloads decoded. Temporal's codec server protocol: `POST .../decode` and
 * `POST .../encode`, only the last path segment counting (so that it can be mounted under any path), with an
 * `X-Namespace` header and a body `{ payloads: [...] }` of payloads in the Temporal API's JSON (metadata values and
 * data in base64); the answer is the same shape. Access: {@link originCheck}, then {@link tokenCheck}.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import express from 'express';
import { z } from 'zod';
import type { CodecAccess } from './codec-access';
import { originCheck, tokenCheck } from './codec-access';
import { CodecProblem, CodecProblemType, codecNotFound, codecProblemHandler } from './codec-problem';

export interface CodecServerDeps {
  codec: PayloadCodec;
  access: CodecAccess;
  /** The namespace whose payloads it serves; a request naming another is refused. */
  namespace: string;
}

/** The largest body taken: a page of history's payloads. */
export const codecBodyLimit = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const PayloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});
type JsonPayload = z.infer<typeof PayloadsBody>['payloads'][number];

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

export function createCodecServerApp({ codec, access, namespace }: CodecServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // For health checks: says nothing but that the process serves.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(originCheck(access));
  app.use((req, _res, next) => {
    const action = req.path.split('/').at(-1);
    if (action !== 'decode' && action !== 'encode') return next();
    if (req.method !== 'POST') throw new CodecProblem(CodecProblemType.MethodNotAllowed, `${req.path} takes POST.`);
    const named = req.get('x-namespace');
    if (named && named !== namespace) {
      throw new CodecProblem(CodecProblemType.OtherNamespace, `This codec server serves namespace '${namespace}'.`);
    }
    next();
  });
  // The token before the body: nobody unauthenticated makes the server parse megabytes.
  const authorized = [tokenCheck(access), express.json({ limit: codecBodyLimit, type: () => true })];
  const convert = (direction: 'encode' | 'decode'): express.RequestHandler => {
    return async (req, res) => {
      const body = PayloadsBody.safeParse(req.body);
      if (!body.success) {
        const issue = body.error.issues[0]!;
        throw new CodecProblem(CodecProblemType.InvalidPayloads, `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const payloads = body.data.payloads.map(fromJson);
      const converted = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
      res.json({ payloads: converted.map(toJson) });
    };
  };
  app.post(/\/decode$/, ...authorized, convert('decode'));
  app.post(/\/encode$/, ...authorized, convert('encode'));
  app.use(codecNotFound);
  app.use(codecProblemHandler);
  return app;
}
