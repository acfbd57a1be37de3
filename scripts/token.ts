/**
 * `npm run --silent token -- <customerId>` prints a customer's bearer token for the API, signed with the
 * development secret (`API_TOKEN_SECRET`, or the one `npm start` keeps in `<DATA_DIR>/api-token-secret`, made here
 * if it is not there yet); `--operator` makes an operator's, `--expires <span>` (jose's: `30m`, `12h`, `7d`) sets
 * its life, 12 hours by default. With `API_JWKS_URL` set, tokens come from the identity provider, not from here.
 */
import { parseArgs } from 'node:util';
import { loadTokenSettings, signToken } from '../api/access-tokens';
import { CustomerIdSchema } from '../api/orders/schema';
import { loadConfig } from '../config';
import { reportFatalError } from '../config/startup';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { operator: { type: 'boolean', default: false }, expires: { type: 'string', default: '12h' } },
  });
  const [subject = values.operator ? 'operator' : undefined] = positionals;
  if (subject === undefined || positionals.length > 1) {
    throw new Error('Usage: npm run --silent token -- <customerId> [--operator] [--expires 12h]');
  }
  if (!values.operator && !CustomerIdSchema.safeParse(subject).success) {
    throw new Error(`'${subject}' is not a customer id: 1 to 64 letters, digits or ".", "_", "@", ":", "-".`);
  }
  const { settings } = await loadTokenSettings(loadConfig());
  console.log(await signToken(settings, { subject, operator: values.operator, expiresIn: values.expires }));
}

main().catch(reportFatalError);
