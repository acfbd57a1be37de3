/**
 * For the services' Nexus contracts (`<service>/contract.ts`): an operation takes and answers what the activity of
 * the same name does, so that the two wirings cannot drift apart. Types only, which workflow code may import.
 */

/** What activity `K` of `Activities` takes. */
export type ActivityInput<Activities, K extends keyof Activities> = Activities[K] extends (input: infer I) => unknown
  ? I
  : never;

/** What activity `K` of `Activities` answers. */
export type ActivityOutput<Activities, K extends keyof Activities> = Activities[K] extends (
  ...args: never[]
) => Promise<infer O>
  ? O
  : never;
