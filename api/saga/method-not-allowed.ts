/**
 * Methods a route does not have. Every path a router serves answers any other method with 405 `method-not-allowed`
 * and an `Allow` header that lists its own, and OPTIONS with 204 and the same header. HEAD stays express's: a GET
 * route answers it, without a body. A path the router does not serve falls through, to the 404.
 */
import type { IRoute, RequestHandler, Router } from 'express';
import { HttpProblem, ProblemType } from './problem';

/** The methods each path of `router` serves, from its routes (a path may have a route per method). */
function methodsByPath(router: Router): Map<string, Set<string>> {
  const byPath = new Map<string, Set<string>>();
  for (const { route } of router.stack) {
    if (!route) continue;
    const methods = byPath.get(route.path) ?? new Set<string>();
    for (const method of Object.keys((route as IRoute & { methods: Record<string, boolean> }).methods)) {
      methods.add(method.toUpperCase());
    }
    byPath.set(route.path, methods);
  }
  return byPath;
}

/** The `Allow` header of a path with `methods`: HEAD with GET (express answers it), and OPTIONS always. */
function allowHeader(methods: Set<string>): string {
  const allowed = new Set([...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS']);
  return [...allowed].sort().join(', ');
}

function answerOtherMethods(allow: string): RequestHandler {
  return (req, res) => {
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new HttpProblem(
      ProblemType.MethodNotAllowed,
      `${req.method} is not allowed on this route; it allows ${allow}.`,
    );
  };
}

/** Adds to `router`, after its routes, the 405 and OPTIONS answers of each of its paths; call it last. */
export function refuseUnlistedMethods(router: Router): Router {
  for (const [path, methods] of methodsByPath(router)) router.all(path, answerOtherMethods(allowHeader(methods)));
  return router;
}
