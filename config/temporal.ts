/** Connection settings shared by the API's client and the workers' native connection. */
import type { TLSConfig } from '@temporalio/client';
import type { Config } from './index';

/** Where a process connects when no address is configured: the dev server `npm start` launches. */
export const defaultTemporalAddress = 'localhost:7233';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

/** Options for both `Connection.connect` (client) and `NativeConnection.connect` (workers). */
export function temporalConnectionOptions(config: Config, address?: string): TemporalConnectionOptions {
  const { apiKey, tls, clientCertificate, serverRootCa, serverName } = config.temporal;
  const tlsConfig: TLSConfig = {
    ...(clientCertificate ? { clientCertPair: clientCertificate } : {}),
    ...(serverRootCa ? { serverRootCACertificate: serverRootCa } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
  return {
    address: address ?? config.temporal.address ?? defaultTemporalAddress,
    ...(tls ? { tls: Object.keys(tlsConfig).length ? tlsConfig : true } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}
