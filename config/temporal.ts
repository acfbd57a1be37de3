/** Connection settings shared by the API's client and the workers' native connection. */
import type { Config } from './index';

/** Where a process connects when no address is configured: the dev server `npm start` launches. */
export const defaultTemporalAddress = 'localhost:7233';

export interface TemporalConnectionOptions {
  address: string;
  tls?: true;
  apiKey?: string;
}

export function temporalConnectionOptions(config: Config, address?: string): TemporalConnectionOptions {
  const { apiKey, tls } = config.temporal;
  return {
    address: address ?? config.temporal.address ?? defaultTemporalAddress,
    ...(tls ? { tls: true } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}
