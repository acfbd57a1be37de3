/**
 * docker-compose.yml against the Compose specification, with compose-go (the loader `docker compose` itself
 * uses; scripts/compose-check). There is no Docker engine here: the file is validated, not run; the same wiring
 * runs without containers in `npm run test:cluster`.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..');
const checker = path.join(projectRoot, 'scripts', 'compose-check');

function check(file: string): { status: number | null; output: string } {
  const result = spawnSync('go', ['run', '.', file], { cwd: checker, encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('docker-compose.yml', () => {
  it('is valid, with the topology the README describes', () => {
    const { status, output } = check(path.join(projectRoot, 'docker-compose.yml'));
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringMatching(
        /is valid: api, inventory, orders, payments, postgresql, shipping, temporal, temporal-schema, temporal-setup, temporal-ui$/,
      ),
    });
  }, 240_000);

  it.each([
    {
      breakage: 'a dependency condition the specification does not have',
      edit: (yaml: string) => yaml.replace('condition: service_completed_successfully', 'condition: service_done'),
      message: /depends_on\.temporal-setup\.condition value must be one of 'service_started'/,
    },
    {
      breakage: 'a worker whose entry has no source',
      edit: (yaml: string) => yaml.replace('dist/workers/payments.js', 'dist/workers/billing.js'),
      message: /service payments: runs dist\/workers\/billing\.js, but there is no workers\/billing\.ts/,
    },
    {
      breakage: 'a property the specification does not have',
      edit: (yaml: string) => yaml.replace('  temporal-ui:\n', '  temporal-ui:\n    replicas: 2\n'),
      message: /services\.temporal-ui\.replicas false schema/,
    },
  ])(
    'is refused with $breakage',
    async ({ edit, message }) => {
      // Beside the real one, so that its build context (.) and Dockerfile resolve the same way.
      const broken = path.join(projectRoot, `.compose-test-${randomUUID()}.yml`);
      await writeFile(broken, edit(await readFile(path.join(projectRoot, 'docker-compose.yml'), 'utf8')));
      try {
        const { status, output } = check(broken);
        expect({ status, output }).toEqual({ status: 1, output: expect.stringMatching(message) });
      } finally {
        await rm(broken, { force: true });
      }
    },
    240_000,
  );
});
